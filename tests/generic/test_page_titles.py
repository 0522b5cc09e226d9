"""Every page's <title> says which page it is (list, create, edit, details, a printed form), and
a record's page names the record: the dossier page its code. Several tabs stay tellable apart."""

import datetime as dt
import re

from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, Dossier, Procedure, User, db


def _title(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)[1].strip()


def test_each_page_title_says_which_page_it_is(app, client, login_as):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        procedure = Procedure(
            code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        dossier = Dossier(procedure=procedure, applicant_name="Nguyễn Văn Ánh")
        lc.accept_dossier(db.session, dossier, staff, dt.datetime(2019, 3, 4, 9), "000.00.20.H37")
        db.session.commit()
        d, code, agency_id = dossier.id, dossier.code, agency.id
    login_as("admin")
    titles = {
        url: _title(client, url)
        for url in (
            "/",
            "/dossier/",
            "/dossier/new/",
            f"/dossier/edit/?id={d}",
            f"/dossier/details/?id={d}",
            f"/dossier/print/01/?id={d}",
            "/dossier_due/",
            "/agency/",
            f"/agency/details/?id={agency_id}",
            "/payment/totals/",
            "/report/",
        )
    }
    assert titles == {
        "/": "Trang chủ – Một cửa",
        "/dossier/": "Hồ sơ – Danh sách – Một cửa",
        "/dossier/new/": "Hồ sơ – Thêm mới – Một cửa",
        f"/dossier/edit/?id={d}": f"Hồ sơ {code} – Sửa – Một cửa",
        f"/dossier/details/?id={d}": f"Hồ sơ {code} – Chi tiết – Một cửa",
        f"/dossier/print/01/?id={d}": f"Mẫu số 01 – {code}",
        "/dossier_due/": "Đôn đốc: quá hạn và sắp đến hạn – Danh sách – Một cửa",
        "/agency/": "Cơ quan – Danh sách – Một cửa",
        f"/agency/details/?id={agency_id}": "Cơ quan Sở Giao thông vận tải – Chi tiết – Một cửa",
        "/payment/totals/": "Thu phí, lệ phí – Tổng hợp – Một cửa",
        "/report/": "Báo cáo – Một cửa",
    }
    assert len(set(titles.values())) == len(titles)
