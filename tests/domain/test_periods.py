"""domain/periods.py: the one reader of reporting periods (page, `flask report`, totals pages,
register, dashboard) and the one builder of half-open bounds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from domain import clock, payments, periods
from domain import feedback as fb
from domain.periods import Period, PeriodError
from domain.reports import build_report
from models import Dossier, Feedback, Payment, Procedure, db
from tests.factories import PASSWORD, create_agency, create_user

D, T = dt.date, dt.datetime
TODAY = D(2026, 11, 30)


# ---- each kind's dates and bounds ------------------------------------------------------------


@pytest.mark.parametrize(
    "period, start, end",
    [
        (Period.for_month(2019, 2), D(2019, 2, 1), D(2019, 2, 28)),
        (Period.for_month(2020, 2), D(2020, 2, 1), D(2020, 2, 29)),
        (Period.for_month(2019, 12), D(2019, 12, 1), D(2019, 12, 31)),
        (Period.for_quarter(2019, 1), D(2019, 1, 1), D(2019, 3, 31)),
        (Period.for_quarter(2019, 4), D(2019, 10, 1), D(2019, 12, 31)),
        (Period.for_half(2019, 1), D(2019, 1, 1), D(2019, 6, 30)),
        (Period.for_half(2019, 2), D(2019, 7, 1), D(2019, 12, 31)),
        (Period.for_year(2019), D(2019, 1, 1), D(2019, 12, 31)),
        (Period.between(D(2019, 3, 5), D(2019, 3, 5)), D(2019, 3, 5), D(2019, 3, 5)),
    ],
)
def test_each_kind_has_its_dates_and_half_open_bounds(period, start, end):
    assert (period.start, period.end) == (start, end)
    assert period.bounds == (
        T(start.year, start.month, start.day),
        T(end.year, end.month, end.day) + dt.timedelta(days=1),
    )
    assert period.as_dict() == {"from": start.isoformat(), "to": end.isoformat()}


# ---- the statutory cut-off: 15th of the month before -> 14th of the last month ------------------


@pytest.mark.parametrize(
    "period, start, end",
    [
        (Period.for_month(2019, 1, statutory=True), D(2018, 12, 15), D(2019, 1, 14)),
        (Period.for_month(2019, 3, statutory=True), D(2019, 2, 15), D(2019, 3, 14)),
        (Period.for_month(2020, 12, statutory=True), D(2020, 11, 15), D(2020, 12, 14)),
        (Period.for_quarter(2019, 1, statutory=True), D(2018, 12, 15), D(2019, 3, 14)),
        (Period.for_quarter(2019, 4, statutory=True), D(2019, 9, 15), D(2019, 12, 14)),
        (Period.for_half(2019, 1, statutory=True), D(2018, 12, 15), D(2019, 6, 14)),
        (Period.for_half(2019, 2, statutory=True), D(2019, 6, 15), D(2019, 12, 14)),
        (Period.for_year(2019, statutory=True), D(2018, 12, 15), D(2019, 12, 14)),
    ],
)
def test_statutory_variants_cross_the_year_boundary(period, start, end):
    assert (period.start, period.end) == (start, end)
    assert period.statutory


def test_consecutive_statutory_periods_tile_the_calendar():
    """No day counted twice, none left out: each statutory month starts the day after the one
    before ends, across the new year; four statutory quarters make the statutory year."""
    months = [Period.for_month(2018, 12, True)] + [
        Period.for_month(2019, m, True) for m in range(1, 13)
    ]
    for before, after in zip(months, months[1:]):
        assert after.start == before.end + dt.timedelta(days=1)
    quarters = [Period.for_quarter(2019, q, True) for q in range(1, 5)]
    year = Period.for_year(2019, True)
    assert (quarters[0].start, quarters[-1].end) == (year.start, year.end)
    assert sum((q.end - q.start).days + 1 for q in quarters) == (year.end - year.start).days + 1


# ---- invalid input: one error type, a translatable message ---------------------------------------


@pytest.mark.parametrize(
    "call, msgid",
    [
        (
            lambda: periods.parse_month("2019-13"),
            "The month must be a number from 1 to 12: %(value)s.",
        ),
        (lambda: periods.parse_month("March"), "A month is written 2019-03: %(value)s."),
        (lambda: periods.parse_quarter("2019-Q5"), "A quarter is written 2019-Q1: %(value)s."),
        (lambda: periods.parse_half("2019-H3"), "Six months are written 2019-H1: %(value)s."),
        (lambda: periods.parse_year("19"), "A year is written 2019: %(value)s."),
        (
            lambda: periods.parse_range("31/03/2019", "01/03/2019"),
            "The period ends before it starts.",
        ),
        (
            lambda: periods.parse_range("31/02/2019", "01/03/2019"),
            "%(date)s is not a real date.",
        ),
        (
            lambda: periods.parse_range("31/02/19", "01/03/2019"),
            "Not a date: %(value)s (type it as 31/01/2019).",
        ),
        (
            lambda: periods.parse_range("01/03/2019", ""),
            "Give both the first and the last day of the period.",
        ),
        (
            lambda: periods.from_options(month="2019-03", year="2019"),
            "Give exactly one period: from and to, a month, a quarter, six months or a year.",
        ),
        (
            lambda: periods.from_options(
                date_from="2019-01-01", date_to="2019-01-31", statutory=True
            ),
            "A period from one day to another has no statutory variant.",
        ),
        (
            lambda: periods.from_query({"preset": "week"}, TODAY),
            "Unknown kind of period: %(value)s.",
        ),
        (
            lambda: periods.from_query(
                {"preset": "quarter", "quarter": "5", "year": "2019"}, TODAY
            ),
            "The quarter must be a number from 1 to 4: %(value)s.",
        ),
        (
            lambda: periods.from_query({"preset": "half", "half": "3"}, TODAY),
            "The half year must be 1 or 2: %(value)s.",
        ),
        (
            lambda: periods.from_query({"preset": "year", "year": "0042"}, TODAY),
            "The year must be a number from %(low)s to %(high)s: %(value)s.",
        ),
        (lambda: periods.last_months(D(1, 3, 31), 12), "The period is outside the calendar."),
        # Longer than int() converts (4,300 digits), and digits that are not ASCII.
        (
            lambda: periods.from_query({"preset": "year", "year": "9" * 10000}, TODAY),
            "The year must be a number from %(low)s to %(high)s: %(value)s.",
        ),
        (
            lambda: periods.from_query({"preset": "year", "year": "²⁰¹⁹"}, TODAY),
            "The year must be a number from %(low)s to %(high)s: %(value)s.",
        ),
    ],
)
def test_invalid_input_raises_the_one_error_with_its_message(call, msgid):
    with pytest.raises(PeriodError) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert caught.value.msgid == msgid
    assert str(caught.value) == msgid % caught.value.params


def test_the_message_is_translated_on_the_page_and_in_the_command(app, client, login_as):
    login_as("manager")
    html = client.get(
        "/report/?preset=quarter&quarter=5&year=2019", follow_redirects=True
    ).get_data(as_text=True)
    assert "Kỳ báo cáo không hợp lệ" in html and "Quý phải là số từ 1 đến 4: 5." in html
    this_month = periods.from_query({}, clock.today())  # shown instead, counted up to today
    end = periods.counted_until(this_month.start, this_month.end, clock.today())
    assert f"Từ ngày {this_month.start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}" in html
    result = app.test_cli_runner().invoke(args=["report", "--half", "2019-H3", "--format", "json"])
    assert result.exit_code == 2
    assert "Kỳ sáu tháng được viết dạng 2019-H1: 2019-H3." in result.output
    assert "Six months are written 2019-H1: 2019-H3." in result.output
    html = client.get("/dossier/register/?from=31/03/2019&to=01/03/2019").get_data(as_text=True)
    assert "Ngày kết thúc kỳ báo cáo trước ngày bắt đầu." in html


# ---- the same Period from the page's and the command's inputs ------------------------------------


@pytest.mark.parametrize(
    "query, options",
    [
        ({"preset": "month", "month": "3", "year": "2019"}, {"month": "2019-03"}),
        ({"preset": "month", "month": "2019-03"}, {"month": "2019-03"}),
        (
            {"preset": "cutoff", "month": "1", "year": "2019"},
            {"month": "2019-01", "statutory": True},
        ),
        ({"preset": "quarter", "quarter": "3", "year": "2019"}, {"quarter": "2019-Q3"}),
        ({"preset": "quarter", "quarter": "2019-Q3"}, {"quarter": "2019-Q3"}),
        (
            {"preset": "quarter", "quarter": "1", "year": "2019", "statutory": "1"},
            {"quarter": "2019-Q1", "statutory": True},
        ),
        ({"preset": "half", "half": "2", "year": "2019"}, {"half": "2019-H2"}),
        ({"preset": "year", "year": "2019"}, {"year": "2019"}),
        ({"preset": "year", "year": "2019", "statutory": "1"}, {"year": "2019", "statutory": True}),
        (
            {"preset": "range", "from": "01/03/2019", "to": "25/03/2019"},
            {"date_from": "2019-03-01", "date_to": "2019-03-25"},
        ),
    ],
)
def test_page_and_command_read_the_same_period(query, options):
    assert periods.from_query(query, TODAY) == periods.from_options(**options)


def test_the_command_and_the_page_report_the_statutory_year(app, client, login_as):
    result = app.test_cli_runner().invoke(
        args=["report", "--year", "2019", "--statutory", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["period"] == {"from": "2018-12-15", "to": "2019-12-14"}
    login_as("manager")
    html = client.get("/report/?preset=year&year=2019&statutory=1").get_data(as_text=True)
    assert "Từ ngày 15/12/2018 đến ngày 14/12/2019" in html


def test_page_defaults_are_today():
    assert periods.from_query({}, TODAY) == Period.for_month(2026, 11)
    assert periods.from_query({"preset": "quarter"}, TODAY) == Period.for_quarter(2026, 4)
    assert periods.from_query({"preset": "cutoff"}, TODAY) == Period.for_month(2026, 11, True)
    default = periods.year_to_date(TODAY)
    assert periods.from_dates("", "", default) == default
    assert periods.from_dates("01/03/2026", "", default) == Period.between(D(2026, 3, 1), TODAY)


# ---- the bounds on real rows, both databases ---------------------------------------------------


def test_bounds_keep_the_last_moment_and_drop_the_next_day(app):
    """A payment at 23:59:59 on the last day counts; one at 00:00 the next day does not — the
    same for the report and for the totals pages (one function, one pair of bounds)."""

    with app.app_context():
        agency = create_agency()
        procedure = Procedure(code="1.000001", name="Thủ tục", agency=agency, processing_days=5)
        dossier = Dossier(
            code="X-190301-0001",
            procedure=procedure,
            agency=agency,
            applicant_name="A",
            channel="direct",
            status=2,
            accepted_at=T(2019, 3, 1, 8),
            due_date=D(2019, 3, 8),
        )
        db.session.add_all([procedure, dossier])
        db.session.add_all(
            [
                Payment(dossier=dossier, amount_vnd=1000, method="cash", paid_at=T(2019, 3, 1)),
                Payment(
                    dossier=dossier,
                    amount_vnd=20000,
                    method="cash",
                    paid_at=T(2019, 3, 31, 23, 59, 59),
                ),
                Payment(dossier=dossier, amount_vnd=300000, method="cash", paid_at=T(2019, 4, 1)),
                Payment(
                    dossier=dossier,
                    amount_vnd=4000000,
                    method="cash",
                    paid_at=T(2019, 2, 28, 23, 59, 59),
                ),
            ]
        )
        db.session.commit()
        march = Period.for_month(2019, 3)
        assert build_report(db.session, march.start, march.end)["fees_collected_vnd"] == 21000
        rows = payments.payment_totals(db.session, march.start, march.end)
        assert sum(r.amount_vnd for r in rows) == 21000
        cutoff = Period.for_month(2019, 4, statutory=True)  # 15/03 -> 14/04
        assert payments.fees_collected_vnd(db.session, cutoff.start, cutoff.end) == 320000


def test_feedback_answered_after_the_period_counts_nowhere(app, client, login_as):
    """Report and totals page share one SQL: an answer given after the period's end is not
    "answered" in either."""
    with app.app_context():
        agency = create_agency(code="GT")
        for answered_at in (T(2019, 3, 20, 9), T(2019, 4, 2, 9)):
            db.session.add(
                Feedback(
                    channel="portal",
                    received_at=T(2019, 3, 5, 8),
                    sender="S",
                    subject="s",
                    content="c",
                    agency=agency,
                    due_date=D(2019, 3, 19),
                    status="answered",
                    answer="a",
                    answered_at=answered_at,
                )
            )
        db.session.commit()
        report = build_report(db.session, D(2019, 3, 1), D(2019, 3, 31))["feedback"]
        summary = fb.feedback_summary(db.session, D(2019, 3, 1), D(2019, 3, 31), today=TODAY)
    assert report == {"received": 2, "answered": 1, "answered_on_time": 0}
    assert {k: summary[k] for k in report} == report
    login_as("manager")
    page = client.get("/feedback/totals/?from=01/03/2019&to=31/03/2019").get_data(as_text=True)
    assert "0,00%" in page  # answered on time / answered = 0 / 1


@pytest.mark.browser
def test_manager_picks_the_statutory_year_in_chromium(app, live_server, page):
    """The checkbox of the statutory cut-off is offered for a quarter, six months or a year, is
    sent only with them, and gives 15/12 of the year before -> 14/12."""

    with app.app_context():
        create_user("manager1", "manager")
        db.session.commit()
    page.goto(f"{live_server}/report/")
    page.fill("#username", "manager1")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{live_server}/report/*")
    page.select_option("#preset", "month")
    assert not page.is_visible("#statutory")  # a month's cut-off is the "cutoff" kind
    page.select_option("#preset", "year")
    page.select_option("#year", "2019")
    page.check("#statutory")
    with page.expect_navigation(url=lambda u: "statutory=1" in u and "year=2019" in u):
        page.click("#report-show")
    assert page.inner_text("#report-period") == "Từ ngày 15/12/2018 đến ngày 14/12/2019"
    assert page.is_checked("#statutory")
    with page.expect_download() as download:  # the form as it is, to the workbook
        page.click("#report-xlsx")
    assert download.value.suggested_filename == "bao-cao-06a_20181215_20191214.xlsx"
    shots = Path("/tmp/figures-shots")
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "statutory-year.png"))
    page.select_option("#preset", "range")  # the checkbox is not sent with a range
    page.fill("#from", "01/03/2019")
    page.fill("#to", "31/03/2019")
    with page.expect_navigation(url=lambda u: "preset=range" in u):
        page.click("#report-show")
    assert "statutory" not in page.url
    assert page.inner_text("#report-period") == "Từ ngày 01/03/2019 đến ngày 31/03/2019"


def test_totals_pages_read_the_period_once(app, client, login_as):
    """The totals pages: the current year by default, one end typed keeps the default's other
    end, a refused period is said (same message as elsewhere) and the default shown."""
    login_as("manager")
    today = clock.today()
    default = f"{today.replace(month=1, day=1):%d/%m/%Y} – {today:%d/%m/%Y}"
    html = client.get("/payment/totals/").get_data(as_text=True)
    assert default in html
    html = client.get("/payment/totals/?from=01/03/2019&to=31/03/2019").get_data(as_text=True)
    assert "01/03/2019 – 31/03/2019" in html
    html = client.get("/courier_run/totals/?from=2019-03-01").get_data(as_text=True)
    assert f"01/03/2019 – {today:%d/%m/%Y}" in html
    html = client.get("/feedback/totals/?from=31/03/2019&to=01/03/2019").get_data(as_text=True)
    assert "Ngày kết thúc kỳ báo cáo trước ngày bắt đầu." in html and default in html
    html = client.get("/postal/totals/?from=31/02/2019&to=01/03/2019").get_data(as_text=True)
    assert "Ngày 31/02/2019 không có thật." in html and default in html
    html = client.get("/postal/totals/?from=31/02/19&to=01/03/2019").get_data(as_text=True)
    assert "Không phải ngày: 31/02/19" in html and default in html


def test_whole_months_within_a_span():
    D = dt.date
    assert periods.whole_months(D(2019, 1, 1), D(2019, 12, 31)) == (D(2019, 1, 1), D(2019, 12, 1))
    assert periods.whole_months(D(2019, 1, 15), D(2019, 3, 14)) == (D(2019, 2, 1), D(2019, 2, 1))
    assert periods.whole_months(D(2019, 3, 1), D(2019, 3, 31)) == (D(2019, 3, 1), D(2019, 3, 1))
    assert periods.whole_months(D(2019, 1, 2), D(2019, 1, 31)) is None
    assert periods.whole_months(D(2019, 12, 15), D(2020, 1, 14)) is None
    assert periods.whole_months(D(2020, 2, 1), D(2020, 2, 28)) is None  # 29 days that year


def test_a_report_counts_up_to_today_while_its_period_runs():
    march = periods.Period.for_month(2019, 3)
    counted = [
        periods.counted_until(march.start, march.end, dt.date(2019, 3, day)) for day in (1, 25)
    ]
    assert counted == [dt.date(2019, 3, 1), dt.date(2019, 3, 25)]
    for today in (dt.date(2019, 2, 28), dt.date(2019, 3, 31), dt.date(2019, 4, 1)):
        assert periods.counted_until(march.start, march.end, today) == march.end
