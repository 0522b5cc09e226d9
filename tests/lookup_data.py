"""A dossier of the look-up tests (/tra-cuu/, the receipt's barcode): a citizen's land-use
dossier with personal data the public pages must never show, and the receipt a clerk prints."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, Dossier, Procedure, User, db
from tests.factories import login

UNIT = "000.00.20.H37"
NAME, ID_NUMBER, PHONE = "Lương Thị Minh Nguyệt", "020190001234", "0205 3871 234"
EMAIL, ADDRESS = "nguyet.luong@example.com", "Số 125 đường Bà Triệu, phường Vĩnh Trại"
PERSONAL = (NAME, ID_NUMBER, PHONE, EMAIL, ADDRESS, "Bà Triệu", "nguyet.luong")
SUPPLEMENT = "Bổ sung bản sao có chứng thực hợp đồng chuyển nhượng"
APOLOGY = "Chờ ý kiến của Chi cục Thuế về nghĩa vụ tài chính"


def make_dossier(app, **kw) -> tuple[int, str]:
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.004227"))
        if procedure is None:
            procedure = Procedure(
                code="1.004227",
                agency=agency,
                processing_days=30,
                name="Đăng ký biến động quyền sử dụng đất",
            )
            db.session.add(procedure)
            db.session.flush()
        d = Dossier(
            procedure=procedure,
            applicant_name=NAME,
            id_number=ID_NUMBER,
            phone=PHONE,
            email=EMAIL,
            address=ADDRESS,
            return_channel=kw.get("return_channel"),
        )
        lc.accept_dossier(db.session, d, staff, dt.datetime(2019, 12, 30, 15, 30), UNIT)
        at = dt.datetime(2020, 1, 2, 9)
        for action, reason, extra in kw.get("steps", ()):
            lc.transition(db.session, d, action, staff, at, reason=reason, **extra)
            at += dt.timedelta(days=1)
        db.session.commit()
        return d.id, d.code


def print_receipt(app, dossier_id: int) -> tuple[str, str]:
    """A clerk prints the receipt: (the page, the look-up secret on it)."""
    clerk = app.test_client()
    assert login(clerk, "staff1").status_code == 302
    page = clerk.get(f"/dossier/print/01/?id={dossier_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html, re.search(r'class="lookup-secret">([^<]+)<', html).group(1)
