"""Deadlines of dossiers (design §5, §6): overdue, due soon, working days left or late, and the
early / on time / late classification of a closed dossier — each rule once, in Python for one
dossier and as SQL for many. The screens, the dashboard, the report and the printed forms call
these; "today" comes from domain.clock, the working calendar from domain.calendar.

Lateness is measured in working days and against `due_date` (the date moved by pauses); an
apology's `rescheduled_due_date` is a promise shown to the applicant, not the measure (§5).

The due moment (issue 13 point 4): `due_moment(dossier)` is the one answer to "when is it due,
date and time" (Mẫu 01's appointment, the intake page). A limit in working days is met any time on
its due date (§5, whole days: the 2019 history keeps its figures); a limit in working hours
(`Dossier.due_in_hours`) is met up to its moment: a result on the due date after `due_at` is late.
Early stays "before the due date" for both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, false, or_

from domain.calendar import DEFAULT_WORKING_HOURS, WorkingCalendar
from domain.status import CLOSED_STATUSES, PAUSED_STATUSES, RESOLVED_STATUSES, RUNNING_STATUSES
from models import Dossier

# "Due soon": due within this many working days from today (the supervision list, the filter).
DUE_SOON_WORKING_DAYS = 2
EARLY, ON_TIME, LATE = "early", "on_time", "late"
OUTCOMES = (EARLY, ON_TIME, LATE)


# ---- one dossier --------------------------------------------------------------------------------


def due_moment(dossier) -> dt.datetime | None:
    """When the dossier is due, date and time: the stored `due_at` (set at acceptance: the moment
    of a limit in hours, the end of the working day for a limit in days; moved by pauses); for a
    dossier accepted before due_at existed, the end of the default working day of its due date;
    None without a due date. An apology's new date is not this (effective_due_date)."""
    if dossier.due_at is not None:
        return dossier.due_at
    if dossier.due_date is None:
        return None
    return dt.datetime.combine(dossier.due_date, DEFAULT_WORKING_HOURS.end)


def hours_due_at(dossier) -> dt.datetime | None:
    """The moment that decides lateness on the due date: due_at for a limit in hours, else None
    (a limit in days: the whole due date counts)."""
    return dossier.due_at if dossier.due_in_hours else None


def effective_due_date(dossier) -> dt.date | None:
    """The date promised to the applicant: the apology's date if any, else the due date."""
    return dossier.rescheduled_due_date or dossier.due_date


def is_overdue(status, due: dt.date | None, today: dt.date) -> bool:
    """Open with the clock running and past its due date (a paused dossier is never overdue)."""
    return status in RUNNING_STATUSES and due is not None and due < today


def due_soon_horizon(calendar: WorkingCalendar, today: dt.date) -> dt.date:
    """The last day that is still "due soon": DUE_SOON_WORKING_DAYS working days after today."""
    return calendar.nth_working_day_after(today, DUE_SOON_WORKING_DAYS)


def is_due_soon(status, due: dt.date | None, today: dt.date, calendar: WorkingCalendar) -> bool:
    """Running and due between today and the horizon (both included)."""
    return (
        status in RUNNING_STATUSES
        and due is not None
        and today <= due <= due_soon_horizon(calendar, today)
    )


def days_left(calendar: WorkingCalendar, due: dt.date, today: dt.date) -> int:
    """Working days from `today` to the due date: > 0 before it, 0 on it, < 0 after it (minus the
    working days late). The one measure of lateness on every screen: the regulation counts
    working days."""
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


def days_late(calendar: WorkingCalendar, due: dt.date, today: dt.date) -> int:
    """Working days past the due date; 0 when not past it (or past it only by days off)."""
    return max(0, -days_left(calendar, due, today))


# The counting methods of the report: design §6 (the default) and the national portal's as read
# by peers (docs/legal.md, unconfirmed): a withdrawn or stopped dossier is compared with its due
# date like a result, and more than one supplement request makes the dossier late. A dossier
# waiting for a supplement is pending in time under both (paused: never overdue).
DESIGN, NATIONAL = "design", "national"
METHODS = (DESIGN, NATIONAL)


def outcome(
    status,
    closed_on: dt.date | None,
    due: dt.date | None,
    method: str = DESIGN,
    supplements: int = 0,
    *,
    closed_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
) -> str | None:
    """EARLY, ON_TIME or LATE for a dossier closed on `closed_on` (None while open): a result
    before its due date is early, on it on time, after it late; a withdrawn or stopped dossier,
    or one without a due date, counts on time (§6). NATIONAL: withdrawn/stopped compared with
    the due date too, and more than one supplement request (`supplements`) is late.
    A limit in hours: `due_at` (hours_due_at) and the closing moment `closed_at`: closed on the
    due date after due_at is late."""
    if closed_on is None:
        return None
    if method == NATIONAL and supplements > 1:
        return LATE
    if (status not in RESOLVED_STATUSES and method != NATIONAL) or due is None:
        return ON_TIME
    if closed_on < due:
        return EARLY
    if closed_on > due:
        return LATE
    after_moment = due_at is not None and closed_at is not None and closed_at > due_at
    return LATE if after_moment else ON_TIME


