"""End to end in Chromium: the manager sees the digitisation table of the report page (issue 14
point 4) with the figures worked by hand in tests/domain/test_digitisation.py; a screenshot of
the page is kept under /tmp/digitise-shots/ to be looked at."""

from pathlib import Path

import pytest

from models import db
from tests.domain.test_digitisation import build_data
from tests.factories import PASSWORD

SHOTS = Path("/tmp/digitise-shots")


@pytest.fixture
def digitised(app, users, tmp_path):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    with app.app_context():
        build_data(db.session, tmp_path / "files")
    return app


@pytest.mark.browser
def test_report_page_in_chromium(digitised, live_server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/report/?preset=month&month=3&year=2019")
    page.fill("#username", "manager1")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{live_server}/report/*")
    table = page.locator("#report-digitisation")
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    totals = page.locator("#report-digitisation-totals td").all_inner_texts()
    assert totals == ["Tổng số", "7", "2", "28,57%", "4", "2", "50,00%"]
    headers = table.locator("thead th").all_inner_texts()
    assert headers == [
        "Cơ quan",
        "Hồ sơ tiếp nhận trong kỳ",
        "Số hóa toàn bộ khi tiếp nhận",
        "Tỷ lệ",
        "Hồ sơ đã giải quyết trong kỳ",
        "Có kết quả điện tử",
        "Tỷ lệ",
    ]
    page.screenshot(path=str(SHOTS / "report-digitisation.png"), full_page=True)
    table.screenshot(path=str(SHOTS / "report-digitisation-table.png"))
