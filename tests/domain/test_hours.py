"""Cut-off hour and limits in working hours (issue 13 point 4): domain/calendar.py (working
hours, cut-off), domain/intake.due, accept_dossier storing due_date / due_at / due_in_hours,
deadlines.due_moment, pauses moving the moment, and the report judging a limit in hours by its
due moment (Python and SQL agreeing) on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from domain import deadlines, intake
from domain import lifecycle as lc
from domain.calendar import DEFAULT_WORKING_HOURS, WorkingCalendar, WorkingHours
from domain.reports import build_report
from domain.status import Status
from models import Dossier, Procedure, db
from tests.factories import create_agency, create_user

UNIT = "000.00.20.H37"
T, D = dt.datetime, dt.date
CAL = WorkingCalendar()
# Friday 29/08/2025, before National Day 2025 (Monday 01/09 and Tuesday 02/09 off): the next
# working day is Wednesday 03/09/2025, the one after it Thursday 04/09.
FRI = D(2025, 8, 29)
WED, THU = D(2025, 9, 3), D(2025, 9, 4)
FIFTEEN = dt.time(15, 0)


def test_the_calendar_knows_the_holiday_used_below():
    assert CAL.is_working_day(FRI) and CAL.is_working_day(WED)
    assert not any(CAL.is_working_day(D(2025, 9, d)) for d in (1, 2))


def test_default_working_hours_and_their_setting_text():
    hours = WorkingHours.parse("07:30-11:30, 13:30-17:00")
    assert hours == DEFAULT_WORKING_HOURS and str(hours) == "07:30-11:30,13:30-17:00"
    assert (hours.start, hours.end) == (dt.time(7, 30), dt.time(17, 0))
    assert hours.hours_per_day == 7.5  # the sessions as given; see docs/legal.md §4
    assert WorkingHours.parse("07:00-11:30,13:30-17:00").hours_per_day == 8
    for bad in ("", "7h30-11h30", "11:30-07:30", "07:30-11:30,11:00-17:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            WorkingHours.parse(bad)


@pytest.mark.parametrize(
    "accepted, days, due",
    [
        (T(2025, 8, 29, 14, 59), 0, FRI),  # "trong ngày": before the cut-off, the same day
        (T(2025, 8, 29, 15, 1), 0, WED),  # after it: the next working day, over the holiday
        (T(2025, 8, 29, 15, 0), 0, FRI),  # at 15:00 sharp: not after it
        (T(2025, 8, 29, 14, 59), 1, WED),
        (T(2025, 8, 29, 15, 1), 1, THU),
    ],
)
def test_cutoff_on_a_friday_before_a_holiday(accepted, days, due):
    assert CAL.due_date(accepted, days, FIFTEEN) == due
    assert CAL.due_date(accepted, days) == CAL.due_date(accepted.date(), days)  # no cut-off


def test_cutoff_after_hours_on_a_day_off_changes_nothing():
    # Saturday 30/08/2025 16:00: the clock starts on the next working day either way.
    assert CAL.clock_start(T(2025, 8, 30, 16, 0), FIFTEEN) == WED == CAL.clock_start(D(2025, 8, 30))


def test_hours_accepted_at_1630_with_4_hours():
    # 16:30-17:00 (half an hour), then 07:30-11:00 of the next working day.
    assert CAL.due_moment(T(2025, 8, 28, 16, 30), 4) == T(2025, 8, 29, 11, 0)  # Thu -> Fri
    assert CAL.due_moment(T(2025, 8, 29, 16, 30), 4) == T(2025, 9, 3, 11, 0)  # over the holiday
    # With a 15:00 cut-off the count starts at 07:30 of the next working day: 4 hours -> 11:30.
    assert CAL.due_moment(T(2025, 8, 29, 16, 30), 4, FIFTEEN) == T(2025, 9, 3, 11, 30)


def test_hours_over_the_lunch_break_and_outside_hours():
    assert CAL.due_moment(T(2025, 8, 28, 10, 0), 2) == T(2025, 8, 28, 14, 0)  # 1.5 h + 0.5 h
    assert CAL.due_moment(T(2025, 8, 28, 9, 30), 2) == T(2025, 8, 28, 11, 30)  # ends at 11:30
    assert CAL.due_moment(T(2025, 8, 28, 12, 0), 1) == T(2025, 8, 28, 14, 30)  # lunch: from 13:30
    assert CAL.due_moment(T(2025, 8, 28, 6, 0), 1) == T(2025, 8, 28, 8, 30)  # before opening
    assert CAL.due_moment(T(2025, 8, 28, 18, 0), 1) == T(2025, 8, 29, 8, 30)  # after closing
    assert CAL.due_moment(T(2025, 8, 28, 8, 0), 14) == T(2025, 8, 29, 16, 30)  # 7 h + 7 h
    # Configured sessions of 8 hours: 07:00-11:30, 13:30-17:00.
    eight = WorkingCalendar(hours=WorkingHours.parse("07:00-11:30,13:30-17:00"))
    assert eight.due_moment(T(2025, 8, 28, 16, 30), 4) == T(2025, 8, 29, 10, 30)
    assert eight.working_hours_between(T(2025, 8, 28, 7, 0), T(2025, 8, 29, 7, 0)) == 8


def test_overrides_count_for_hours():
    # A make-up working Saturday 30/08/2025 (override): 16:30 Friday + 4 h -> Saturday 11:00.
    cal = WorkingCalendar({D(2025, 8, 30): True})
    assert cal.due_moment(T(2025, 8, 29, 16, 30), 4) == T(2025, 8, 30, 11, 0)


def test_working_hours_between():
    assert CAL.working_hours_between(T(2025, 9, 3, 11, 0), T(2025, 9, 3, 12, 0)) == 0.5
    assert CAL.working_hours_between(T(2025, 8, 29, 16, 30), T(2025, 9, 3, 11, 0)) == 4
    assert CAL.working_hours_between(T(2025, 9, 3, 12, 0), T(2025, 9, 3, 11, 0)) == 0


# ---- stored at acceptance, on both databases -------------------------------------------------


@pytest.fixture
def world(db_session):
    agency = create_agency()
    clerk = create_user("clerk", "staff", [agency])
    procs = {
        "same_day_cutoff": Procedure(
            code="2.000815",
            name="Chứng thực bản sao từ bản chính",
            agency=agency,
            processing_days=0,
            cutoff_time=FIFTEEN,
        ),
        "days_cutoff": Procedure(
            code="2.000816", name="Thủ tục 1 ngày", agency=agency, processing_days=1
        ),
        "hours": Procedure(
            code="1.001234", name="Thủ tục 4 giờ", agency=agency, processing_hours=4
        ),
        "days": Procedure(code="1.000001", name="Thủ tục 3 ngày", agency=agency, processing_days=3),
    }
    procs["days_cutoff"].cutoff_time = FIFTEEN
    db_session.add_all(procs.values())
    db_session.commit()
    return {"agency": agency, "clerk": clerk, **procs}


def _accept(world, proc, at, calendar=None):
    dossier = Dossier(procedure=world[proc], applicant_name="Trần Thị B", channel="direct")
    lc.accept_dossier(db.session, dossier, world["clerk"], at, UNIT, calendar)
    db.session.commit()
    return dossier


def test_the_procedure_defaults_to_days_unless_hours_are_given(world):
    assert (world["hours"].processing_days, world["hours"].processing_hours) == (None, 4)
    assert (world["days"].processing_days, world["days"].processing_hours) == (3, None)
    loose = Procedure(code="1.000009", name="Không ghi thời hạn", agency=world["agency"])
    db.session.add(loose)
    db.session.commit()
    assert (loose.processing_days, loose.processing_hours, loose.cutoff_time) == (0, None, None)


@pytest.mark.parametrize(
    "values",
    [
        {"processing_days": 2, "processing_hours": 4},  # both
        {"processing_days": None, "processing_hours": 0},  # zero hours: "same day" is 0 days
    ],
)
def test_exactly_one_time_limit_is_enforced_by_the_database(world, values):
    db.session.add(Procedure(code="1.000099", name="x", agency=world["agency"], **values))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_procedure_without_any_time_limit_is_refused(world):
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Procedure).where(Procedure.id == world["days"].id).values(processing_days=None)
        )
    db.session.rollback()


def test_a_dossier_in_hours_needs_its_moment(world):
    dossier = _accept(world, "days", T(2025, 8, 28, 9, 0))
    dossier.due_at, dossier.due_in_hours = None, True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "at, due_date, due_at",
    [
        (T(2025, 8, 29, 14, 59), FRI, T(2025, 8, 29, 17, 0)),
        (T(2025, 8, 29, 15, 1), WED, T(2025, 9, 3, 17, 0)),
    ],
)
def test_accepting_at_1459_and_1501_on_a_friday_before_a_holiday(world, at, due_date, due_at):
    dossier = _accept(world, "same_day_cutoff", at)
    assert (dossier.due_date, dossier.due_at, dossier.due_in_hours) == (due_date, due_at, False)
    assert deadlines.due_moment(dossier) == due_at
    one_day = _accept(world, "days_cutoff", at)
    assert one_day.due_date == (WED if at.minute == 59 else THU)


def test_accepting_an_hours_procedure_at_1630_with_4_hours(world):
    dossier = _accept(world, "hours", T(2025, 8, 29, 16, 30))
    db.session.expire_all()
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.due_in_hours is True
    assert (dossier.due_date, dossier.due_at) == (WED, T(2025, 9, 3, 11, 0))
    assert deadlines.due_moment(dossier) == T(2025, 9, 3, 11, 0)
    # The intake page's preview says the same as what is stored.
    when = intake.due(world["hours"], T(2025, 8, 29, 16, 30), CAL)
    assert (when.date, when.at, when.in_hours) == (WED, T(2025, 9, 3, 11, 0), True)


def test_accepting_with_configured_working_hours(world):
    cal = WorkingCalendar(hours=WorkingHours.parse("07:00-11:30,13:30-16:30"))
    hours = _accept(world, "hours", T(2025, 8, 28, 16, 0), cal)
    days = _accept(world, "days", T(2025, 8, 28, 9, 0), cal)
    assert hours.due_at == T(2025, 8, 29, 10, 30)  # 0.5 h + 3.5 h from 07:00
    assert days.due_at == T(2025, 9, 4, 16, 30)  # Fri, Wed, Thu: the end of the configured day


def test_due_moment_of_older_rows_and_without_a_due_date():
    older = Dossier(due_date=D(2019, 1, 31))
    assert deadlines.due_moment(older) == T(2019, 1, 31, 17, 0)
    assert deadlines.due_moment(Dossier()) is None


def test_a_pause_moves_the_due_moment_with_its_day(world):
    dossier = _accept(world, "hours", T(2025, 8, 28, 16, 30))  # due Fri 29/08 11:00
    clerk = world["clerk"]
    lc.transition(db.session, dossier, "transfer", clerk, T(2025, 8, 28, 16, 40))
    lc.transition(
        db.session, dossier, "request_supplement", clerk, T(2025, 8, 29, 8, 0), reason="Thiếu"
    )
    lc.transition(db.session, dossier, "supplement_received", clerk, T(2025, 9, 3, 9, 0))
    db.session.commit()
    # Paused 29/08 -> 03/09: one working day (03/09) -> due Wednesday 03/09 11:00.
    assert (dossier.due_date, dossier.due_at) == (WED, T(2025, 9, 3, 11, 0))
    # An apology promises a later date; the measure stays the due moment.
    lc.transition(
        db.session,
        dossier,
        "reschedule",
        clerk,
        T(2025, 9, 3, 10, 0),
        reason="Chờ xác minh",
        new_due_date=THU,
    )
    db.session.commit()
    assert (dossier.rescheduled_due_date, deadlines.due_moment(dossier)) == (
        THU,
        T(2025, 9, 3, 11, 0),
    )


# ---- lateness by the due moment ---------------------------------------------------------------


def _resolve(world, proc, accepted, resolved):
    dossier = _accept(world, proc, accepted)
    lc.transition(db.session, dossier, "transfer", world["clerk"], accepted)
    lc.transition(db.session, dossier, "resolve", world["clerk"], resolved)
    db.session.commit()
    return dossier


def test_python_outcome_by_the_due_moment(world):
    due = T(2025, 9, 3, 11, 0)  # accepted Friday 16:30, 4 hours
    cases = {
        T(2025, 9, 3, 11, 0): deadlines.ON_TIME,  # at the moment
        T(2025, 9, 3, 12, 0): deadlines.LATE,  # one working hour late (11:00-11:30, 13:30-14:00)
        T(2025, 8, 29, 16, 55): deadlines.EARLY,  # the day before
        T(2025, 9, 3, 8, 0): deadlines.ON_TIME,  # on the due day, before the moment
    }
    for resolved, expected in cases.items():
        dossier = _resolve(world, "hours", T(2025, 8, 29, 16, 30), resolved)
        assert dossier.due_at == due
        assert deadlines.result_outcome(dossier) == expected, resolved
    # A limit in days: the whole due date counts, whatever the hour (design §5; history unchanged).
    days = _resolve(world, "days", T(2025, 8, 28, 9, 0), T(2025, 9, 4, 18, 30))
    assert days.due_date == THU and days.due_at == T(2025, 9, 4, 17, 0)
    assert deadlines.result_outcome(days) == deadlines.ON_TIME


@pytest.mark.parametrize("method", [deadlines.DESIGN, deadlines.NATIONAL])
def test_report_counts_an_hours_dossier_one_working_hour_late(world, method):
    accepted = T(2025, 8, 29, 16, 30)  # due Wednesday 03/09/2025 11:00
    late = _resolve(world, "hours", accepted, T(2025, 9, 3, 14, 0))  # 11:00-11:30 + 13:30-14:00
    on_time = _resolve(world, "hours", accepted, T(2025, 9, 3, 11, 0))
    early = _resolve(world, "hours", accepted, T(2025, 8, 29, 16, 50))
    evening = _resolve(world, "days", T(2025, 8, 28, 9, 0), T(2025, 9, 4, 18, 30))
    assert CAL.working_hours_between(late.due_at, late.resolved_at) == 1
    report = build_report(db.session, D(2025, 8, 1), D(2025, 9, 30), method=method)
    totals = report["totals"]
    assert (totals["resolved_early"], totals["resolved_on_time"], totals["resolved_late"]) == (
        1,
        2,
        1,
    )
    assert [d["code"] for d in report["late_dossiers"]] == [late.code]
    (item,) = report["late_dossiers"]
    assert (item["days_late"], item["hours_late"]) == (0, 1.0)
    # The official form's rows agree with the totals.
    form = report["official_form"]["totals"]
    assert (form["resolved_on_time"], form["resolved_late"]) == (2, 1)
    # And the Python rule says the same of each dossier.
    assert [deadlines.result_outcome(d) for d in (late, on_time, early, evening)] == [
        deadlines.LATE,
        deadlines.ON_TIME,
        deadlines.EARLY,
        deadlines.ON_TIME,
    ]
    assert late.status == Status.RESOLVED
