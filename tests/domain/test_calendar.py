"""The working calendar and due-date rule of design §5: properties and real Vietnamese dates."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar, load_calendar
from models import CalendarDay

CAL = WorkingCalendar()
D = dt.date
days = st.dates(min_value=D(2018, 1, 1), max_value=D(2026, 12, 31))
limits = st.integers(min_value=0, max_value=40)


def _brute_count(calendar, after, until):
    """Independent count of the working days in (after, until], by enumeration."""
    return sum(
        calendar.is_working_day(after + dt.timedelta(days=i))
        for i in range(1, (until - after).days + 1)
    )


@settings(max_examples=150, deadline=None)
@given(days, limits)
def test_due_date_is_a_working_day_after_exactly_n_working_days(accepted, n):
    due = CAL.due_date(accepted, n)
    start = CAL.clock_start(accepted)
    assert CAL.is_working_day(due)
    assert CAL.is_working_day(start) and start >= accepted
    assert not any(
        CAL.is_working_day(accepted + dt.timedelta(days=i)) for i in range((start - accepted).days)
    )  # the clock starts at the first one
    assert _brute_count(CAL, start, due) == n
    assert CAL.working_days_between(start, due) == n
    if n == 0:
        assert due == start


@settings(max_examples=100, deadline=None)
@given(days, days, limits, limits)
def test_due_date_is_monotonic_in_start_and_limit(a, b, n, m):
    if a > b:
        a, b = b, a
    if n > m:
        n, m = m, n
    assert CAL.due_date(a, n) <= CAL.due_date(b, n)
    assert CAL.due_date(a, n) <= CAL.due_date(a, m)
    if n < m:
        assert CAL.due_date(a, n) < CAL.due_date(a, m)


@settings(max_examples=100, deadline=None)
@given(days, limits, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_pause_moves_due_by_the_working_days_inside_it(accepted, n, offset, length):
    due = CAL.due_date(accepted, n)
    started = accepted + dt.timedelta(days=offset)
    ended = started + dt.timedelta(days=length)
    moved = CAL.due_date_after_pause(due, started, ended)
    assert moved >= due
    assert _brute_count(CAL, due, moved) == _brute_count(CAL, started, ended)


def test_saturday_acceptance_counts_from_monday():
    # design §5 example: accepted Saturday 26/01/2019, N = 3 -> Monday 28/01 -> Thursday 31/01.
    accepted = dt.datetime(2019, 1, 26, 9, 30)
    assert CAL.clock_start(accepted) == D(2019, 1, 28)
    assert CAL.due_date(accepted, 3) == D(2019, 1, 31)
    assert CAL.due_date(accepted, 0) == D(2019, 1, 28)


def test_tet_2019():
    # Tết Kỷ Hợi: Saturday 02/02 to Sunday 10/02/2019 off; Friday 01/02 works.
    assert CAL.is_working_day(D(2019, 2, 1))
    for day in range(4, 9):
        assert not CAL.is_working_day(D(2019, 2, day))
    assert CAL.due_date(D(2019, 2, 1), 1) == D(2019, 2, 11)
    assert CAL.due_date(D(2019, 1, 30), 5) == D(2019, 2, 13)  # 31/01, 01/02, 11, 12, 13/02
    assert CAL.clock_start(D(2019, 2, 5)) == D(2019, 2, 11)


def test_tet_2020():
    # Tết Canh Tý: Thursday 23/01 to Wednesday 29/01/2020 off.
    assert CAL.is_working_day(D(2020, 1, 22))
    for day in (23, 24, 27, 28, 29):
        assert not CAL.is_working_day(D(2020, 1, day))
    assert CAL.due_date(D(2020, 1, 22), 1) == D(2020, 1, 30)
    # (20/01, 31/01]: only 21, 22, 30 and 31/01 are working days.
    assert CAL.working_days_between(D(2020, 1, 20), D(2020, 1, 31)) == 4


def test_substituted_day_off_and_make_up_saturday_2019():
    # 2019: Monday 29/04 is a substituted day off, made up by working Saturday 04/05.
    assert not CAL.is_working_day(D(2019, 4, 29))
    assert not CAL.is_working_day(D(2019, 4, 30))
    assert not CAL.is_working_day(D(2019, 5, 1))
    assert CAL.is_working_day(D(2019, 5, 4))
    # Friday 26/04 + 1 -> Thursday 02/05; + 3 -> Saturday 04/05 (the make-up day).
    assert CAL.due_date(D(2019, 4, 26), 1) == D(2019, 5, 2)
    assert CAL.due_date(D(2019, 4, 26), 3) == D(2019, 5, 4)
    assert CAL.due_date(D(2019, 4, 26), 4) == D(2019, 5, 6)
    # Accepted on the make-up Saturday: the clock starts that day.
    assert CAL.clock_start(D(2019, 5, 4)) == D(2019, 5, 4)


def test_override_beats_the_default():
    friday, saturday = D(2019, 3, 8), D(2019, 3, 9)
    calendar = WorkingCalendar({friday: False, saturday: True})
    assert CAL.is_working_day(friday) and not CAL.is_working_day(saturday)
    assert not calendar.is_working_day(friday) and calendar.is_working_day(saturday)
    assert CAL.due_date(D(2019, 3, 7), 1) == friday
    assert calendar.due_date(D(2019, 3, 7), 1) == saturday
    # An extra day off on a holiday-free Monday also shifts the due date.
    assert WorkingCalendar({D(2019, 3, 11): False}).due_date(friday, 1) == D(2019, 3, 12)


def test_pause_rule_example():
    # Due Thursday 31/01/2019; paused from Monday 28/01 to Wednesday 30/01: 29 and 30 count
    # (started_on < d <= ended_on), so the due date moves two working days: 01/02, then Tết
    # until 10/02, so Monday 11/02.
    assert CAL.due_date_after_pause(D(2019, 1, 31), D(2019, 1, 28), D(2019, 1, 30)) == D(
        2019, 2, 11
    )
    # A pause that starts and ends the same day moves nothing.
    assert CAL.due_date_after_pause(D(2019, 3, 15), D(2019, 3, 11), D(2019, 3, 11)) == D(
        2019, 3, 15
    )
    # A pause over a weekend only counts working days: Fri 08/03 -> Mon 11/03 is one day.
    assert CAL.due_date_after_pause(D(2019, 3, 15), D(2019, 3, 8), D(2019, 3, 11)) == D(2019, 3, 18)


def test_load_calendar_reads_overrides(db_session):

    db_session.add(CalendarDay(date=D(2019, 3, 9), is_working_day=True, note="làm bù"))
    db_session.commit()
    calendar = load_calendar(db_session)
    assert calendar.is_working_day(D(2019, 3, 9))
    assert calendar.due_date(D(2019, 3, 8), 1) == D(2019, 3, 9)


@settings(max_examples=300, deadline=None)
@given(days, days)
def test_working_days_between_counts_by_enumeration(a, b):
    """The running counts per year (issue 16: the late list counts years of days per dossier)
    give the count by enumeration, across years and in either order, with overrides."""
    calendar = WorkingCalendar({D(2021, 1, 2): True, D(2022, 12, 30): False})
    assert calendar.working_days_between(a, b) == (_brute_count(calendar, a, b) if b > a else 0)
