"""A counter clerk's morning, in Chromium: log in, take a driving-licence dossier in by keyboard
alone, print the receipt (Mẫu 01), take the fee, record the result, hand it over, and let the
citizen rate the service on the kiosk."""

import pytest
from sqlalchemy import select

from domain.status import Status
from models import Dossier, Payment, StaffRating, db
from tests.factories import PASSWORD
from tests.journeys.browsing import resolve_and_return_at_the_counter

pytestmark = pytest.mark.browser


def test_clerk_takes_a_dossier_in_and_hands_the_result_over(app, live_server, page, centre, shots):
    # Log in with the keyboard: the name field has the focus.
    page.goto(f"{live_server}/")
    shots(page, "login")
    page.keyboard.type("staff1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    assert "Nguyễn Thị Hương" in page.inner_text("#user-menu")
    shots(page, "home-clerk")

    # The morning's list of overdue and nearly due dossiers.
    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.get_by_role("link", name="Đôn đốc: quá hạn và sắp đến hạn").click()
    page.wait_for_url(f"{live_server}/dossier_due/**")
    assert page.locator("table.model-list tbody tr").count() == 3
    shots(page, "due-list", docs=True)

    # Intake, by keyboard: the procedure picker has the focus; typed without accents, Enter
    # picks it, and the page shows what the server computed for it (due date, fees, checklist).
    page.goto(f"{live_server}/dossier/")
    page.get_by_role("link", name="Tạo", exact=True).click()
    page.wait_for_url(f"{live_server}/dossier/new/**")
    page.wait_for_function("document.activeElement.classList.contains('select2-focusser')")
    page.keyboard.type("giay phep lai xe")
    page.wait_for_selector(".select2-result-label:has-text('1.002809')")
    for _ in range(3):  # two licence procedures match: arrow down to the right one
        if "1.002809" in page.inner_text(".select2-highlighted"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#intake-info:not(.d-none)")
    assert page.inner_text("#intake-fees") == "Lệ phí cấp giấy phép lái xe: 135.000 đ"
    shown_due = page.inner_text("#intake-due")
    assert page.locator("#intake-documents input[type=checkbox]:checked").count() == 3
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_number"
    page.keyboard.type("020190001234")
    page.keyboard.press("Tab")
    page.keyboard.type("Vi Thị Ngọc Ánh")
    page.keyboard.press("Tab")
    page.keyboard.type("0912 345 678")
    page.keyboard.press("Tab")
    page.keyboard.type("Số 5, đường Bà Triệu, phường Vĩnh Trại, thành phố Lạng Sơn")
    # The second column: result returned by post, chosen by typing; a note; one more paper.
    page.focus("#s2id_return_channel .select2-focusser")
    page.keyboard.type("buu chinh")
    page.wait_for_selector(".select2-result-label:has-text('Qua bưu chính')")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Giấy phép lái xe hạng B2 bị mất")
    page.keyboard.press("Tab")  # "add a document": Enter adds a row for it
    page.keyboard.press("Enter")
    page.focus("#documents-0-name")
    page.keyboard.type("Ảnh 3x4")
    page.keyboard.press("Tab")
    page.keyboard.type("ban chinh")
    page.wait_for_selector(".select2-result-label:has-text('Bản chính')")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    assert page.evaluate("document.activeElement.id") == "documents-0-copies"
    shots(page, "intake-bottom")
    page.keyboard.press("Enter")  # Enter in a field sends nothing
    assert page.url.startswith(f"{live_server}/dossier/new/")
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "intake", docs=True)
    page.keyboard.press("Control+Enter")  # the one button: accept and print the receipt
    page.wait_for_url(f"{live_server}/dossier/print/01/**")
    with app.app_context():
        dossier = db.session.scalar(
            select(Dossier).where(Dossier.applicant_name == "Vi Thị Ngọc Ánh")
        )
        code, dossier_id = dossier.code, dossier.id
        assert (dossier.procedure.code, dossier.id_number, dossier.return_channel) == (
            "1.002809",
            "020190001234",
            "postal",
        )
        assert f"{dossier.due_at:%H:%M %d/%m/%Y}" == shown_due
        assert dossier.due_at.date() == dossier.due_date
        assert [(d.name, d.kind, d.copies) for d in dossier.documents] == [
            ("Đơn đề nghị cấp lại giấy phép lái xe", "original", 1),
            ("Bản sao Căn cước công dân", "copy", 1),
            ("Giấy khám sức khỏe của người lái xe", "original", 1),
            ("Ảnh 3x4", "original", 2),
        ]

    # The receipt (Mẫu 01), ready to print.
    text = page.inner_text("body")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text.upper()
    assert code in text and "Vi Thị Ngọc Ánh" in text and shown_due[-10:] in text  # the date
    shots(page, "receipt-mau01", docs=True)

    # The dossier page: accepted, the receipt offered again.
    page.goto(f"{live_server}/dossier/details/?id={dossier_id}")
    assert page.inner_text("#dossier-status") == "Được tiếp nhận"
    assert code in page.inner_text(".alert-success")
    assert page.locator("#print-01").count() == 1
    shots(page, "dossier-accepted", docs=True)

    # The fee, paid in cash: the amount is proposed from the procedure's fee items.
    page.click("#record-payment")
    page.wait_for_url(f"{live_server}/payment/new/**")
    page.wait_for_function("document.getElementById('amount_vnd').value !== ''")
    page.focus("#s2id_method .select2-focusser")
    page.keyboard.type("tien mat")
    page.wait_for_selector(".select2-result-label:has-text('Tiền mặt')")
    page.keyboard.press("Enter")
    shots(page, "payment")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(f"{live_server}/dossier/details/**")
    assert "135.000 đ" in page.inner_text("#payments")

    # The result is ready; the citizen comes back for it.
    resolve_and_return_at_the_counter(page)
    assert page.locator("#transitions").count() == 0
    shots(page, "dossier-returned")

    # The citizen rates the clerk on the counter's tablet.
    with page.context.expect_page() as kiosk_tab:
        page.click("#open-kiosk")
    kiosk = kiosk_tab.value
    kiosk.wait_for_load_state()
    assert kiosk.inner_text("#officer-name") == "Nguyễn Thị Hương"
    shots(kiosk, "kiosk", docs=True)
    kiosk.click("#rate-very_satisfied")
    kiosk.wait_for_selector("#kiosk-thanks")
    shots(kiosk, "kiosk-thanks")

    with app.app_context():
        assert [
            (p.amount_vnd, p.method)
            for p in db.session.scalars(select(Payment).where(Payment.dossier_id == dossier_id))
        ] == [(135000, "cash")]
        rating = db.session.scalar(select(StaffRating).where(StaffRating.dossier_id == dossier_id))
        assert rating.level == "very_satisfied"
        assert db.session.get(Dossier, dossier_id).status == Status.RETURNED
