"""What was open at the report's period boundaries, kept computed (issue 16): the report's stocks
(carried over at the start of a period, pending in time / overdue at its end) without reading
every dossier open at those instants for each report.

The instants kept are 00:00 of the 1st and of the 15th of each month (the starts and ends of the
calendar and statutory periods, domain/periods.py): per instant, agency (the dossier's) and
procedure, the dossiers open then and of those the overdue ones (and their ids: the late
list), judged on the day before the instant (the end of a period ending there:
deadlines.pending_overdue). Rows are per procedure, not per field or level: the report joins
the procedure when it reads them, so editing the catalog leaves them true. An instant of another day (a from–to period) is counted live.

Kept like the dashboard's months (domain/month_figures.py, the same `keep` / `forget`): a change
to a dossier (added, changed, removed through the ORM) raises, in the same transaction, the
version of each kept instant where what the dossier adds differs before and after the change
(`instants_touched`, the Python twin of reports.open_dossiers and deadlines.pending_overdue);
the report counts a stale instant live and stores it aside if its version did not move
meanwhile. Normal life does not touch a past instant: an intake is open only after now, a
dossier resolved now was open at the past instants either way; a change to a dossier open then
does (a pause or a due date moved while it was overdue, a corrected acceptance or closing time,
an agency moved, a deletion). An instant is stored only once it has passed (not after today),
and a change marks the instants up to tomorrow one by one (an upsert: a view storing one at the
same time waits for it) and any later one in a single UPDATE.

Writes that bypass the ORM (the bulk seed) are followed by forget_all() (domain/sql.py
gather_statistics)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    event,
    func,
    inspect,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from domain import clock, deadlines, month_figures
from domain.sql import among
from domain.status import CLOSED_STATUSES, OPEN_STATUSES, PAUSED_STATUSES, RESOLVED_STATUSES
from models import Dossier, OpenSnapshot, OpenSnapshotOverdue, OpenSnapshotRow, Procedure

ONE_DAY = dt.timedelta(days=1)
KEPT_DAYS = (1, 15)  # of the month: period boundaries (calendar and statutory)
# The columns what a dossier adds to an instant depends on (all with active_history: their
# value before a change is known at flush).
COLUMNS = (
    "status",
    "agency_id",
    "procedure_id",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "due_date",
)


def kept(day: dt.date) -> bool:
    """00:00 of `day` is an instant kept computed."""
    return day.day in KEPT_DAYS


def kept_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The kept days in [first, last]."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        for n in KEPT_DAYS:
            day = month.replace(day=n)
            if first <= day <= last:
                out.append(day)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


# ---- reading --------------------------------------------------------------------------------------


class Stock(NamedTuple):
    """What was open at an instant: rows [(agency id, procedure id, field id, level, open,
    overdue)] (the procedure's field and level as the catalog has them now; read from the kept
    rows: summed per agency, field and level, procedure id None), and the ids of the overdue
    dossiers (None when not asked for)."""

    rows: list
    overdue_ids: list | None


def read(session, days, count, today: dt.date | None = None, ids_on=()) -> tuple[dict, list]:
    """({day: Stock} for the instants 00:00 of `days`, the instants to keep: pass the second
    value to keep()). A kept instant that has passed (not after `today`) is read from its rows
    when they are current (the overdue ids only for the days in `ids_on`); any other is
    counted live by `count(day)` -> (rows, overdue ids), and kept when it is a kept instant
    that has passed. The versions, the rows and the ids of the current instants are one
    statement (read_query), read before anything is counted (a change committed meanwhile
    moves the versions, and keep() then stores nothing)."""
    today = today or clock.today()
    connection = session.connection()
    query = read_query(days, today, ids_on, connection.dialect.name)
    rows = connection.execute(*query) if query is not None else ()
    return read_from(rows, days, count, today, ids_on)


def read_query(days, today: dt.date, ids_on=(), dialect: str | None = None) -> tuple | None:
    """(statement, parameters) of read(), written for the database `dialect` (sql.among; None:
    for any): the kept instants of `days` that have passed; None when there is none (nothing
    to read)."""
    keepable = _keepable(days, today)
    if not keepable:
        return None
    params = {"days": keepable, "ids_on": [d for d in keepable if d in ids_on] or [None]}
    return _read_statement(dialect), params


def _keepable(days, today: dt.date) -> list[dt.date]:
    return [d for d in sorted(set(days)) if kept(d) and d <= today]


def read_from(rows, days, count, today: dt.date, ids_on=()) -> tuple[dict, list]:
    """read() from the rows of read_query (none when it was None)."""
    keepable = _keepable(days, today)
    versions: dict = {}
    stocks: dict = {}
    ids: dict = {}
    for day, version, filled, dossier_id, *row in rows:
        versions[day] = version
        if filled != version:
            continue
        stocks.setdefault(day, [])
        if day in ids_on:
            ids.setdefault(day, [])
        if dossier_id is not None:
            ids[day].append(dossier_id)
        elif row[0] is not None:
            stocks[day].append(tuple(row))
    out = {d: Stock(r, ids.get(d)) for d, r in stocks.items()}
    pending = []
    for day in sorted(set(days)):
        if day in out:
            continue
        counted, overdue_ids = count(day)
        out[day] = Stock([tuple(r) for r in counted], list(overdue_ids))
        if day in keepable:
            pending.append((day, versions.get(day), out[day]))
    return out, pending


@functools.cache  # built once per dialect: building it cost more than running it
def _read_statement(dialect: str | None):
    """SQL of read(): per kept instant of the parameter `days`, its version and filled, then
    (when current: filled = version) its rows summed per agency and the procedure's field and
    level, and for the instants of the parameter `ids_on` the overdue ids; (day, version,
    filled, dossier id, agency id, procedure id (NULL), field id, level, open, overdue), a row
    without the rows' part for an instant without rows or not current."""
    S, R, P, Late = OpenSnapshot, OpenSnapshotRow, Procedure, OpenSnapshotOverdue
    current = and_(S.filled == S.version, among(dialect, S.day, "days"))
    # Typed NULLs: PostgreSQL types a column of the union by its first two parts.
    no_id = cast(null(), Integer)
    nothing = [no_id, no_id, no_id, cast(null(), String), no_id, no_id]
    instants = select(S.day, S.version, S.filled, no_id, *nothing).where(
        among(dialect, S.day, "days")
    )
    # Summed per agency, field and level (the report's groups): a third of the rows.
    group = (S.day, S.version, S.filled, R.agency_id, P.field_id, P.level)
    counted = (
        select(S.day, S.version, S.filled, no_id, R.agency_id, no_id)
        .add_columns(P.field_id, P.level, func.sum(R.open), func.sum(R.overdue))
        .join(R, R.day == S.day)
        .join(P, P.id == R.procedure_id)
        .where(current)
        .group_by(*group)
    )
    overdue = (
        select(S.day, S.version, S.filled, Late.dossier_id, *nothing)
        .join(Late, Late.day == S.day)
        .where(current, among(dialect, S.day, "ids_on"))
    )
    return union_all(instants, counted, overdue)


