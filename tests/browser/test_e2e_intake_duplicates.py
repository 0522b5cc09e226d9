"""In Chromium, as a reviewer found it: a clerk accepts a dossier, presses the browser's Back
button and sends the intake form again. The page comes back from the server (never cached) with
a new one-time token, and Chromium fills in the previous citizen's name and phone again: the
clerk picks the procedure again and sends it. No second dossier: the form comes back with a
warning naming the dossier just accepted; ticking "Vẫn tiếp nhận hồ sơ mới" receives the second
one (a second land parcel)."""

import pytest
from sqlalchemy import select

from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import OUTPUT, log_in

pytestmark = pytest.mark.browser

NAME = "Vi Văn Thắng"
PHONE = "0205123456"


def _codes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Dossier.code).order_by(Dossier.id)))


def _choose_procedure(page) -> None:
    page.click("#s2id_procedure")
    page.keyboard.type("cap giay chung nhan quyen su dung dat")
    page.locator(".select2-result-label", has_text="1.004227").click()


def test_back_and_send_again_is_held_until_confirmed(app, live_server, page, users):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        db.session.add(
            Procedure(
                code="1.004227",
                name="Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
                agency=agency,
                processing_days=3,
            )
        )
        db.session.commit()

    log_in(page, live_server, "staff1", "/dossier/new/")
    first_token = page.input_value("input[name=form_token]")
    _choose_procedure(page)
    page.fill("#applicant_name", NAME)
    page.fill("#phone", PHONE)
    page.click("#intake-submit")
    page.wait_for_url(f"{live_server}/dossier/print/01/*")
    [code] = _codes(app)

    page.go_back()
    page.wait_for_url(f"{live_server}/dossier/new/")
    # Why the one-time token alone does not stop it: a new page, a new token, the old citizen.
    assert page.input_value("input[name=form_token]") != first_token
    assert page.input_value("#applicant_name") == NAME
    assert page.input_value("#phone") == PHONE
    _choose_procedure(page)
    page.click("#intake-submit")
    page.wait_for_selector("#intake-duplicates")
    warning = page.inner_text("#intake-duplicates")
    assert "Có thể trùng hồ sơ" in warning and code in warning
    assert "Vẫn tiếp nhận hồ sơ mới" in warning
    assert page.locator(".alert-danger:visible").count() == 0  # no "check the fields" message
    assert _codes(app) == [code]  # no second dossier
    # What was typed is still there.
    assert page.input_value("#applicant_name") == NAME
    assert page.input_value("#phone") == PHONE
    assert page.input_value("#procedure") != ""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "intake-duplicate-warning.png"))

    page.check("#confirm_duplicate")  # "Vẫn tiếp nhận hồ sơ mới": a second land parcel
    page.click("#intake-submit")
    page.wait_for_url(f"{live_server}/dossier/print/01/*")
    codes = _codes(app)
    assert len(codes) == 2 and codes[0] == code
    assert codes[1] in page.inner_text("body")
