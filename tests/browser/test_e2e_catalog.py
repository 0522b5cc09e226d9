"""End to end in a real headless Chromium: log in as admin, create a procedure, find it by an
accent-free search, log out."""

import pytest

from tests.journeys.browsing import landed, submit_login

pytestmark = pytest.mark.browser


def test_admin_creates_and_finds_a_procedure(live_server, page, users):
    page.goto(f"{live_server}/procedure/")
    assert "/login" in page.url
    submit_login(page, "admin1")
    landed(page, f"{live_server}/procedure/")

    page.goto(f"{live_server}/procedure/new/")
    page.fill("#code", "1.009999")
    page.fill("#name", "Cấp giấy phép kinh doanh vận tải bằng xe ô tô")
    # The agency picker searches over AJAX (select2): type without accents, pick the result.
    page.click("#s2id_agency")
    page.keyboard.type("giao thong")
    page.locator(".select2-result-label", has_text="Sở Giao thông vận tải").click()
    page.fill("#processing_days", "5")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(f"{live_server}/procedure/*")
    assert "1.009999" in page.content()

    page.fill("input[name=search]", "giay phep kinh doanh van tai")
    with page.expect_navigation(url=lambda url: "search=" in url):
        page.keyboard.press("Enter")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1
    assert "Cấp giấy phép kinh doanh vận tải bằng xe ô tô" in rows.first.inner_text()

    page.click("#logout-button")
    page.wait_for_url(f"{live_server}/login*")
    page.goto(f"{live_server}/procedure/")
    assert "/login" in page.url