def keep(session, pending: list) -> None:
    """Store the instants counted by read() whose version has not moved since it was read (the
    caller commits): month_figures.keep_versions over the snapshot tables."""
    rows_table, ids_table = OpenSnapshotRow.__table__, OpenSnapshotOverdue.__table__
    month_figures.keep_versions(
        session,
        OpenSnapshot.__table__,
        "day",
        [
            (
                day,
                version,
                {
                    rows_table: [
                        {"day": day, "agency_id": a, "procedure_id": p, "open": n, "overdue": o}
                        for a, p, _field, _level, n, o in stock.rows
                    ],
                    ids_table: [{"day": day, "dossier_id": i} for i in stock.overdue_ids],
                },
            )
            for day, version, stock in pending
        ],
    )


# ---- made stale ---------------------------------------------------------------------------------


def forget(session, days) -> None:
    """These instants stale (their versions raised; a version row made for those without)."""
    month_figures.forget_versions(session, OpenSnapshot.__table__, "day", days)


def forget_from(session, day: dt.date) -> None:
    """Every kept instant from `day` on stale (those that have a version row)."""
    table = OpenSnapshot.__table__
    session.execute(update(table).where(table.c.day >= day).values(version=table.c.version + 1))


def forget_all(session) -> None:
    """Every kept instant stale, and a version row for each from the earliest acceptance to
    tomorrow (so that the next report keeps what it counts): after writes that bypass the ORM
    (the bulk seed)."""
    table = OpenSnapshot.__table__
    session.execute(update(table).values(version=table.c.version + 1))
    first = session.scalar(select(func.min(Dossier.accepted_at)))
    if first is None:
        return
    month_figures.add_versions(
        session, table, "day", kept_days(first.date(), clock.today() + ONE_DAY)
    )


