"""End to end in a real headless Chromium: a counter clerk takes a dossier in, prints the
receipt (Mẫu 01), records the result and hands it over."""

import pytest
from sqlalchemy import select

from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import log_in, resolve_and_return_at_the_counter

pytestmark = pytest.mark.browser


def test_intake_print_resolve_return(app, live_server, page, users):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        db.session.add(
            Procedure(
                code="1.002804",
                name="Đổi giấy phép lái xe do ngành GTVT cấp",
                agency=agency,
                processing_days=0,
                four_on_spot=True,
            )
        )
        db.session.commit()

    log_in(page, live_server, "staff1", "/dossier/new/")

    page.click("#s2id_procedure")
    page.keyboard.type("doi giay phep lai xe")
    page.locator(".select2-result-label", has_text="1.002804").click()
    page.fill("#applicant_name", "Vi Văn Thắng")
    page.fill("#phone", "0205123456")
    page.fill("#address", "Thành phố Lạng Sơn")
    page.select_option("#return_channel", "counter", force=True)  # select2 hides it
    page.click("#intake-submit")  # "Tiếp nhận và in phiếu": saved, then the receipt
    page.wait_for_url(f"{live_server}/dossier/print/01/*")
    with app.app_context():
        code, dossier_id = db.session.execute(
            select(Dossier.code, Dossier.id).where(Dossier.applicant_name == "Vi Văn Thắng")
        ).one()
    assert code and code in page.inner_text("body")
    page.goto(f"{live_server}/dossier/details/?id={dossier_id}")
    assert page.inner_text("#dossier-status") == "Được tiếp nhận"
    assert code in page.content()

    with page.context.expect_page() as receipt_info:
        page.click("#print-01")
    receipt = receipt_info.value
    receipt.wait_for_load_state()
    text = receipt.inner_text("body")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text.upper()
    assert code in text and "Vi Văn Thắng" in text
    receipt.close()

    resolve_and_return_at_the_counter(page)
    history = page.inner_text("#events")
    assert history.count("\n") >= 3  # header + accepted + resolved + returned
    assert page.locator("#transitions").count() == 0  # nothing left to do
