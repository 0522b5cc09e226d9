"""End to end in Chromium: a manager picks March 2019, sees the table, downloads the workbook and
every number matches the hand-worked JSON."""

import openpyxl
import pytest

from domain.report_workbook import FORM_COLUMNS
from models import db
from tests.factories import EXPECTED_MARCH, build_march_data, create_user
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def report_page(app, live_server, page):
    """The report page in Chromium, as a manager, over the March 2019 data set."""
    with app.app_context():
        build_march_data(db.session)
        create_user("manager1", "manager")
        db.session.commit()
    log_in(page, live_server, "manager1", "/report/")
    return page


def test_manager_reports_march_2019(report_page, tmp_path):
    page = report_page

    page.select_option("#preset", "month")
    page.select_option("#month", "3")
    page.select_option("#year", "2019")
    with page.expect_navigation(url=lambda u: "month=3" in u and "year=2019" in u):
        page.click("#report-show")
    assert page.inner_text("#report-period") == "Từ ngày 01/03/2019 đến ngày 31/03/2019"
    totals = page.locator("#report-totals td").all_inner_texts()
    t = EXPECTED_MARCH["totals"]
    assert totals[1] == "Tổng số"
    assert [int(x) for x in totals[2:15]] == [t[k] for k, _, _ in FORM_COLUMNS]
    assert totals[15] == "75,00%"

    with page.expect_download() as info:
        page.click("#report-xlsx")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "bao-cao-06a_20190301_20190331.xlsx"
    ws = openpyxl.load_workbook(path)["06a"]
    last = next(
        r for r in ([c.value for c in row] for row in ws.iter_rows()) if r[0] == "Tổng cộng"
    )
    assert last[2:15] == [t[k] for k, _, _ in FORM_COLUMNS]


def test_download_sends_the_period_typed_and_a_wrong_one_is_said(report_page, tmp_path):
    """A reviewer's finding: dates typed in the form, then "Tải về Excel" without "Xem", gave the
    workbook of the period shown (the current month), and 31/02 gave it without a word."""
    page = report_page

    page.select_option("#preset", "range")
    page.fill("#from", "01/03/2019")
    page.fill("#to", "25/03/2019")
    with page.expect_download() as info:
        page.click("#report-xlsx")
    assert info.value.suggested_filename == "bao-cao-06a_20190301_20190325.xlsx"
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path)["06a"].iter_rows()]
    assert any("Từ ngày 01/03/2019 đến ngày 25/03/2019" in str(v) for r in rows for v in r)

    page.fill("#from", "31/02/2019")
    with page.expect_navigation(url=lambda u: "/report/?" in u):
        page.click("#report-xlsx")
    alert = page.inner_text(".alert-danger")
    assert "Kỳ báo cáo không hợp lệ" in alert and "31/02/2019" in alert
    assert page.input_value("#preset") == "range"  # what was typed, to be corrected
    assert page.input_value("#from") == "31/02/2019"
    assert page.input_value("#to") == "25/03/2019"
    page.screenshot(path="tests/output/screenshots/report-wrong-period.png", full_page=False)
