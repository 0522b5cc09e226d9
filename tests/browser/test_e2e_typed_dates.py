"""In headless Chromium: a date typed with the keyboard into a date-and-time filter ("Ngày tiếp
nhận", operator "lớn hơn") stays as typed when the field is left with Tab or Enter, and Enter
filters on it; the same in a form's date-time field. The picker used to put today's date and
time in its place (Flask-Admin sets "now" when an empty date-time field opens, and the picker
wrote that back on Tab/Enter, not having read the typed text)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest

from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import OUTPUT, add_filter, log_in

pytestmark = pytest.mark.browser
BEFORE = "000.00.20.H37-190304-0001"  # accepted before 01/06/2019
AFTER = "000.00.20.H37-190701-0002"  # accepted after it


def _data(app):
    with app.app_context():
        agency = db.session.query(Agency).filter_by(code="SGTVT").one()
        procedure = Procedure(
            code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        for n, (code, accepted) in enumerate(
            ((BEFORE, dt.datetime(2019, 3, 4, 9)), (AFTER, dt.datetime(2019, 7, 1, 9))), 1
        ):
            db.session.add(
                Dossier(
                    code=code,
                    procedure=procedure,
                    agency=agency,
                    applicant_name=f"Người nộp {n}",
                    channel="direct",
                    status=4,
                    accepted_at=accepted,
                    due_date=accepted.date() + dt.timedelta(days=7),
                )
            )
        db.session.commit()


def _greater_than_filter(page):
    """A new "Ngày tiếp nhận" filter with the operator "lớn hơn"; its empty value field."""
    page.click("text=Thêm bộ lọc")
    row = add_filter(page, "Ngày tiếp nhận", ("lớn hơn",))
    chosen = row.locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
    assert chosen.strip() == "lớn hơn", chosen
    field = page.locator("input.filter-val").last
    assert field.input_value() == ""
    return field


def _filter_values(url):
    return [value for key, value in parse_qsl(urlsplit(url).query) if key.startswith("flt")]


def _listed(page):
    listing = page.inner_text("table.model-list")
    return {code for code in (BEFORE, AFTER) if code in listing}


def test_typed_date_is_kept_in_the_date_time_filter(app, live_server, page, users):
    _data(app)
    shots = OUTPUT / "typed_dates"
    shots.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "staff1", "/dossier/")

    # Typed, then Tab: the field keeps the date; back in it, Enter filters on that date.
    field = _greater_than_filter(page)
    field.click()
    page.keyboard.type("01/06/2019")
    page.screenshot(path=str(shots / "typed.png"), full_page=True)
    page.keyboard.press("Tab")
    page.screenshot(path=str(shots / "after-tab.png"), full_page=True)
    assert field.input_value() == "01/06/2019"
    field.focus()
    assert field.input_value() == "01/06/2019"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _filter_values(page.url) == ["01/06/2019"]
    assert _listed(page) == {AFTER}
    assert page.locator("input.filter-val").last.input_value() == "01/06/2019"

    # With the time, and Enter straight away.
    page.goto(f"{live_server}/dossier/")
    field = _greater_than_filter(page)
    field.click()
    page.keyboard.type("01/06/2019 00:00")
    page.screenshot(path=str(shots / "typed-with-time.png"), full_page=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _filter_values(page.url) == ["01/06/2019 00:00"]
    assert _listed(page) == {AFTER}

    # Picking from the calendar still works: a day, then the picker's Apply.
    page.goto(f"{live_server}/dossier/")
    field = _greater_than_filter(page)
    field.click()
    picker = page.locator(".daterangepicker:visible")
    picker.locator("select.monthselect:visible").select_option(label="Th6")
    picker.locator("select.yearselect:visible").select_option("2019")
    picker.locator("td.available:not(.off):visible").filter(has_text="10").first.click()
    picker.locator("select.hourselect:visible").select_option("0")
    picker.locator("select.minuteselect:visible").select_option("0")
    picker.locator("button.applyBtn").click()
    assert field.input_value() == "10/06/2019 00:00"
    page.screenshot(path=str(shots / "picked.png"), full_page=True)
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(lambda url: "flt" in url)
    assert _filter_values(page.url) == ["10/06/2019 00:00"]
    assert _listed(page) == {AFTER}

    # A form's date-time field (same picker), empty (the payment form fills in the time of
    # day: emptied first): typed, then Tab, stays as typed.
    page.goto(f"{live_server}/payment/new/")
    page.eval_on_selector("#paid_at", "field => { field.value = ''; }")
    page.click("#paid_at")
    page.keyboard.type("05/03/2019 14:30")
    page.keyboard.press("Tab")
    assert page.input_value("#paid_at") == "05/03/2019 14:30"


def test_a_range_filter_shows_its_operator_and_dates_whole(app, live_server, page, users):
    # A reviewer saw the operator cut to "trong kh…" and the range to ")1/03/2019 - 31/03/2019"
    # on a 1366-pixel screen, and Escape left the picker open.
    _data(app)
    log_in(page, live_server, "staff1", "/dossier/")
    page.set_viewport_size({"width": 1366, "height": 768})
    for operator in ("trong khoảng", "ngoài khoảng"):
        page.click("text=Thêm bộ lọc")
        row = add_filter(page, "Ngày tiếp nhận", (operator,))
        field = row.locator("input.filter-val").last
        field.click()
        assert page.locator(".daterangepicker:visible").count() == 1
        field.fill("01/03/2019 - 31/03/2019")
        page.keyboard.press("Escape")  # closes the picker, as it closes a menu
        assert page.locator(".daterangepicker:visible").count() == 0
        assert field.input_value() == "01/03/2019 - 31/03/2019"
        shown = row.locator(".select2-chosen, .select2-selection__rendered").first
        assert shown.inner_text().strip() == operator
        for element in (shown, field):
            width, needed = element.evaluate("e => [e.clientWidth, e.scrollWidth]")
            assert needed <= width, (operator, width, needed)
    page.screenshot(path=str(OUTPUT / "typed_dates" / "range-filters.png"), full_page=True)
