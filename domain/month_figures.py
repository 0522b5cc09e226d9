"""The dashboard's twelve months without reading a year of dossiers per view (issue 16: 250,000
dossiers a year): per month and agency, the dossiers received (by channel), closed, closed early
or on time, and the fees collected (figures named received:<channel>, closed, in_time, fees).

A whole month's figures are summed once from the report's counts of that month (report_month,
the sums of the per-day counts report_day: the report's rules and the fees of its payments,
kept current by domain/report_days.py and report_months.py), and kept in figure_month_row. A change to a dossier or a payment (added, changed, removed) raises the
version of each month whose figures it changes, in the same transaction (an ORM event, below):
for a dossier, the months where what it adds differs before and after the change (its
acceptance month when it becomes received or not, or changes agency or channel; its closing
month when it closes, or its closing or due date moves; its payments' months when its agency
changes); for a payment, the months of its payment date before and after. That month's rows are
stale until computed again by the next view. Rows are stored only if the month's version did not move while they were computed,
so a change committed meanwhile is never hidden. A month not whole within the window (the month
of today) is always counted live, up to the window's last day.

Writes that bypass the ORM (the bulk seed) are followed by forget_all() (domain/sql.py
gather_statistics, run after every bulk change)."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import bindparam, event, func, inspect, select, update
from sqlalchemy.orm import Session

from domain import periods
from domain.sql import CompiledOnce, insert_for, insert_rows, scoped
from domain.status import CLOSED_STATUSES, NOT_RECEIVED_STATUSES, RESOLVED_STATUSES
from models import (
    CHANNELS,
    Dossier,
    FigureMonth,
    FigureMonthRow,
    Payment,
    ReportDay,
    ReportMonth,
)

RECEIVED = "received:"  # + channel
CLOSED, IN_TIME, FEES = "closed", "in_time", "fees"

# The dates that place a dossier in a month.
DOSSIER_DATES = ("accepted_at", "resolved_at", "closed_at")


def month_key(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _month_end(start: dt.date) -> dt.date:
    return periods.add_months(start, 1) - dt.timedelta(days=1)


# ---- counting from the dossiers and payments -----------------------------------------------------


def count(session, first: dt.date, last: dt.date, agency_ids=None) -> dict:
    """{(YYYY-MM, agency id, figure): n} over the days [first, last]: the report's per-day
    counts summed by month (domain/report_days.py: received by channel, closed by outcome,
    withdrawn and stopped on time, by the report's rules; the fees of the payments not
    cancelled, by the dossier's agency)."""
    out: dict = {}
    _count_days(session, first, last, agency_ids, out)
    return out


def _count_days(session, first: dt.date, last: dt.date, agency_ids, out: dict) -> None:
    """Received by channel, closed and closed in time (early or on time), fees, by month and
    agency: the whole months of [first, last] summed from their report_month rows (kept equal to
    report_day's sums, domain/report_months.py), the days around them from report_day, by day
    (in the order of its key: no month expression a row), then by month here."""
    whole = periods.whole_months(first, last)
    if whole is None:
        parts = [(ReportDay, ReportDay.day, first, last)]
    else:
        first_month, last_month = whole
        parts = [
            (ReportDay, ReportDay.day, first, first_month - dt.timedelta(days=1)),
            (ReportMonth, ReportMonth.month, first_month, last_month),
            (ReportDay, ReportDay.day, periods.add_months(last_month, 1), last),
        ]
    for table, column, part_first, part_last in parts:
        if part_first > part_last:
            continue
        stmt = (
            select(
                column,
                table.agency_id,
                *(func.sum(table.__table__.c[f"received_{c}"]) for c in CHANNELS),
                func.sum(table.resolved_early + table.resolved_on_time + table.resolved_late),
                func.sum(table.resolved_early + table.resolved_on_time),
                func.sum(table.fees_vnd),
            )
            .where(column >= part_first, column <= part_last)
            .group_by(column, table.agency_id)
        )
        for day, agency, *n in session.execute(scoped(stmt, table.agency_id, agency_ids)):
            key = month_key(day)
            *received, closed, in_time, fees = (int(v or 0) for v in n)
            for channel, value in zip(CHANNELS, received):
                _add(out, (key, agency, f"{RECEIVED}{channel}"), value)
            if closed:  # in time stored beside closed, even when none was
                _add(out, (key, agency, CLOSED), closed)
                out[(key, agency, IN_TIME)] = out.get((key, agency, IN_TIME), 0) + in_time
            _add(out, (key, agency, FEES), fees)


def _add(out: dict, key: tuple, value: int) -> None:
    if value:
        out[key] = out.get(key, 0) + value


# ---- the months kept ------------------------------------------------------------------------------


def _months(first: dt.date, last: dt.date) -> tuple[list, list]:
    """(the first days of the months whole within [first, last], [start, end, False] of the
    parts of the others within it)."""
    whole, segments = [], []  # segments: [start, end, keep?]
    start = first.replace(day=1)
    while start <= last:
        end = _month_end(start)
        if start >= first and end <= last:
            whole.append(start)
        else:
            segments.append([max(start, first), min(end, last), False])
        start = periods.add_months(start, 1)
    return whole, segments


def _merged(segments: list, agency_ids) -> list:
    """Adjacent segments counted together (one pass) when they are counted alike: [start, end,
    keep?, [the segments]]."""
    segments.sort()
    merged: list = []
    for seg in segments:
        prev = merged[-1] if merged else None
        if (
            prev
            and prev[1] + dt.timedelta(days=1) == seg[0]
            and (agency_ids is None or prev[2] == seg[2])
        ):
            prev[1] = seg[1]
            prev[3].append(seg)
        else:
            merged.append([seg[0], seg[1], seg[2], [seg]])
    return merged


def figures(session, first: dt.date, last: dt.date, agency_ids=None) -> tuple[dict, list]:
    """({(YYYY-MM, agency id, figure): n} over [first, last], months to keep): whole months
    from the kept rows when they are current, the others counted (all agencies, to be kept:
    pass the second value to keep()); a month not whole within [first, last] counted live."""
    whole, segments = _months(first, last)
    keys = [month_key(m) for m in whole]
    versions, current = read_versions(session, FigureMonth.__table__, "month", keys)
    out: dict = {}
    if current:
        stmt = select(
            FigureMonthRow.month,
            FigureMonthRow.agency_id,
            FigureMonthRow.figure,
            FigureMonthRow.value,
        ).where(FigureMonthRow.month.in_(sorted(current)))
        for month, agency, figure, value in session.execute(
            scoped(stmt, FigureMonthRow.agency_id, agency_ids)
        ):
            out[(month, agency, figure)] = int(value)
    segments += [[m, _month_end(m), True] for m in whole if month_key(m) not in current]
    pending = []
    for seg_start, seg_end, keeping, parts in _merged(segments, agency_ids):
        counted = count(session, seg_start, seg_end, None if keeping else agency_ids)
        for part_start, _, part_keep in parts:
            key = month_key(part_start)
            rows = {k: v for k, v in counted.items() if k[0] == key}
            if part_keep:
                pending.append((key, versions.get(key), rows))
            if agency_ids is not None:
                allowed = set(agency_ids)
                rows = {k: v for k, v in rows.items() if k[1] in allowed}
            out.update(rows)
    return out, pending


def keep(session, pending: list) -> None:
    """Store the months counted by figures() whose version has not moved since it was read (the
    caller commits). A month never seen gets its version row now, and is stored next time."""
    rows_table = FigureMonthRow.__table__
    keep_versions(
        session,
        FigureMonth.__table__,
        "month",
        [
            (
                month,
                version,
                {
                    rows_table: [
                        {"month": m, "agency_id": a, "figure": f, "value": v}
                        for (m, a, f), v in rows.items()
                    ]
                },
            )
            for month, version, rows in pending
        ],
    )


def read_versions(session, table, key: str, values) -> tuple[dict, set]:
    """({key value: version}, the values whose rows are current (filled = version)) of a version
    table (`key`, version, filled), for these key values; read before anything is counted."""
    versions, current = {}, set()
    if values:
        for value, version, filled in session.execute(
            select(table.c[key], table.c.version, table.c.filled).where(table.c[key].in_(values))
        ):
            versions[value] = version
            if filled == version:
                current.add(value)
    return versions, current


def keep_versions(session, table, key: str, pending: list) -> None:
    """The mechanism of keep(), for any version table (`key`, version, filled) and its rows
    tables (`key`, ...). `pending`: [(key value, version read before counting or None,
    {rows table: [row dicts]})]; each stored only if its version has not moved (claimed:
    filled = version), the rows replacing the key's; a key without a version row gets one
    (stored next time)."""
    insert = insert_for(session)
    claimed: dict = {}  # rows table: ([keys claimed], [their rows])
    for value, version, tables in pending:
        if version is None:
            session.execute(
                insert(table)
                .values({key: value, "version": 0, "filled": None})
                .on_conflict_do_nothing(index_elements=[key])
            )
            continue
        if not session.execute(
            update(table)
            .where(table.c[key] == value, table.c.version == version)
            .values(filled=version)
        ).rowcount:
            continue  # changed meanwhile: counted again by a later view
        for rows_table, rows in tables.items():
            keys, kept = claimed.setdefault(rows_table, ([], []))
            keys.append(value)
            kept.extend(rows)
    # The claimed keys' rows replaced, a statement a table for them all.
    for rows_table, (keys, rows) in claimed.items():
        session.execute(rows_table.delete().where(rows_table.c[key].in_(keys)))
        insert_rows(session, rows_table, rows)


def forget(session, months) -> None:
    """The kept figures of these months (YYYY-MM) stale: their versions raised (in sorted
    order: concurrent changes lock the rows alike)."""
    forget_versions(session, FigureMonth.__table__, "month", months)


def forget_versions(session, table, key: str, values) -> None:
    """The mechanism of forget(), for any version table: the versions of these keys raised (a
    row made at version 1 for a key without one), in sorted order."""
    if not values:
        return
    _forget_statement(table, key).execute(session, [{key: v} for v in sorted(values)])


@functools.cache  # compiled once per version table (domain/sql.CompiledOnce)
def _forget_statement(table, key: str) -> CompiledOnce:
    def build(insert):
        return (
            insert(table)
            .values({key: bindparam(key), "version": 1, "filled": None})
            .on_conflict_do_update(index_elements=[key], set_={"version": table.c.version + 1})
        )

    return CompiledOnce(build)


def forget_all(session) -> None:
    """Every kept month stale, and a version row for each month from the earliest date of a
    dossier or payment to the latest (so that the next view keeps what it counts): after writes
    that bypass the ORM (the bulk seed)."""
    table = FigureMonth.__table__
    session.execute(update(table).values(version=table.c.version + 1))
    columns = [getattr(Dossier, attr) for attr in DOSSIER_DATES] + [Payment.paid_at]
    bounds = [
        v
        for v in session.execute(
            select(*(select(f(c)).scalar_subquery() for c in columns for f in (func.min, func.max)))
        ).one()
        if v is not None
    ]
    if not bounds:
        return
    months, day, last = [], min(bounds).date().replace(day=1), max(bounds).date()
    while day <= last:
        months.append(month_key(day))
        day = periods.add_months(day, 1)
    add_versions(session, table, "month", months)


def add_versions(session, table, key: str, values) -> None:
    """A version row (0, nothing stored) for each of these key values that has none: the next
    view keeps what it counts there."""
    values = list(values)
    for chunk in range(0, len(values), 500):
        session.execute(
            insert_for(session)(table)
            .values([{key: v, "version": 0, "filled": None} for v in values[chunk : chunk + 500]])
            .on_conflict_do_nothing(index_elements=[key])
        )


# ---- a change makes its months stale -------------------------------------------------------------


def _values(obj, attr: str) -> list:
    """The attribute's value now and, if it changed in this flush, before."""
    state = inspect(obj)
    values = [getattr(obj, attr)]
    if state.persistent or state.deleted:
        values += state.attrs[attr].history.deleted or []
    return values


def value_before(obj, attr: str):
    """The attribute's value before this flush's change (models: active_history)."""
    history = inspect(obj).attrs[attr].history
    if not history.has_changes():
        return getattr(obj, attr)
    return history.deleted[0] if history.deleted else None


def _share(get) -> set:
    """What a dossier adds to the month figures (count above), given its attribute values:
    (month, what counts there). Equal before and after a change: its months need no
    recount (a dossier resolved today leaves the month it was received in as it was)."""
    status, agency = get("status"), get("agency_id")
    out = set()
    accepted = get("accepted_at")
    if accepted is not None and status not in NOT_RECEIVED_STATUSES:
        out.add((month_key(accepted), RECEIVED, agency, get("channel")))
    if accepted is None:  # never received: closed in no month (report_days)
        return out
    resolved, closed = get("resolved_at"), get("closed_at")
    # Closed before its acceptance (bad legacy data): in the acceptance's month, as report_day.
    if status in RESOLVED_STATUSES and resolved is not None:
        # the lateness: the day and moment against the due date, or moment in hours
        due = (get("due_date"), get("due_at"), get("due_in_hours"))
        out.add((month_key(max(resolved, accepted)), CLOSED, agency, resolved, *due))
    if status in CLOSED_STATUSES and closed is not None:  # withdrawn, stopped: on time
        out.add((month_key(max(closed, accepted)), CLOSED, agency, closed))
    return out


def months_touched(session, objects) -> set[str]:
    """The months whose figures the flush of `objects` (added, changed or removed) changes."""
    months: set[str] = set()
    days: list = []
    for obj in objects:
        state = inspect(obj)
        if isinstance(obj, Dossier):
            # (in before_flush a removed object is in session.deleted; state.deleted only after)
            removed = state.deleted or obj in session.deleted
            now = set() if removed else _share(lambda attr, obj=obj: getattr(obj, attr))
            before = (
                set()
                if state.key is None
                else _share(lambda attr, obj=obj: value_before(obj, attr))
            )
            months |= {share[0] for share in now ^ before}
            if state.key is not None and (
                removed or value_before(obj, "agency_id") != obj.agency_id
            ):
                # its payments count under its agency
                days += session.scalars(
                    select(Payment.paid_at).where(Payment.dossier_id == state.identity[0])
                ).all()
        elif isinstance(obj, Payment):
            days += _values(obj, "paid_at")
    return months | {month_key(d) for d in days if d is not None}


def flushed(session, types) -> list:
    """The objects of these types that the coming flush adds, removes or changes (a column)."""
    return [obj for obj in (*session.new, *session.deleted) if isinstance(obj, types)] + [
        obj
        for obj in session.dirty
        if isinstance(obj, types) and session.is_modified(obj, include_collections=False)
    ]


def _stale_months(session, flush_context, instances):
    objects = flushed(session, (Dossier, Payment))
    if not objects:
        return
    with session.no_autoflush:
        months = months_touched(session, objects)
    forget(session, months)


def install() -> None:
    """Make the months stale in each flush's transaction (called by create_app, like the audit
    hook and the report's per-day counts)."""
    if not event.contains(Session, "before_flush", _stale_months):
        event.listen(Session, "before_flush", _stale_months)
