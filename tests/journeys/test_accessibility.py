"""Accessibility of the daily screens, checked by axe-core in Chromium: no violation of impact
"serious" or "critical" (missing page language, unreadable contrast, unnamed controls, ...)."""

import pytest
from sqlalchemy import select

from models import Dossier, db
from tests.journeys.browsing import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]


def test_login_page(live_server, page, axe_script):
    page.goto(f"{live_server}/login")
    assert_accessible(page, axe_script, "login")


@pytest.mark.parametrize("role", ["admin", "staff", "manager"])
def test_dashboard_of_each_role(app, live_server, page, axe_script, centre, users, role):
    log_in(page, live_server, users[role])
    assert page.locator("html").get_attribute("lang") == "vi"
    assert_accessible(page, axe_script, f"home ({role})")


def _dossier_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Dossier.id).where(Dossier.code == code))


def test_clerk_screens(app, live_server, page, axe_script, centre):
    log_in(page, live_server, "staff1", "/dossier/")
    assert page.locator("table.model-list tbody tr").count() == 18  # the SGTVT dossiers
    assert_accessible(page, axe_script, "dossier list")
    page.goto(f"{live_server}/dossier/new/")
    page.wait_for_selector("#s2id_procedure")
    assert_accessible(page, axe_script, "intake")
    page.click("#s2id_procedure")
    page.keyboard.type("1.002809")
    page.locator(".select2-result-label", has_text="1.002809").click()
    page.wait_for_selector("#intake-documents .intake-document")
    assert_accessible(page, axe_script, "intake with the procedure's due date and checklist")
    page.fill("#applicant_name", "Lăng Văn Phúc")
    page.click("#intake-submit")
    page.wait_for_url(f"{live_server}/dossier/print/01/**")
    with app.app_context():
        accepted = db.session.scalar(
            select(Dossier.id).where(Dossier.applicant_name == "Lăng Văn Phúc")
        )
    page.goto(f"{live_server}/dossier/details/?id={accepted}")
    page.wait_for_selector("#flash-receipt")  # the flash message with its receipt link
    assert_accessible(page, axe_script, "dossier just accepted")
    # The dossier page in each state: its forms for the next steps differ.
    for code, status in [
        (centre["open"][0], "Đang xử lý"),
        (centre["open"][1], "Được tiếp nhận"),
        (centre["resolved"], "Đã xử lý xong"),
    ]:
        page.goto(f"{live_server}/dossier/details/?id={_dossier_id(app, code)}")
        assert page.inner_text("#dossier-status") == status
        assert page.locator("#open-kiosk").is_visible()
        assert_accessible(page, axe_script, f"dossier details ({status})")
    page.goto(f"{live_server}/dossier_due/")
    assert page.locator("table.model-list tbody tr").count() == 3
    assert_accessible(page, axe_script, "due list")
    page.goto(f"{live_server}/dossier/details/?id=999999")
    assert_accessible(page, axe_script, "error page")


def test_rating_kiosk(live_server, page, axe_script, centre):
    log_in(page, live_server, "staff1", "/kiosk/")
    assert page.locator("#rate-very_satisfied").is_visible()
    assert_accessible(page, axe_script, "rating kiosk")
    page.click("#rate-satisfied")
    page.wait_for_selector("#kiosk-thanks")
    # The thank-you screen goes back to the buttons by itself for the next citizen (a shared
    # tablet: that is its job, and there is nothing more to read), so meta-refresh is allowed.
    assert_accessible(page, axe_script, "rating kiosk: thanks", skip_rules=["meta-refresh"])

    # Kiosk mode: the tablet keeps only the kiosk's credential, and its screen refreshes
    # itself to renew it (the same exception).
    page.goto(f"{live_server}/kiosk/start/")
    assert_accessible(page, axe_script, "kiosk mode: start")
    page.click("#kiosk-start")
    page.wait_for_url(f"{live_server}/kiosk/device/**")
    assert page.locator("#kiosk-end-link").is_visible()
    assert_accessible(page, axe_script, "kiosk mode: the tablet", skip_rules=["meta-refresh"])


def test_report_page(live_server, page, axe_script, centre):
    log_in(page, live_server, "manager1", f"/report/?preset=quarter&quarter={centre['quarter']}")
    assert_accessible(page, axe_script, "report")


def test_pages_follow_the_language_chosen(live_server, page, axe_script, centre):
    log_in(page, live_server, "staff1", "/dossier/")
    page.click("#user-menu")
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, axe_script, "dossier list (English)")


def test_admin_screens(live_server, page, axe_script, centre):
    """Not a daily job, but the same theme: the catalog, users, calendar, imports, audit log."""
    log_in(page, live_server, "admin1", "/procedure/")
    for path in (
        "/procedure/",
        "/procedure/edit/?id=1",
        "/user/new/",
        "/calendar_day/new/",
        "/imports/",
        "/audit_log/",
        "/payment/new/",
    ):
        page.goto(live_server + path)
        assert page.locator("#user-menu").count() == 1, page.url  # a page of the app, no error
        assert_accessible(page, axe_script, path)
