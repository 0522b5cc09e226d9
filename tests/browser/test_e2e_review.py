"""In a real headless Chromium: the date pickers of filters speak the page's language and still
filter."""

import datetime as dt

import pytest
from sqlalchemy import select

from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


def test_date_filter_picker_is_vietnamese_and_filters(app, live_server, page, users):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(
            code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        for n, day in ((1, dt.date(2019, 3, 4)), (2, dt.date(2019, 3, 5))):
            db.session.add(
                Dossier(
                    code=f"000.00.20.H37-{day:%y%m%d}-000{n}",
                    procedure=procedure,
                    agency=agency,
                    applicant_name=f"Người nộp {n}",
                    channel="direct",
                    status=4,
                    accepted_at=dt.datetime.combine(day, dt.time(9)),
                    due_date=day,
                )
            )
        db.session.commit()

    log_in(page, live_server, "admin1", "/dossier/")
    page.click("text=Thêm bộ lọc")
    page.click("a.filter:has-text('Ngày hẹn trả')")
    page.locator("input.filter-val").last.click()
    picker = page.locator(".daterangepicker:visible")
    text = picker.inner_text()
    assert "T2" in text and "CN" in text and "Mo" not in text
    picker.locator("select.monthselect:visible").select_option(label="Th3")
    picker.locator("select.yearselect:visible").select_option("2019")
    picker.locator("td.available:not(.off):visible").filter(has_text="5").first.click()
    assert page.locator("input.filter-val").last.input_value() == "05/03/2019"
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(lambda url: "flt1_" in url)
    listing = page.inner_text("table.model-list")
    assert "190305-0002" in listing and "190304-0001" not in listing
