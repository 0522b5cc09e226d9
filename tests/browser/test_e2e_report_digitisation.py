"""End to end in Chromium: the manager sees the digitisation table of the report page (issue 14
point 4) with the figures worked by hand in tests/domain/test_digitisation.py; a screenshot of
the page is kept under /tmp/digitise-shots/ to be looked at."""

from pathlib import Path

import pytest

from domain.report_workbook import DIGITISATION_HEADERS
from tests.digitisation_data import load_digitised
from tests.journeys.browsing import log_in

SHOTS = Path("/tmp/digitise-shots")


@pytest.fixture
def digitised(app, users, tmp_path):
    return load_digitised(app, tmp_path)


@pytest.mark.browser
def test_report_page_in_chromium(digitised, live_server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "manager1", "/report/?preset=month&month=3&year=2019")
    table = page.locator("#report-digitisation")
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    totals = page.locator("#report-digitisation-totals td").all_inner_texts()
    assert totals == ["Tổng số", "7", "2", "28,57%", "4", "2", "50,00%"]
    headers = table.locator("thead th").all_inner_texts()
    assert headers == list(DIGITISATION_HEADERS[1:])  # the page has no code column
    page.screenshot(path=str(SHOTS / "report-digitisation.png"), full_page=True)
    table.screenshot(path=str(SHOTS / "report-digitisation-table.png"))