def result_outcome(dossier) -> str | None:
    """The outcome of the dossier's result (resolved_at against due_date), as the control sheet
    (form 05) prints it; None without a result or a due date."""
    if dossier.resolved_at is None or dossier.due_date is None:
        return None
    return outcome(
        dossier.status,
        dossier.resolved_at.date(),
        dossier.due_date,
        closed_at=dossier.resolved_at,
        due_at=hours_due_at(dossier),
    )


def closing_moment(status, accepted_at, resolved_at, closed_at):
    """closing_time of one dossier's values, in Python (None while open)."""
    if status in RESOLVED_STATUSES:
        close = resolved_at
    elif status in CLOSED_STATUSES:
        close = closed_at
    else:
        return None
    return accepted_at if close is not None and close < accepted_at else close


# ---- many dossiers: SQL criteria over Dossier, or a subquery `d` with its columns ---------------


def closing_time(d=Dossier):
    """When the dossier left the open statuses (None if still open): `resolved_at` for a result,
    `closed_at` when withdrawn or stopped; never before acceptance (bad legacy data is read as
    closed at the acceptance). `d`: the Dossier entity or a subquery with its columns."""
    raw = case(
        (d.status.in_(RESOLVED_STATUSES), d.resolved_at),
        (d.status.in_(CLOSED_STATUSES), d.closed_at),
        else_=None,
    )
    return case((raw < d.accepted_at, d.accepted_at), else_=raw)


def overdue_now(today: dt.date, d=Dossier):
    """SQL of is_overdue (uses the (status, due_date) index)."""
    return and_(d.status.in_(RUNNING_STATUSES), d.due_date < today)


def due_on(day: dt.date, d=Dossier):
    """SQL: running and due on `day` (the dashboard's "due today")."""
    return and_(d.status.in_(RUNNING_STATUSES), d.due_date == day)


def due_soon(today: dt.date, horizon: dt.date, d=Dossier):
    """SQL of is_due_soon; `horizon` from due_soon_horizon."""
    return and_(d.status.in_(RUNNING_STATUSES), d.due_date >= today, d.due_date <= horizon)


def overdue_or_due_soon(horizon: dt.date, d=Dossier):
    """SQL: running and due by the horizon (the supervision list: overdue or due soon)."""
    return and_(d.status.in_(RUNNING_STATUSES), d.due_date <= horizon)


def pending_overdue(on: dt.date, d=Dossier):
    """SQL for a dossier still pending on `on` (the report's end of period): overdue unless
    paused. Its current status may already be closed (closed after `on`), hence "not paused"
    rather than "running". IS NOT NULL: a dossier without due date is in time, not unknown."""
    return and_(d.status.notin_(PAUSED_STATUSES), d.due_date.is_not(None), d.due_date < on)


def outcome_criteria(
    status,
    close_day,
    due,
    method: str = DESIGN,
    supplements=None,
    *,
    closed_at=None,
    due_at=None,
    in_hours=None,
) -> dict:
    """SQL of `outcome` for closed dossiers: {EARLY: …, ON_TIME: …, LATE: …}, given the status
    column, the closing day (a DATE expression) and the due date column; NATIONAL also needs
    `supplements`, the number of supplement requests (an SQL expression). Limits in hours: the
    closing moment `closed_at`, and the columns due_at and due_in_hours (`in_hours`); without
    them every dossier is judged by its dates."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if in_hours is None:
        after_moment = false()
    else:  # due_in_hours implies due_at (a CHECK constraint); closed_at is set when closed
        after_moment = and_(in_hours, closed_at > due_at)
    on_due_day = and_(close_day == due, ~after_moment)
    late_day = or_(close_day > due, and_(close_day == due, after_moment))
    if method == DESIGN:
        with_result = status.in_(RESOLVED_STATUSES)
        return {
            EARLY: and_(with_result, close_day < due),
            ON_TIME: or_(~with_result, due.is_(None), on_due_day),
            LATE: and_(with_result, late_day),
        }
    many = supplements > 1
    return {
        EARLY: and_(~many, close_day < due),
        ON_TIME: and_(~many, or_(due.is_(None), on_due_day)),
        LATE: or_(many, late_day),
    }
