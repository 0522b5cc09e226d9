"""domain/deadlines.py: overdue, due soon, working days left / late, early / on time / late —
on the boundaries (due today, due on a holiday, resolved on the due date, late across a
weekend), and the SQL criteria agreeing with the Python rules on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from domain import deadlines
from domain.calendar import WorkingCalendar
from domain.reports import closing_time, day_of
from domain.status import OPEN_STATUSES, RUNNING_STATUSES, Status
from models import Dossier, Procedure, db
from tests.factories import create_agency

D = dt.date
CAL = WorkingCalendar()
FRI, SAT, SUN, MON = D(2019, 1, 25), D(2019, 1, 26), D(2019, 1, 27), D(2019, 1, 28)


def test_status_sets():
    assert RUNNING_STATUSES == (Status.ACCEPTED, Status.PROCESSING)
    assert set(OPEN_STATUSES) == {2, 4, 5, 6}
    assert Status(9) is Status.RESOLVED and Status.RESOLVED == 9  # the stored national code


@pytest.mark.parametrize("status", list(Status))
def test_overdue_only_while_running_and_after_the_due_day(status):
    running = status in (Status.ACCEPTED, Status.PROCESSING)
    assert deadlines.is_overdue(status, FRI, MON) is running
    assert deadlines.is_overdue(status, FRI, FRI) is False  # due today: not yet overdue
    assert deadlines.is_overdue(status, None, MON) is False


def test_due_today_is_due_soon_with_zero_days_left():
    assert deadlines.days_left(CAL, FRI, FRI) == 0
    assert deadlines.days_late(CAL, FRI, FRI) == 0
    assert deadlines.is_due_soon(Status.PROCESSING, FRI, FRI, CAL)
    assert not deadlines.is_due_soon(Status.AWAITING_SUPPLEMENT, FRI, FRI, CAL)  # paused
    assert not deadlines.is_due_soon(Status.PROCESSING, D(2019, 1, 24), FRI, CAL)  # overdue


def test_days_late_across_a_weekend():
    # Due Friday 25/01/2019: Saturday and Sunday are not working days.
    assert deadlines.is_overdue(Status.PROCESSING, FRI, SAT)
    assert (deadlines.days_left(CAL, FRI, SAT), deadlines.days_late(CAL, FRI, SAT)) == (0, 0)
    assert deadlines.days_late(CAL, FRI, SUN) == 0
    assert (deadlines.days_left(CAL, FRI, MON), deadlines.days_late(CAL, FRI, MON)) == (-1, 1)
    # Before it: Thursday has 1 working day left, the Saturday before has 5 (28/01 .. 01/02).
    assert deadlines.days_left(CAL, FRI, D(2019, 1, 24)) == 1
    assert deadlines.days_left(CAL, D(2019, 2, 1), SAT) == 5


def test_due_soon_over_a_holiday():
    # Tết 2019: 02/02 to 10/02 off. From Friday 01/02 the second working day is Tuesday 12/02.
    assert deadlines.due_soon_horizon(CAL, D(2019, 2, 1)) == D(2019, 2, 12)
    assert deadlines.is_due_soon(Status.ACCEPTED, D(2019, 2, 12), D(2019, 2, 1), CAL)
    assert not deadlines.is_due_soon(Status.ACCEPTED, D(2019, 2, 13), D(2019, 2, 1), CAL)
    # Late by one working day on the Monday after Tết, not by ten calendar days.
    assert deadlines.days_late(CAL, D(2019, 2, 1), D(2019, 2, 11)) == 1
    # A due date on a holiday (an override or an old record): today, nothing is left.
    holiday = D(2019, 2, 5)
    assert deadlines.days_left(CAL, holiday, holiday) == 0
    assert deadlines.days_left(CAL, holiday, D(2019, 2, 1)) == 0  # no working day until then
    assert deadlines.days_late(CAL, holiday, D(2019, 2, 11)) == 1


@pytest.mark.parametrize(
    ("status", "closed_on", "expected"),
    [
        (Status.RESOLVED, D(2019, 1, 24), deadlines.EARLY),
        (Status.RESOLVED, FRI, deadlines.ON_TIME),  # resolved exactly on its due date
        (Status.RETURNED, FRI, deadlines.ON_TIME),
        (Status.RESOLVED, SAT, deadlines.LATE),  # a day later, even a day off
        (Status.RETURNED, MON, deadlines.LATE),
        (Status.WITHDRAWN, MON, deadlines.ON_TIME),  # withdrawn / stopped: on time (§6)
        (Status.STOPPED, D(2019, 3, 1), deadlines.ON_TIME),
        (Status.PROCESSING, None, None),  # open: no outcome
    ],
)
def test_outcome(status, closed_on, expected):
    assert deadlines.outcome(status, closed_on, FRI) == expected


def test_outcome_without_due_date_and_result_outcome():
    assert deadlines.outcome(Status.RESOLVED, MON, None) == deadlines.ON_TIME
    d = Dossier(status=Status.RESOLVED, due_date=FRI, resolved_at=dt.datetime(2019, 1, 25, 23, 59))
    assert deadlines.result_outcome(d) == deadlines.ON_TIME  # the date counts, not the hour
    d.resolved_at = dt.datetime(2019, 1, 26, 0, 0)
    assert deadlines.result_outcome(d) == deadlines.LATE
    d.resolved_at = None
    assert deadlines.result_outcome(d) is None


def test_effective_due_date_is_the_apology_date_if_any():
    d = Dossier(due_date=FRI)
    assert deadlines.effective_due_date(d) == FRI
    d.rescheduled_due_date = D(2019, 2, 14)
    assert deadlines.effective_due_date(d) == D(2019, 2, 14)


CASES = [  # (status, due date, closing day or None)
    (Status.ACCEPTED, D(2019, 1, 24), None),
    (Status.PROCESSING, FRI, None),
    (Status.PROCESSING, MON, None),
    (Status.PROCESSING, D(2019, 1, 29), None),
    (Status.AWAITING_SUPPLEMENT, D(2019, 1, 24), None),
    (Status.AWAITING_PAYMENT, FRI, None),
    (Status.RESOLVED, FRI, D(2019, 1, 24)),
    (Status.RESOLVED, FRI, FRI),
    (Status.RETURNED, FRI, MON),
    (Status.WITHDRAWN, FRI, MON),
    (Status.STOPPED, FRI, FRI),
]


def test_sql_criteria_agree_with_the_python_rules(app):
    """Each SQL criterion selects exactly the dossiers its Python twin accepts (SQLite and
    PostgreSQL), on the boundaries above; today is Friday 25/01/2019, the due day of some."""
    today, horizon = FRI, deadlines.due_soon_horizon(CAL, FRI)
    with app.app_context():
        agency = create_agency()
        procedure = Procedure(
            code="1.000001", name="Thủ tục thử", agency=agency, processing_days=3, level="province"
        )
        db.session.add(procedure)
        ids = {}
        for i, (status, due, closed) in enumerate(CASES):
            d = Dossier(
                procedure=procedure,
                agency=agency,
                applicant_name=f"Người {i}",
                status=status,
                due_date=due,
                accepted_at=dt.datetime(2019, 1, 21, 9),
            )
            stamp = dt.datetime.combine(closed, dt.time(15, 0)) if closed else None
            if status in (Status.RESOLVED, Status.RETURNED):
                d.resolved_at = stamp
            elif closed:
                d.closed_at = stamp
            db.session.add(d)
            db.session.flush()
            ids[d.id] = (status, due, closed)

        def selected(criterion):
            return set(db.session.scalars(select(Dossier.id).where(criterion)))

        def accepted(rule):
            return {i for i, case in ids.items() if rule(*case)}

        assert (
            selected(deadlines.overdue_now(today))
            == accepted(lambda s, due, closed: deadlines.is_overdue(s, due, today))
            != set()
        )
        assert (
            selected(deadlines.due_soon(today, horizon))
            == accepted(lambda s, due, closed: deadlines.is_due_soon(s, due, today, CAL))
            != set()
        )
        assert selected(deadlines.due_on(today)) == accepted(
            lambda s, due, closed: s in RUNNING_STATUSES and due == today
        )
        assert selected(deadlines.overdue_or_due_soon(horizon)) == (
            selected(deadlines.overdue_now(today)) | selected(deadlines.due_soon(today, horizon))
        )
        # Early / on time / late, over the closed dossiers (as the report counts them).
        closed = closing_time().is_not(None)
        criteria = deadlines.outcome_criteria(
            Dossier.status, day_of(closing_time()), Dossier.due_date
        )
        for key in deadlines.OUTCOMES:
            assert (
                selected(closed & criteria[key])
                == accepted(lambda s, due, day, key=key: deadlines.outcome(s, day, due) == key)
                != set()
            )
        db.session.rollback()
