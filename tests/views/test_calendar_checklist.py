"""The yearly calendar checklist (issue 13 point 6): this year's and next year's days off and
make-up days with their source (the holidays package or an override), a "reviewed" mark per year
that only an administrator sets, and the administrator's home page warning from 1 November while
next year is not reviewed."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from domain import calendar_checklist as cc
from domain.calendar import load_calendar
from models import AuditLog, CalendarYearReview, db
from seed.calendar_overrides import add_calendar_overrides
from tests.browser_forms import open_form
from tests.factories import login


@pytest.fixture
def today(frozen_clock):
    """Set the day the views see (domain.clock)."""
    return frozen_clock


def _rows(html, year):
    section = BeautifulSoup(html, "html.parser").find(id=f"year-{year}")
    return {
        tr["data-date"]: [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in section.select("tr[data-date]")
    }


def test_entries_come_from_the_package_and_the_overrides(app):
    with app.app_context():
        package = {e.date: e for e in cc.year_entries(db.session, 2026)}
        # The package has Tết 2026 on weekdays but not the swap of Thông báo 9441/TB-BNV.
        assert package[dt.date(2026, 2, 17)].kind == cc.KIND_DAY_OFF
        assert package[dt.date(2026, 2, 17)].source == cc.SOURCE_PACKAGE
        assert dt.date(2026, 8, 31) not in package and dt.date(2026, 8, 22) not in package
        add_calendar_overrides(db.session)
        db.session.commit()
        entries = {e.date: e for e in cc.year_entries(db.session, 2026)}
        assert (entries[dt.date(2026, 8, 31)].kind, entries[dt.date(2026, 8, 31)].source) == (
            cc.KIND_DAY_OFF,
            cc.SOURCE_OVERRIDE,
        )
        assert (entries[dt.date(2026, 8, 22)].kind, entries[dt.date(2026, 8, 22)].source) == (
            cc.KIND_MAKE_UP,
            cc.SOURCE_OVERRIDE,
        )
        assert "9441/TB-BNV" in entries[dt.date(2026, 8, 22)].name
        calendar = load_calendar(db.session)
        assert calendar.is_working_day(dt.date(2026, 8, 22))
        assert not calendar.is_working_day(dt.date(2026, 8, 31))
        # Accepted Friday 21/08/2026 with 2 days: Saturday 22/08 counts (else Tuesday 25/08);
        # accepted Friday 28/08 with 1 day: Monday 31/08 does not count (nor 01-02/09).
        assert calendar.due_date(dt.date(2026, 8, 21), 2) == dt.date(2026, 8, 24)
        assert calendar.due_date(dt.date(2026, 8, 28), 1) == dt.date(2026, 9, 3)
        assert cc.review_of(db.session, 2026).note.startswith("Thông báo 9441/TB-BNV")


def test_warning_only_from_1_november_and_until_next_year_is_reviewed(app):
    with app.app_context():
        assert cc.unreviewed_next_year(db.session, dt.date(2026, 10, 31)) is None
        assert cc.unreviewed_next_year(db.session, dt.date(2026, 11, 1)) == 2027
        assert cc.unreviewed_next_year(db.session, dt.date(2026, 12, 31)) == 2027
        cc.mark_reviewed(db.session, 2027, None, dt.datetime(2026, 11, 2, 8))
        db.session.commit()
        assert cc.unreviewed_next_year(db.session, dt.date(2026, 12, 31)) is None
        assert cc.unreviewed_next_year(db.session, dt.date(2027, 11, 1)) == 2028


def test_the_page_lists_both_years_with_sources(app, client, login_as, today):
    today(dt.date(2026, 11, 30))
    with app.app_context():
        add_calendar_overrides(db.session)
        db.session.commit()
    login_as("manager")
    html = client.get("/calendar-checklist/").get_data(as_text=True)
    rows_2026, rows_2027 = _rows(html, 2026), _rows(html, 2027)
    assert rows_2026["2026-08-31"] == [
        "31/08/2026",
        "Thứ Hai",
        "Ngày nghỉ",
        "Nghỉ hoán đổi dịp Quốc khánh (Thông báo 9441/TB-BNV)",
        "Điều chỉnh lịch",
    ]
    assert rows_2026["2026-08-22"][1:3] == ["Thứ Bảy", "Ngày làm bù"]
    assert rows_2026["2026-02-17"][2:] == ["Ngày nghỉ", "Tết Nguyên Đán", "Gói holidays (mặc định)"]
    assert rows_2027["2027-02-08"][2] == "Ngày nghỉ"
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one("#year-2026 .review-mark").get_text(strip=True) == "Đã rà soát"
    assert page.select_one("#year-2027 .review-mark").get_text(strip=True) == "Chưa rà soát"
    assert page.find("form", class_="review-form") is None  # a manager cannot mark a year
    assert client.post("/calendar-checklist/", data={"year": "2027"}).status_code in (400, 403)
    with app.app_context():
        assert db.session.get(CalendarYearReview, 2027) is None


def test_staff_read_the_checklist_and_anonymous_users_do_not(app, client, users):
    assert client.get("/calendar-checklist/").status_code == 302

    login(client, users["staff"])
    assert client.get("/calendar-checklist/").status_code == 200


def test_admin_home_warns_and_the_review_removes_the_warning(app, client, login_as, today):
    today(dt.date(2026, 10, 31))
    login_as("admin")
    assert "calendar-review-warning" not in client.get("/").get_data(as_text=True)
    today(dt.date(2026, 11, 1))
    home = client.get("/").get_data(as_text=True)
    warning = BeautifulSoup(home, "html.parser").find(id="calendar-review-warning")
    assert warning is not None and "2027" in warning.get_text()
    assert warning.find("a")["href"].endswith("/calendar-checklist/")

    html = client.get("/calendar-checklist/").get_data(as_text=True)
    assert len(BeautifulSoup(html, "html.parser").find_all("form", class_="review-form")) == 2
    form = open_form(client, "/calendar-checklist/", form_id="review-form-2027")
    assert form.get("year") == "2027"
    form.set("note", "Thông báo số …/TB-BNV năm 2026")
    response = form.submit(client)
    assert response.status_code == 302
    with app.app_context():
        review = db.session.get(CalendarYearReview, 2027)
        assert review.note == "Thông báo số …/TB-BNV năm 2026"
        assert review.reviewed_by.username == "admin1"
        # The mark is in the audit trail like every other change.
        assert db.session.query(AuditLog).filter_by(table_name="calendar_year_review").count() == 1
    assert "calendar-review-warning" not in client.get("/").get_data(as_text=True)
    assert "Đã rà soát" in client.get("/calendar-checklist/").get_data(as_text=True)


def test_other_roles_never_see_the_warning(app, client, login_as, today):
    today(dt.date(2026, 11, 15))
    login_as("manager")
    assert "calendar-review-warning" not in client.get("/").get_data(as_text=True)


def test_only_this_year_and_next_can_be_marked(app, client, login_as, today):
    today(dt.date(2026, 11, 15))
    login_as("admin")
    form = open_form(client, "/calendar-checklist/", form_id="review-form-2026")
    form.set("year", "2031")
    assert form.submit(client).status_code == 302
    with app.app_context():
        assert db.session.get(CalendarYearReview, 2031) is None
    assert "Không thể đánh dấu" in client.get("/calendar-checklist/").get_data(as_text=True)
