"""The manager's quarter-end, in Chromium: the dashboard, the last quarter's report (form 06a)
on screen, and the workbook downloaded and read back: the same figures as on the screen."""

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import func, select

from domain import clock
from domain.report_workbook import FORM_COLUMNS
from models import Dossier, db
from tests.journeys.browsing import log_in
from tests.journeys.centre import last_quarter

pytestmark = pytest.mark.browser


def test_manager_reads_the_dashboard_and_the_quarter_report(
    app, live_server, page, centre, shots, tmp_path
):
    quarter, start, end = last_quarter(clock.today())
    assert quarter == centre["quarter"]
    with app.app_context():
        accepted_in = (
            Dossier.accepted_at >= start,
            Dossier.accepted_at < end + dt.timedelta(days=1),
        )
        received = db.session.scalar(select(func.count()).where(*accepted_in))
        online = db.session.scalar(
            select(func.count()).where(*accepted_in, Dossier.channel == "online")
        )
    assert received >= 25

    # The dashboard: the whole centre, every agency.
    log_in(page, live_server, "manager1", typed=True)  # a journey: through the form
    assert "Lê Văn Quang" in page.inner_text("#user-menu")
    body = page.inner_text("body")
    assert all(name in body for name in ("Sở GTVT", "Sở Tư pháp", "Sở Y tế"))
    shots(page, "home-manager", docs=True)

    # The report of the last quarter, chosen in the form.
    page.locator("#admin-navbar-collapse").get_by_role("link", name="Báo cáo").click()
    page.wait_for_url(f"{live_server}/report/**")
    year, number = quarter.split("-Q")
    page.select_option("#preset", "quarter")
    page.select_option("#quarter", number)
    page.select_option("#year", year)
    with page.expect_navigation(url=lambda u: f"quarter={number}" in u and f"year={year}" in u):
        page.click("#report-show")
    assert page.inner_text("#report-period") == (
        f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"
    )
    shots(page, "report", docs=True)
    cells = page.locator("#report-totals td").all_inner_texts()
    assert cells[1] == "Tổng số"
    on_screen = [int(x.replace(".", "")) for x in cells[2 : 2 + len(FORM_COLUMNS)]]
    figures = dict(zip((k for k, _, _ in FORM_COLUMNS), on_screen))
    assert figures["received_new"] == received
    assert figures["received_online"] == online
    assert figures["received_total"] == figures["carried_over"] + figures["received_new"]
    assert figures["resolved_total"] == (
        figures["resolved_early"] + figures["resolved_on_time"] + figures["resolved_late"]
    )
    assert figures["resolved_late"] > 0 and figures["resolved_early"] > 0
    agencies = page.locator("#report-table tbody tr").all_inner_texts()
    assert [row.split("\t")[1] for row in agencies] == [
        "Sở Giao thông vận tải",
        "Sở Tư pháp",
        "Sở Y tế",
    ]

    # The workbook: downloaded as the browser saves it, read back, same totals.
    with page.expect_download() as download:
        page.click("#report-xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"bao-cao-06a_{start:%Y%m%d}_{end:%Y%m%d}.xlsx"
    workbook = openpyxl.load_workbook(path)
    rows = [[c.value for c in row] for row in workbook["06a"].iter_rows()]
    total = next(r for r in rows if r[0] == "Tổng cộng")
    assert total[2 : 2 + len(FORM_COLUMNS)] == on_screen
    assert any("Sở Y tế" in str(r[1]) for r in rows)