def _share(get):
    """What a dossier adds to the instants, given its values: (first day open, last day open or
    None, (agency id, procedure id), day from which it is overdue or None, paused or not) — open
    at 00:00 of day D when it was accepted before and not closed by then (reports.open_dossiers:
    a closed status without its closing time is open), overdue then when not paused now and
    due before D - 1 (deadlines.pending_overdue on the day before). None: never open."""
    status, accepted = get("status"), get("accepted_at")
    if accepted is None or status not in (*OPEN_STATUSES, *RESOLVED_STATUSES, *CLOSED_STATUSES):
        return None
    close = deadlines.closing_moment(status, accepted, get("resolved_at"), get("closed_at"))
    due = get("due_date")
    overdue_from = due + 2 * ONE_DAY if due is not None and status not in PAUSED_STATUSES else None
    return (
        accepted.date() + ONE_DAY,
        close.date() if close is not None else None,
        (get("agency_id"), get("procedure_id")),
        overdue_from,
    )


def _at(share, day: dt.date):
    """What the dossier (its _share) adds to the instant 00:00 of `day`: None, or (agency id,
    procedure id, overdue)."""
    if share is None:
        return None
    first, last, key, overdue_from = share
    if day < first or (last is not None and day > last):
        return None
    return (*key, overdue_from is not None and day >= overdue_from)


def _breaks(share) -> list[dt.date]:
    """The days from which what the dossier adds may change."""
    if share is None:
        return []
    first, last, _key, overdue_from = share
    return [d for d in (first, last + ONE_DAY if last else None, overdue_from) if d is not None]


def differing_days(before, after, until: dt.date) -> tuple[list[dt.date], dt.date | None]:
    """(the kept days up to `until` where the two shares add differently, the first day after
    `until` from which they may differ, or None): what adds is constant between the days of
    _breaks, so each stretch between them is judged once."""
    if before == after:
        return [], None
    starts = sorted({*_breaks(before), *_breaks(after)})
    days, later = [], None
    for i, start in enumerate(starts):
        if _at(before, start) == _at(after, start):
            continue
        end = starts[i + 1] - ONE_DAY if i + 1 < len(starts) else None
        if start > until:
            later = start if later is None else min(later, start)
            continue
        days += kept_days(start, until if end is None or end > until else end)
        if end is None or end > until:
            later = until + ONE_DAY if later is None else min(later, until + ONE_DAY)
    return days, later


def touched(session, objects, today: dt.date | None = None) -> tuple[set, dt.date | None]:
    """(the kept days up to tomorrow whose rows the flush of these dossiers (added, changed, or
    removed: in session.deleted) changes, the first later day from which they may change, or
    None)."""
    until = (today or clock.today()) + ONE_DAY
    days: set = set()
    later = None
    for obj in objects:
        state = inspect(obj)
        removed = state.deleted or obj in session.deleted
        now = None if removed else _share(lambda a, obj=obj: getattr(obj, a))
        before = (
            None
            if state.key is None
            else _share(lambda a, obj=obj: month_figures.value_before(obj, a))
        )
        found, after = differing_days(before, now, until)
        days.update(found)
        if after is not None:
            later = after if later is None else min(later, after)
    return days, later


def _stale(session, flush_context, instances):
    objects = month_figures.flushed(session, Dossier)
    if not objects:
        return
    with session.no_autoflush:
        days, later = touched(session, objects)
    forget(session, days)
    if later is not None:
        forget_from(session, later)


def install() -> None:
    """Make the instants stale in each flush's transaction (called by create_app)."""
    if not event.contains(Session, "before_flush", _stale):
        event.listen(Session, "before_flush", _stale)
