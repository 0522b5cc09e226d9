"""The idle timeout in headless Chromium: the warning banner and its keep-alive button, then an
intake form typed past the timeout that is kept, shown again after logging in and saved.
Screenshots go to /tmp/kiosk-idle-*.png."""

import datetime as dt

import pytest
from sqlalchemy import select

from models import Agency, Dossier, Procedure, db
from tests.browser.watch import Watch
from tests.journeys.browsing import landed, log_in, submit_login

pytestmark = pytest.mark.browser


@pytest.mark.own_context  # page.clock: installed on the context, never removed
def test_the_warning_banner_keeps_the_session(app, live_server, page, users, session_clock):
    """The page's clock (Playwright's) and the session cookie's (session_clock) are moved forward
    instead of waiting: the same 8 s timeline, without the 12 s of sleeping."""
    watch = Watch(page)
    page.clock.install()
    log_in(page, live_server, "staff1")
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=8)  # warned 2 s before
    page.goto(f"{live_server}/dossier/")
    banner = page.locator("#idle-banner")
    assert banner.is_hidden()
    page.clock.run_for(6500)  # the page's timers: the warning 2 s before the end
    banner.wait_for(state="visible")
    assert "phiên làm việc sẽ hết hạn sau" in banner.inner_text()
    page.screenshot(path="/tmp/kiosk-idle-banner.png")
    session_clock(seconds=4)
    page.click("#idle-stay")
    banner.wait_for(state="hidden")
    # 9 s after the page was loaded (8 s without the keep-alive would have ended it).
    session_clock(seconds=5)
    page.goto(f"{live_server}/dossier/")
    assert page.url == f"{live_server}/dossier/", page.url

    # Without the button the session ends, and the banner says what happens to a form.
    page.clock.run_for(6500)
    banner.wait_for(state="visible")
    page.clock.run_for(2000)
    page.wait_for_selector("#idle-banner.alert-danger")
    assert "Phiên làm việc đã hết hạn" in banner.inner_text()
    page.screenshot(path="/tmp/kiosk-idle-ended.png")
    session_clock(seconds=9)
    page.goto(f"{live_server}/dossier/")
    assert "/login" in page.url
    assert [p for p in watch.problems if "Failed to load resource" not in p] == []


def test_an_intake_form_typed_past_the_timeout_is_saved_after_logging_in(
    app, live_server, page, users, session_clock
):
    watch = Watch(page)
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        db.session.add(
            Procedure(
                code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
            )
        )
        db.session.commit()
    log_in(page, live_server, "staff1", "/dossier/new/")
    page.click("#s2id_procedure")
    page.keyboard.type("doi giay phep")
    page.locator(".select2-result-label", has_text="1.002804").click()
    page.fill("#applicant_name", "Lương Thị Hồng Nhung")
    page.fill("#phone", "0912345678")
    page.fill("#address", "Số 5 Lê Lợi, thành phố Lạng Sơn")
    page.fill("#note", "Khách hẹn quay lại chiều nay")
    page.select_option("#return_channel", "postal", force=True)
    session_clock(minutes=31)  # the clerk was called away for more than half an hour
    page.click("#intake-submit")

    page.wait_for_selector("#login-again")
    assert "Phiên làm việc đã hết hạn" in page.inner_text("body")
    assert "Lỗi 400" not in page.inner_text("body")
    page.screenshot(path="/tmp/kiosk-idle-expired.png")
    with app.app_context():
        assert db.session.scalar(select(Dossier.id)) is None
    page.click("#login-again")
    submit_login(page, "staff1")
    landed(page, f"{live_server}/dossier/new/")
    assert page.input_value("#applicant_name") == "Lương Thị Hồng Nhung"
    assert page.input_value("#phone") == "0912345678"
    assert page.input_value("#note") == "Khách hẹn quay lại chiều nay"
    assert page.input_value("#return_channel") == "postal"
    assert "1.002804" in page.inner_text("#s2id_procedure")
    assert "Phiên làm việc đã hết hạn" in page.inner_text("body")
    page.screenshot(path="/tmp/kiosk-idle-refilled.png", full_page=True)
    with app.app_context():
        assert db.session.scalar(select(Dossier.id)) is None  # not saved by itself
    page.click("#intake-submit")  # "Tiếp nhận và in phiếu": saved, then the receipt
    page.wait_for_url(f"{live_server}/dossier/print/01/*")
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert (dossier.applicant_name, dossier.return_channel) == (
            "Lương Thị Hồng Nhung",
            "postal",
        )
    assert [p for p in watch.problems if "Failed to load resource" not in p] == []
