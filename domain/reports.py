"""The periodic report of design §6 (form 06a): figures per agency (optionally per field) for a
period [from, to], inclusive dates.

How a period is read (issue 16; design method): the flows — received by channel, resolved by
outcome, scanned at intake, electronic results, returned by post — are sums over the period's
days of the per-day counts of domain/report_days.py (table report_day, kept current in the
transaction of every change); what is open at an instant — carried over at the start, pending
(in time / overdue) at the end — is read from the dossiers open then (`open_dossiers`: the open
ones, a month of acceptances, the long spans and closures after it, each a bounded index range);
the late list reads the results that may be late through a partial index
(ix_dossier_late_result) and the overdue ones among those open at the end. The national method
counts supplement requests up to the end of the period, which no per-day count holds: it reads
the period's dossiers (`relevant_dossiers`, `figure_groups_from_dossiers`), as the design
method did before and as the tests compare.

No Python loop over the period's dossiers. The same SQL runs on SQLite and PostgreSQL: business
timestamps are naive local datetimes, so a date bound becomes a half-open datetime range
(`from 00:00 <= t < (to + 1 day) 00:00`), and the only date-of-a-timestamp comparison (closing
day vs due date) goes through `day_of`, compiled per dialect.

Closing date of a dossier: `resolved_at` for statuses 9/10, `closed_at` for 7/8 (withdrawn,
stopped); other statuses are open. A closing timestamp earlier than the acceptance (bad legacy
data) is read as the acceptance time, so that every dossier is either resolved or pending and
`received_total = resolved_total + pending_total` holds on every row.

Rows: every active agency ordered by `sort_order` (zeros included), plus an inactive agency only
when it has figures in the period (so that the rows always add up to the totals).

With `by_field=True` each agency row also carries `"fields"`: a list of field rows
`{"field_code", "field_name", <the 13 figures>}` — every active field of the agency plus any field
with figures (a dossier whose procedure has no field is under `field_code: null`, "Khác") — and
the field rows of an agency add up to the agency row.

The other figures of the period: `returned_by_post` = dossiers with return_channel "postal" and
returned_at in the period; `fees_collected_vnd` = payments paid in the period, not cancelled;
`staff_ratings` = ratings in the period, not cancelled; `evaluation_forms.by_score` = forms
submitted in the period, not cancelled, keyed "score/max" for the scores that occur (highest
first); `feedback` = feedback received in the period, of which answered by the end of the period,
and of which answered on or before its due date; `courier` = dossiers carried by the runs dated in
the period, by direction; `digitisation` = the shares of dossiers scanned at intake and of
resolved dossiers with an electronic result, in total and per agency (domain/digitisation.py).
Each of these is the rule of its service module (payments, ratings, evaluation, feedback,
postal, courier), the same one the totals pages of those screens call; the returns by post and
the fees are summed with the period's days (domain/report_days.py counts them with those rules).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import operator
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import Null

from domain import (
    clock,
    courier,
    deadlines,
    digitisation,
    evaluation,
    feedback,
    formatting,
    open_snapshots,
    payments,
    periods,
    postal,
    queue,
    ratings,
    report_days,
)
from domain.calendar import load_calendar
from domain.periods import Period
from domain.sql import (
    among_ids,
    count_if,
    day_of,
    ids_value,
    late_result,
    long_span,
    never_indexed,
    read_together,
    result_before_acceptance,
    unindexed,
)
from domain.status import (
    CLOSED_STATUSES,
    NOT_RECEIVED_STATUSES,
    OPEN_STATUSES,
    RESOLVED_STATUSES,
)
from models import (
    LONG_SPAN_DAYS,
    Agency,
    CourierRun,
    Dossier,
    DossierEvent,
    DossierPause,
    EvaluationForm,
    Feedback,
    Field,
    OpenSnapshotOverdue,
    Procedure,
    ReportDay,
    StaffRating,
    User,
)

ROW_KEYS = (
    "received_online",
    "received_direct",
    "received_postal",
    "received_new",
    "carried_over",
    "received_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_total",
    "pending_in_time",
    "pending_overdue",
    "pending_total",
)
# The figures counted in SQL; the others are sums of these.
_COUNTED = (
    "received_online",
    "received_direct",
    "received_postal",
    "carried_over",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "pending_in_time",
    "pending_overdue",
)
ONE_DAY = periods.ONE_DAY
NO_FIELD_LABEL = "Khác"


# ---- periods: domain/periods.py; these give its dates for callers that pass dates ----------


def _dates(period: Period) -> tuple[dt.date, dt.date]:
    return period.start, period.end


def month_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    return _dates(Period.for_month(year, month))


def quarter_period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    return _dates(Period.for_quarter(year, quarter))


def half_period(year: int, half: int) -> tuple[dt.date, dt.date]:
    """The six-month reporting period: half 1 = January–June, 2 = July–December."""
    return _dates(Period.for_half(year, half))


def year_period(year: int) -> tuple[dt.date, dt.date]:
    return _dates(Period.for_year(year))


def cutoff_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The statutory reporting period of month M: the 15th of M-1 to the 14th of M."""
    return _dates(Period.for_month(year, month, statutory=True))


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2019-03' -> (2019-03-01, 2019-03-31)."""
    return _dates(periods.parse_month(text))


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """'2019-Q1' -> (2019-01-01, 2019-03-31)."""
    return _dates(periods.parse_quarter(text))


def parse_year(text: str) -> tuple[dt.date, dt.date]:
    return _dates(periods.parse_year(text))


parse_date = periods.parse_day


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return Period.between(date_from, date_to).bounds


# When a dossier closed (domain/deadlines.py); the report's own name for callers.
closing_time = deadlines.closing_time


def outcome_criteria(d, close, method: str = deadlines.DESIGN) -> dict:
    """deadlines.outcome_criteria over `d` (relevant_dossiers) closed at `close` (closing_time):
    by dates, and by the due moment for limits in working hours."""
    return deadlines.outcome_criteria(
        d.status,
        day_of(close),
        d.due_date,
        method,
        getattr(d, "supplements", None),
        closed_at=close,
        due_at=d.due_at,
        in_hours=d.due_in_hours,
    )


def supplement_requests(date_to: dt.date):
    """SQL: the supplement requests of the dossier (pauses of kind "supplement") started by the
    end of the period; the national method counts more than one as late."""
    return (
        select(func.count(DossierPause.id))
        .where(
            DossierPause.dossier_id == Dossier.id,
            DossierPause.kind == "supplement",
            DossierPause.started_on <= date_to,
        )
        .correlate(Dossier)
        .scalar_subquery()
    )


def _relevant_columns(date_to: dt.date, by_field: bool, method: str, by_level: bool) -> list:
    """The columns relevant_dossiers reads: the dossier's, its procedure's field (`by_field`,
    `by_level`) and level (`by_level`), its supplement requests (the national method)."""
    columns = [
        Dossier.id,
        Dossier.agency_id,
        Dossier.channel,
        Dossier.status,
        Dossier.accepted_at,
        Dossier.resolved_at,
        Dossier.closed_at,
        Dossier.due_date,
        Dossier.due_at,
        Dossier.due_in_hours,
    ]
    if by_field or by_level:
        columns.append(Procedure.field_id)
    if by_level:
        columns.append(Procedure.level)
    if method == deadlines.NATIONAL:
        columns.append(supplement_requests(date_to).label("supplements"))
    return columns


def relevant_dossiers(
    date_from: dt.date,
    date_to: dt.date,
    by_field: bool = False,
    method: str = deadlines.DESIGN,
    by_level: bool = False,
):
    """The dossiers that can count in [from, to], as a UNION ALL of disjoint parts, each a bounded
    range of an index: accepted in the period (accepted_at); accepted before it and still open
    (status); resolved in the period (resolved_at); resolved after it and accepted in the
    LONG_SPAN_DAYS days before it (accepted_at); resolved after it and accepted earlier still,
    which only a dossier that took more than LONG_SPAN_DAYS can be (the partial index
    ix_dossier_long_span); closed since its start (closed_at: withdrawn and stopped ones, few);
    or closed without a closing time (bad data, counted as open). A period costs its own
    dossiers, a month's before it and the open ones, whatever the history before or after.
    `by_level` adds the procedure's field and level (the official form's rows); the national
    method adds the supplement requests."""
    start, end = _bounds(date_from, date_to)
    columns = _relevant_columns(date_to, by_field, method, by_level)
    join = by_field or by_level

    def part(*conditions):
        stmt = select(*columns).where(*conditions)
        if join:
            # Each part drives from its own index on dossier, the procedure looked up by its key
            # (SQLite would otherwise walk every dossier of every procedure for the open part).
            stmt = stmt.join(Procedure, Procedure.id == unindexed(Dossier.procedure_id))
        return stmt

    acc, status, resolved = Dossier.accepted_at, Dossier.status, Dossier.resolved_at
    # SQLite picks an index per part by rule when statistics are missing: steer each part to
    # its own index (`unindexed` is a no-op on PostgreSQL, which plans from its statistics).
    any_status, before = unindexed(status), unindexed(acc) < start
    any_resolved = unindexed(resolved)
    recent = start - dt.timedelta(days=LONG_SPAN_DAYS)
    resolved_status = any_status.in_(RESOLVED_STATUSES)
    return union_all(
        part(acc >= start, acc < end, any_status.notin_(NOT_RECEIVED_STATUSES)),
        part(status.in_(OPEN_STATUSES), before),
        part(resolved_status, resolved >= start, resolved < end, before),
        part(resolved_status, any_resolved >= end, acc >= recent, acc < start),
        part(
            resolved_status,
            long_span(resolved, acc),
            resolved >= end,
            unindexed(acc) < recent,
        ),
        part(any_status.in_(CLOSED_STATUSES), Dossier.closed_at >= start, before),
        part(_closed_without_time(), before),
    ).subquery("d")


def _closed_without_time():
    """SQL: closed (a result, withdrawn, stopped) without its closing time: bad data, which the
    report reads as still open."""
    D = Dossier
    return or_(
        and_(D.status.in_(RESOLVED_STATUSES), D.resolved_at.is_(None)),
        and_(D.status.in_(CLOSED_STATUSES), D.closed_at.is_(None)),
    )


def figure_columns(d, date_from: dt.date, date_to: dt.date, method: str = deadlines.DESIGN) -> list:
    """The nine counted figures as conditional sums over `d` (see relevant_dossiers)."""
    start, end = _bounds(date_from, date_to)
    acc = d.accepted_at
    close = closing_time(d)
    resolved = and_(close >= start, close < end)
    outcome = outcome_criteria(d, close, method)
    pending = or_(close.is_(None), close >= end)
    overdue = deadlines.pending_overdue(date_to, d)
    new = acc >= start
    return [
        count_if(and_(new, d.channel == "online")).label("received_online"),
        count_if(and_(new, d.channel == "direct")).label("received_direct"),
        count_if(and_(new, d.channel == "postal")).label("received_postal"),
        count_if(and_(acc < start, or_(close.is_(None), close >= start))).label("carried_over"),
        count_if(and_(resolved, outcome[deadlines.EARLY])).label("resolved_early"),
        count_if(and_(resolved, outcome[deadlines.ON_TIME])).label("resolved_on_time"),
        count_if(and_(resolved, outcome[deadlines.LATE])).label("resolved_late"),
        count_if(and_(pending, ~overdue)).label("pending_in_time"),
        count_if(and_(pending, overdue)).label("pending_overdue"),
    ]


def _complete(counts: dict) -> dict:
    """The 13 figures in contract order, the sums filled in."""
    return _completed([int(counts.get(k) or 0) for k in _COUNTED])


def _completed(n: list) -> dict:
    """_complete from the counted figures in the order of _COUNTED."""
    online, direct, postal, carried, early, on_time, late, in_time, overdue = n
    new = online + direct + postal
    return {
        "received_online": online,
        "received_direct": direct,
        "received_postal": postal,
        "received_new": new,
        "carried_over": carried,
        "received_total": new + carried,
        "resolved_early": early,
        "resolved_on_time": on_time,
        "resolved_late": late,
        "resolved_total": early + on_time + late,
        "pending_in_time": in_time,
        "pending_overdue": overdue,
        "pending_total": in_time + overdue,
    }


_ZERO = dict.fromkeys(ROW_KEYS, 0)


def _zero() -> dict:
    """The 13 figures at zero (a copy: called for every group of the report, often only as
    the default of a setdefault)."""
    return dict(_ZERO)


def _add(total: dict, row: dict) -> None:
    for k in ROW_KEYS:
        total[k] += row[k]


def _sum_into(totals: dict, key, counted: list) -> None:
    """Add the counted figures (in the order of _COUNTED) to those of `key` in `totals` (a
    list per key, made at the first: the report adds up its groups by position)."""
    total = totals.get(key)
    if total is None:
        totals[key] = list(counted)
    else:
        total[:] = map(operator.add, total, counted)


# ---- the report --------------------------------------------------------------------------------


def figure_groups(session, date_from: dt.date, date_to: dt.date, **options) -> list[tuple]:
    """[(agency id, field id, level, the 13 figures)], from which the agency rows, the field rows
    and the official form's rows are all sums (build_report reads the period once for the
    three); `options` those of group_counts (method, by_field, by_level, keep, at, days).
    Without `by_field` / `by_level` those keys are None. Design method: the flows
    (received, resolved by outcome) are sums of the per-day counts (domain/report_days.py), and
    what is open at the start and at the end of the period (carried over, pending) are the
    counts of those instants (`stocks`: kept computed at the period boundaries, `keep` called
    with those counted again to store them; `at`: stocks already read; `days`:
    report_days.period_query's rows already read); the national method counts supplement requests up
    to the end of the period, which no per-day count holds: figure_groups_from_dossiers."""
    counts = group_counts(session, date_from, date_to, **options)
    return [(*key, _completed(c)) for key, c in counts.items()]


def group_counts(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    by_field: bool = True,
    by_level: bool = True,
    keep=None,
    at: dict | None = None,
    days: list | None = None,
) -> dict[tuple, list]:
    """figure_groups as {(agency id, field id, level): the counted figures in the order of
    _COUNTED} (the groups with figures): what build_report adds up, by position (a list: the
    report adds up hundreds of rows, and its time is the measure of issue 16)."""
    if method != deadlines.DESIGN:
        groups = figure_groups_from_dossiers(
            session, date_from, date_to, method, by_field, by_level
        )
        return {(a, f, lv): [row[k] for k in _COUNTED] for a, f, lv, row in groups}
    field = by_field or by_level
    counts: dict[tuple, list] = {}
    size = len(_COUNTED)
    rows, places = _flow_rows(session, date_from, date_to, field, by_level, days)
    flows = list(zip(_FLOWS_AT, places, strict=True))
    for r in rows:
        key = (r[0], r[1] if field else None, r[2] if by_level else None)
        row = counts.get(key)
        if row is None:
            row = counts[key] = [0] * size
        for i, j in flows:
            row[i] += int(r[j] or 0)
    start_day, end_day = date_from, date_to + ONE_DAY
    if at is None:
        at = stocks(session, (start_day, end_day), keep)
    _add_stocks(counts, at[start_day].rows, at[end_day].rows, field, by_level)
    return {key: c for key, c in counts.items() if any(c)}


def _add_stocks(counts: dict, start_rows, end_rows, field: bool, by_level: bool) -> None:
    """Carried over (open at the start) and pending in time / overdue (open at the end) added
    to `counts` (group_counts) from the stocks' rows."""
    size = len(_COUNTED)
    for at_end, rows in ((False, start_rows), (True, end_rows)):
        for agency_id, _procedure_id, field_id, level, n_open, n_overdue in rows:
            key = (agency_id, field_id if field else None, level if by_level else None)
            row = counts.get(key)
            if row is None:
                row = counts[key] = [0] * size
            if at_end:
                row[_IN_TIME_AT] += int(n_open) - int(n_overdue)
                row[_OVERDUE_AT] += int(n_overdue)
            else:
                row[_CARRIED_AT] += int(n_open)


def _flow_rows(session, date_from, date_to, field: bool, by_level: bool, days) -> tuple:
    """(rows (agency id, field id, level, ...), the places of the sums of _FLOWS in them) of the
    period: report_days.period_query's rows when read (`days`), else read by
    report_days.sums."""
    if days is not None:
        return days, [report_days.COUNTS.index(name) + 3 for name in _FLOWS]
    keys = [
        ReportDay.agency_id,
        Procedure.field_id if field else null(),
        Procedure.level if by_level else null(),
    ]
    rows = report_days.sums(session, date_from, date_to, keys, _FLOWS)
    return rows, list(range(3, 3 + len(_FLOWS)))


def stocks(session, days, keep=None, ids_on=()) -> dict:
    """{day: open_snapshots.Stock}: the dossiers open at 00:00 of each day (open_dossiers),
    overdue judged on the day before (the end of a period ending there:
    deadlines.pending_overdue), with the overdue ones' ids for the days in `ids_on`; kept
    computed for the period boundaries (domain/open_snapshots.py), counted live otherwise
    (open_at). `keep(pending)`: stores the boundaries counted again (open_snapshots.keep, in a
    transaction of the caller's)."""
    out, pending = open_snapshots.read(
        session, days, lambda day: open_at(session, day), ids_on=ids_on
    )
    return _kept(out, pending, keep)


def _kept(out: dict, pending: list, keep) -> dict:
    if pending and keep is not None:
        keep(pending)
    return out


def open_at(session, day: dt.date) -> tuple[list, list]:
    """([(agency id, procedure id, field id, level, open, overdue)], [ids of the overdue]) at
    00:00 of `day`, counted from the dossiers (open_dossiers; overdue judged on the day
    before). One row per dossier open then, added up here."""
    d = open_dossiers(_bounds(day, day)[0]).c
    overdue = deadlines.pending_overdue(day - ONE_DAY, d)
    counts: dict = {}
    ids = []
    for dossier_id, *key, late in session.execute(
        select(
            d.id,
            d.agency_id,
            d.procedure_id,
            Procedure.field_id,
            Procedure.level,
            case((overdue, 1), else_=0).label("late"),
        ).join(Procedure, Procedure.id == d.procedure_id)
    ):
        n = counts.setdefault(tuple(key), [0, 0])
        n[0] += 1
        if late:
            n[1] += 1
            ids.append(dossier_id)
    return [(*key, n, late) for key, (n, late) in counts.items()], ids


# The figures that are sums of the days (report_day has the same names).
_FLOWS = (
    "received_online",
    "received_direct",
    "received_postal",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
)
# Their places, and those of the stocks' figures, in _COUNTED (figure_groups).
_FLOWS_AT = tuple(_COUNTED.index(name) for name in _FLOWS)
_CARRIED_AT = _COUNTED.index("carried_over")
_IN_TIME_AT = _COUNTED.index("pending_in_time")
_OVERDUE_AT = _COUNTED.index("pending_overdue")


def open_dossiers(at: dt.datetime):
    """The dossiers received before the instant `at` and not closed by then (closing_time), as a
    UNION ALL of disjoint bounded parts: still open (status); with a result since `at`, accepted
    in the LONG_SPAN_DAYS days before it (accepted_at) or earlier (ix_dossier_long_span);
    withdrawn or stopped since `at` (closed_at); closed without a closing time (bad data, read
    as open). What is open at an instant costs the open dossiers and a month of acceptances,
    whatever the period."""
    D = Dossier
    # due_date unindexed: a condition on it (pending_overdue) must not drive the parts.
    columns = [
        D.id,
        D.agency_id,
        D.procedure_id,
        D.status,
        unindexed(D.due_date).label("due_date"),
    ]

    def part(*conditions):
        return select(*columns).where(*conditions)

    acc, status, resolved = D.accepted_at, D.status, D.resolved_at
    any_status, before = unindexed(status), unindexed(acc) < at
    recent = at - dt.timedelta(days=LONG_SPAN_DAYS)
    resolved_status = any_status.in_(RESOLVED_STATUSES)
    return union_all(
        part(status.in_(OPEN_STATUSES), before),
        part(resolved_status, unindexed(resolved) >= at, acc >= recent, acc < at),
        # Not by accepted_at on either database (the whole history before `recent`): the long
        # spans from their partial index.
        part(
            resolved_status, long_span(resolved, acc), resolved >= at, never_indexed(acc) < recent
        ),
        part(any_status.in_(CLOSED_STATUSES), D.closed_at >= at, before),
        # Closed without a closing time, one part per column (PostgreSQL reads each by its index).
        part(resolved_status, resolved.is_(None), before),
        part(any_status.in_(CLOSED_STATUSES), D.closed_at.is_(None), before),
    ).subquery("open")


def figure_groups_from_dossiers(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    by_field: bool = True,
    by_level: bool = True,
) -> list[tuple]:
    """figure_groups read from the dossiers: one GROUP BY over relevant_dossiers (the national
    method; for the design method the per-day counts give the same, which the tests check)."""
    d = relevant_dossiers(date_from, date_to, by_field, method, by_level).c
    keys = [
        d.agency_id,
        d.field_id if by_field or by_level else null(),
        d.level if by_level else null(),
    ]
    columns = figure_columns(d, date_from, date_to, method)
    grouped = [k for k in keys if not isinstance(k, Null)]
    return [
        (r[0], r[1], r[2], _complete(r._mapping))
        for r in session.execute(select(*keys, *columns).group_by(*grouped))
    ]


def _fields(session, fields=None) -> tuple[dict[int, list], dict[int, tuple]]:
    """({agency id: its active fields' ids, by code}, {field id: (code, name)}); `fields`: the
    rows (id, code, name, agency id, active) by code, already read (catalog)."""
    fields_by_agency: dict[int, list] = {}
    field_info: dict[int, tuple] = {}
    if fields is None:
        fields = session.execute(
            select(Field.id, Field.code, Field.name, Field.agency_id, Field.active).order_by(
                Field.code
            )
        )
    for f in fields:
        field_info[f.id] = (f.code, f.name)
        if f.active:
            fields_by_agency.setdefault(f.agency_id, []).append(f.id)
    return fields_by_agency, field_info


def _field_rows(per_field: dict, active: list, field_info: dict) -> list[dict]:
    """An agency's field rows: its active fields, then the others with figures (by code), then
    the dossiers of no field."""
    ids = list(active)
    ids += sorted(
        (i for i in per_field if i is not None and i not in ids),
        key=lambda i: field_info[i][0],
    )
    if None in per_field:
        ids.append(None)
    return [
        {
            "field_code": field_info[i][0] if i is not None else None,
            "field_name": field_info[i][1] if i is not None else NO_FIELD_LABEL,
            **per_field.get(i, _zero()),
        }
        for i in ids
    ]


def catalog_from(rows) -> tuple[list, list]:
    """([agency rows (id, code, name, active)] by sort order and code, [field rows (id, code,
    name, agency_id, active)] by code) from the rows of _catalog_statement: what the report's
    rows, digitisation and official form read of the catalog, in one statement."""
    agencies, fields = [], []
    for kind, *row in rows:
        if kind == "agency":
            agencies.append(_AgencyRow(*row[:4]))
        else:
            fields.append(_FieldRow(*row[:5]))
    return agencies, fields


class _AgencyRow(NamedTuple):
    id: int
    code: str
    name: str
    active: bool


class _FieldRow(NamedTuple):
    id: int
    code: str
    name: str
    active: bool
    agency_id: int


@functools.cache  # built once: building it cost more than running it
def _catalog_statement():
    """SQL of catalog_from: the agencies then the fields, ordered as catalog_from says."""
    agencies = select(
        literal("agency", String).label("kind"),
        Agency.id,
        Agency.code,
        Agency.name,
        Agency.active,
        cast(null(), Integer).label("agency_id"),
        Agency.sort_order.label("sort_order"),
    )
    fields = select(
        literal("field", String),
        Field.id,
        Field.code,
        Field.name,
        Field.active,
        Field.agency_id,
        cast(null(), Integer),
    )
    order = ("kind", "sort_order", "code")
    return union_all(agencies, fields).order_by(*(literal_column(c) for c in order))


def dossier_rows(
    session,
    date_from: dt.date,
    date_to: dt.date,
    by_field: bool = False,
    method: str = deadlines.DESIGN,
    counts: dict | None = None,
    catalog: tuple | None = None,
) -> list:
    """The agency rows (and their field rows `by_field`); `counts`: group_counts already read
    for the period; `catalog`: the agencies and fields already read (catalog)."""
    if counts is None:
        counts = group_counts(session, date_from, date_to, method, by_field=by_field)
    per_agency: dict[int, list] = {}
    per_field: dict[tuple, list] = {}
    for (agency_id, field_id, _level), counted in counts.items():
        _sum_into(per_agency, agency_id, counted)
        if by_field:
            _sum_into(per_field, (agency_id, field_id), counted)
    field_counts: dict[int, dict] = {}
    for (agency_id, field_id), counted in per_field.items():
        field_counts.setdefault(agency_id, {})[field_id] = _completed(counted)

    agencies, fields = catalog or (None, None)
    if agencies is None:
        agencies = session.execute(
            select(Agency.id, Agency.code, Agency.name, Agency.active).order_by(
                Agency.sort_order, Agency.code
            )
        ).all()
    fields_by_agency, field_info = _fields(session, fields) if by_field else ({}, {})
    rows = []
    for a in agencies:
        counted = per_agency.get(a.id)
        if not a.active and not (counted and any(counted)):
            continue
        figures = _completed(counted) if counted else _ZERO
        row = {"agency_code": a.code, "agency_name": a.name, **figures}
        if by_field:
            row["fields"] = _field_rows(
                field_counts.get(a.id, {}), fields_by_agency.get(a.id, []), field_info
            )
        rows.append(row)
    return rows


def build_report(
    session,
    date_from: dt.date,
    date_to: dt.date,
    by_field: bool = False,
    method: str = deadlines.DESIGN,
    calendar=None,
    keep=None,
) -> dict:
    """The JSON of design §6 for [date_from, date_to] (inclusive). The figures other than the
    dossier rows come from the service modules (one SQL each, shared with their totals pages).
    Beside the keys of §6: `method` (how outcomes are counted), `official_form` (the rows of the
    form as filed, by field and level) and `late_dossiers` (the list of late dossiers; days late
    counted in working days with `calendar`, the app's working calendar by default). `keep`:
    stores what is open at the period's boundaries when it was counted again (figure_groups).
    A period still running is counted up to today (periods.counted_until; its "period" says
    so)."""
    Period.between(date_from, date_to)  # refuses a period that ends before it starts
    if method not in deadlines.METHODS:
        raise ValueError(f"unknown method {method!r}")
    date_to = periods.counted_until(date_from, date_to, clock.today())
    at, days, catalog, services, tickets, late = _period_reads(
        session, date_from, date_to, method, keep
    )
    counts = group_counts(session, date_from, date_to, method, at=at, days=days)
    rows = dossier_rows(session, date_from, date_to, by_field, method, counts, catalog)
    totals = _zero()
    for row in rows:
        _add(totals, row)
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "rows": rows,
        "totals": totals,
        "returned_by_post": report_days.returned_from(days),
        "fees_collected_vnd": report_days.fees_from(days),
        # staff_ratings, evaluation_forms, feedback, courier
        **services,
        # Waiting and serving times of the hall's queue (domain/queue.figures).
        "queue": {k: v for k, v in tickets.items() if k != "period"},
        "digitisation": digitisation.summary(
            session, *report_days.digitisation_from(days), agencies=catalog[0]
        ),
        "method": method,
        "official_form": official_form(
            session, date_from, date_to, method, counts, fields=catalog[1]
        ),
        "late_dossiers": late_dossiers(session, date_from, date_to, method, calendar, at, late),
    }


def _period_reads(session, date_from: dt.date, date_to: dt.date, method: str, keep) -> tuple:
    """(stocks at the period's boundaries (design method; else None), the period's days
    (report_days.period_query: the flows, digitisation, returns by post, fees), the catalog
    (catalog_from), the service figures (services_query), queue.figures, the late list's rows (late_rows) or None):
    their statements read together, without JIT (domain/sql.py read_together: one round trip
    on PostgreSQL); the boundaries not kept counted after (stocks); the late list's rows read
    with them when the end of the period is a kept instant (late_query, late_kept)."""
    period = Period.between(date_from, date_to)
    end_day = date_to + ONE_DAY
    boundaries, today = (date_from, end_day), clock.today()
    queries = [
        report_days.period_query(date_from, date_to),
        (_catalog_statement(), None),
        services_query(date_from, date_to),
        queue.figures_query(period),
    ]
    design = method == deadlines.DESIGN
    dialect = session.get_bind().dialect.name
    kept = open_snapshots.read_query(boundaries, today, (end_day,), dialect) if design else None
    late = design and open_snapshots.kept(end_day) and end_day <= today
    if kept is not None:
        queries.append(kept)
        if late:
            queries.append(late_query(date_from, date_to, dialect))
    days, catalog, services, tickets, *rows = read_together(session, queries, jit=False)
    at = late_rows_read = None
    if design:
        out, pending = open_snapshots.read_from(
            rows[0] if rows else (),
            boundaries,
            lambda day: open_at(session, day),
            today,
            ids_on=(end_day,),
        )
        if len(rows) == 2:
            late_rows_read = late_kept(rows[1], out, end_day, pending)
        at = _kept(out, pending, keep)
    return (
        at,
        days,
        catalog_from(catalog),
        services_from(services),
        queue.figures_from(tickets, period),
        late_rows_read,
    )


def services_query(date_from: dt.date, date_to: dt.date) -> tuple:
    """(statement, parameters) of the report's figures of the service modules — "staff_ratings",
    "evaluation_forms", "feedback", "courier" — in one statement (_services_statement) whose
    parts are the SQL of their modules (the same as rating_counts, evaluation_summary,
    feedback_counts, courier_summary: the totals pages); read by services_from. The fees
    collected are summed with the period's days (report_days.fees_from: the payments of each
    day, kept in report_day)."""
    start, end = _bounds(date_from, date_to)
    params = {
        "start": start,
        "end": end,
        "first": date_from,
        "last": date_to,
        "today": clock.today(),
    }
    return _services_statement(), params


def services_from(rows) -> dict:
    """The service figures from the rows of services_query."""
    parts: dict = {kind: [] for kind in _SERVICE_PARTS}
    for kind, key, *n in rows:
        parts[kind].append((key, *n))
    ((_, *levels, _),) = parts["ratings"]
    ((_, received, answered, on_time, _overdue),) = parts["feedback"]
    return {
        "staff_ratings": ratings.rating_totals(levels),
        "evaluation_forms": evaluation.score_summary(r[1:4] for r in parts["forms"]),
        "feedback": {
            "received": int(received),
            "answered": int(answered),
            "answered_on_time": int(on_time),
        },
        "courier": courier.direction_totals((r[0], r[2]) for r in parts["courier"]),
    }


_SERVICE_PARTS = ("ratings", "feedback", "forms", "courier")


@functools.cache  # built once: building it cost more than running it
def _services_statement():
    """SQL of services_query: (part, key, up to four numbers) per row, a UNION ALL of the
    modules' parts over the parameters `start`, `end` (the period's moments), `first`, `last`
    (its dates) and `today`."""
    moment = StaffRating.rated_at.type
    start, end = bindparam("start", type_=moment), bindparam("end", type_=moment)
    first = bindparam("first", type_=CourierRun.run_date.type)
    last = bindparam("last", type_=CourierRun.run_date.type)
    today = bindparam("today", type_=CourierRun.run_date.type)
    F = Feedback
    parts = {
        "ratings": ratings.level_counts(
            [StaffRating.rated_at >= start, StaffRating.rated_at < end]
        ),
        "feedback": select(*feedback.feedback_figures([], end, today)).where(
            F.received_at >= start, F.received_at < end
        ),
        "forms": evaluation.score_counts(
            [EvaluationForm.submitted_at >= start, EvaluationForm.submitted_at < end]
        ),
        "courier": courier.run_counts([CourierRun.run_date >= first, CourierRun.run_date <= last]),
    }

    def padded(kind, part):
        columns = list(part.subquery().c)
        key = columns.pop(0) if kind == "courier" else cast(null(), String)
        numbers = [cast(c, BigInteger) for c in columns]
        numbers += [cast(null(), BigInteger)] * (4 - len(numbers))
        return select(literal(kind, String), cast(key, String), *numbers)

    return union_all(*(padded(kind, part) for kind, part in parts.items()))


# ---- the official form as filed: rows by field, grouped by level --------------------------------

# The levels in the order of the form; "district" only on old procedures (before the 2025 reform).
LEVELS = ("province", "commune", "district")
LEVEL_LABELS = {
    "province": "Cấp tỉnh",
    "commune": "Cấp xã",
    "district": "Cấp huyện (trước 01/07/2025)",
}


def official_row(figures: dict) -> dict:
    """The 13 figures plus column (5) of the form: direct and postal together."""
    return {
        **figures,
        "received_direct_postal": figures["received_direct"] + figures["received_postal"],
    }


def official_form(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    counts: dict | None = None,
    fields: list | None = None,
) -> dict:
    """{"groups": [{"level", "label", "rows": [{"field_code", "field_name", figures…}],
    "totals"}], "totals"}: one row per field with figures in the period under the level of its
    procedures, the fields ordered by code (no field: "Khác", last); the groups add up to the
    totals of the report. `counts`: group_counts already read; `fields`: the fields already read
    (catalog)."""
    if counts is None:
        counts = group_counts(session, date_from, date_to, method, by_field=False)
    if fields is None:
        fields = session.execute(select(Field.id, Field.code, Field.name))
    names = {f.id: (f.code, f.name) for f in fields}
    by_level: dict[str, dict] = {}
    for (_agency_id, field_id, level), counted in counts.items():
        _sum_into(by_level.setdefault(level or "province", {}), field_id, counted)
    groups, totals = [], [0] * len(_COUNTED)
    for level in sorted(by_level, key=lambda lv: (LEVELS.index(lv) if lv in LEVELS else 99, lv)):
        fields_ = by_level[level]
        ids = sorted(fields_, key=lambda i: (i is None, names[i][0] if i is not None else ""))
        level_total = [0] * len(_COUNTED)
        rows = []
        for i in ids:
            level_total[:] = map(operator.add, level_total, fields_[i])
            code, name = names[i] if i is not None else (None, NO_FIELD_LABEL)
            figures = official_row(_completed(fields_[i]))
            rows.append({"field_code": code, "field_name": name, **figures})
        totals[:] = map(operator.add, totals, level_total)
        groups.append(
            {
                "level": level,
                "label": LEVEL_LABELS.get(level, level),
                "rows": rows,
                "totals": official_row(_completed(level_total)),
            }
        )
    return {"groups": groups, "totals": official_row(_completed(totals))}


# ---- the late dossiers of the period ------------------------------------------------------------


def late_dossiers(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    calendar=None,
    at: dict | None = None,
    rows: list | None = None,
) -> list[dict]:
    """The dossiers resolved late in the period and those pending overdue at its end (the same
    rules as the figures `resolved_late` and `pending_overdue`), by due date: code, procedure,
    agency, officer (who resolved it / who last acted on it by the end), due date, resolved date,
    working days late (to the resolution, or to the end of the period), and the reason of the
    apology or of the last reschedule if any. A dossier with a limit in working hours also has
    `hours_late` (working hours from its due moment to the resolution, or to the end of the
    period); the others None. `at`: stocks already read (with the end's overdue ids); `rows`:
    late_rows already read. One statement (late_rows); the working days late worked out once
    per due date and end."""
    if calendar is None:
        calendar = load_calendar(session)
    start, end = _bounds(date_from, date_to)
    days_late: dict = {}
    result = []
    if rows is None:
        rows = late_rows(session, date_from, date_to, method, at)
    for row in rows:
        closed = row.resolved_at if row.status in RESOLVED_STATUSES else row.closed_at
        if closed is not None and row.accepted_at and closed < row.accepted_at:
            closed = row.accepted_at
        done = closed is not None and closed < end
        until = closed.date() if done else date_to
        late = days_late.get((row.due_date, until))
        if late is None:
            late = deadlines.days_late(calendar, row.due_date, until) if row.due_date else 0
            days_late[row.due_date, until] = late
        result.append(
            {
                "id": row.id,
                "code": row.code,
                "procedure_code": row.procedure_code,
                "procedure_name": row.procedure_name,
                "agency_code": row.agency_code,
                "agency_name": row.agency_name,
                "state": "resolved" if done else "pending",
                "due_date": row.due_date.isoformat() if row.due_date else None,
                "resolved_on": closed.date().isoformat() if done else None,
                "officer": row.officer,
                "reason": row.reason,
                "days_late": late,
                # A limit in working hours: also the working hours past its due moment.
                "hours_late": round(
                    calendar.working_hours_between(row.due_at, closed if done else end), 2
                )
                if row.due_in_hours
                else None,
            }
        )
    result.sort(key=lambda r: (r["due_date"] or "", r["code"] or "", r["id"]))
    return result


def late_rows(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    at: dict | None = None,
) -> list:
    """The rows of late_dossiers with their procedure, agency, officer and reason, in one
    statement (_late_statement). Design method: the late results of the period (late_results)
    and the dossiers overdue at its end (their ids kept with the stocks: `at`, or read);
    national method: the ids of late_dossier_ids_from_dossiers."""
    start, end = _bounds(date_from, date_to)
    dialect = session.get_bind().dialect.name
    if method == deadlines.DESIGN:
        end_day = date_to + ONE_DAY
        if at is None or at[end_day].overdue_ids is None:
            at = stocks(session, (end_day,), ids_on=(end_day,))
        results, ids = True, at[end_day].overdue_ids
    else:
        results, ids = False, late_dossier_ids_from_dossiers(session, date_from, date_to, method)
    if not (results or ids):
        return []
    statement = _late_statement(dialect, results, bool(ids))
    params = {"start": start, "end": end, "ids": ids_value(dialect, ids)}
    return session.execute(statement, params).all()


@functools.cache  # built once per dialect and shape: building it cost more than running it
def _late_statement(dialect: str, results: bool, listed: bool | str):
    """SQL of late_rows, its bounds the parameters `start` and `end`: the late results of
    [start, end) (`results`) and the dossiers of the parameter `ids` (`listed`, among_ids) or,
    `listed="kept"`, those kept as overdue at 00:00 of the parameter `day` (open_snapshots), a
    UNION ALL of the two (disjoint: closed before the end, open at the end), the column `listed`
    telling them apart."""
    moment = Dossier.accepted_at.type
    start, end = bindparam("start", type_=moment), bindparam("end", type_=moment)
    officer, reason = last_events(end)
    columns = [
        Dossier.id,
        Dossier.code,
        Dossier.status,
        Dossier.due_date,
        Dossier.due_at,
        Dossier.due_in_hours,
        Dossier.resolved_at,
        Dossier.closed_at,
        Dossier.accepted_at,
        Procedure.code.label("procedure_code"),
        Procedure.name.label("procedure_name"),
        Agency.code.label("agency_code"),
        Agency.name.label("agency_name"),
        officer.label("officer"),
        reason.label("reason"),
    ]

    def rows(condition, part: int):
        return (
            select(*columns, literal(part, Integer).label("listed"))
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .join(Agency, Agency.id == Dossier.agency_id)
            .where(condition)
        )

    parts = []
    if results:
        parts.append(rows(Dossier.id.in_(late_results(start, end)), 0))
    if listed == "kept":
        day = bindparam("day", type_=OpenSnapshotOverdue.day.type)
        kept = select(OpenSnapshotOverdue.dossier_id).where(OpenSnapshotOverdue.day == day)
        parts.append(rows(Dossier.id.in_(kept), 1))
    elif listed:
        parts.append(rows(among_ids(dialect, Dossier.id), 1))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def late_query(date_from: dt.date, date_to: dt.date, dialect: str) -> tuple:
    """(statement, parameters) of late_rows (design method) with the overdue dossiers kept for
    the end of the period (open_snapshots), to be read with those: see late_kept."""
    start, end = _bounds(date_from, date_to)
    params = {"start": start, "end": end, "day": date_to + ONE_DAY}
    return _late_statement(dialect, True, "kept"), params


def late_kept(rows, at: dict, end_day: dt.date, pending: list):
    """The rows of late_query when they are those of late_rows: the end's stock was read from
    its kept rows (not counted again: not in `pending`) and the statement found as many kept
    overdue dossiers as that stock has (none kept again in between); else None."""
    if rows is None or any(day == end_day for day, *_ in pending):
        return None
    make = _late_row()
    rows = [make(r) for r in rows]
    if sum(1 for r in rows if r.listed) != len(at[end_day].overdue_ids or ()):
        return None
    return rows


@functools.cache
def _late_row():
    """A row of late_query by its columns' names, as late_rows gives them."""
    names = _late_statement("postgresql", True, "kept").selected_columns.keys()
    return collections.namedtuple("LateRow", names)._make


def last_events(end: dt.datetime) -> tuple:
    """SQL, of the dossier, from its events before `end` (ix_dossier_event_dossier_at_id, the last
    by time then id): the officer, the name (or, without one, the user name) of the user of the
    last event with one: who resolved it, or who holds it; the reason of the last event that
    kept the status (an apology, a reschedule) with a reason."""
    E = DossierEvent

    def last(column, *conditions):
        return (
            select(column)
            .where(E.dossier_id == Dossier.id, E.at < end, *conditions)
            .order_by(E.at.desc(), E.id.desc())
            .limit(1)
            .correlate(Dossier)
            .scalar_subquery()
        )

    named = or_(User.full_name != "", User.username != "")
    officer = last(
        case((User.full_name != "", User.full_name), else_=User.username),
        E.user_id == User.id,
        named,
    )
    reason = last(E.reason, E.from_status.is_not_distinct_from(E.to_status), E.reason != "")
    return officer, reason


def late_dossier_ids(
    session,
    date_from: dt.date,
    date_to: dt.date,
    method: str = deadlines.DESIGN,
    at: dict | None = None,
) -> list[int]:
    """The ids of late_dossiers. Design method: the results of the period that may be late
    (ix_dossier_late_result; those recorded before their acceptance count at the acceptance:
    ix_dossier_result_before_acceptance) judged by the outcome rule, and the dossiers open at the
    end of the period that are overdue (`stocks`, or `at` already read). National method:
    late_dossier_ids_from_dossiers."""
    if method != deadlines.DESIGN:
        return late_dossier_ids_from_dossiers(session, date_from, date_to, method)
    start, end = _bounds(date_from, date_to)
    end_day = date_to + ONE_DAY
    if at is None or at[end_day].overdue_ids is None:
        at = stocks(session, (end_day,), ids_on=(end_day,))
    return list(session.scalars(late_results(start, end))) + at[end_day].overdue_ids


def late_results(start: dt.datetime, end: dt.datetime):
    """SQL: the ids of the results closed late in [start, end) (design method): those that may be
    late by their index ix_dossier_late_result, and those recorded before their acceptance
    (closed at the acceptance) by ix_dossier_result_before_acceptance; judged by the outcome
    rule."""
    D = Dossier
    close = closing_time()
    # Judged by the outcome rule, on columns that no index should drive the query by.
    late = deadlines.outcome_criteria(
        unindexed(D.status),
        day_of(close),
        unindexed(D.due_date),
        closed_at=close,
        due_at=D.due_at,
        in_hours=D.due_in_hours,
    )[deadlines.LATE]
    results = select(D.id).where(
        D.resolved_at >= start,
        D.resolved_at < end,
        late_result(),
        D.resolved_at >= D.accepted_at,
        unindexed(D.status).in_(RESOLVED_STATUSES),
        late,
    )
    before_acceptance = select(D.id).where(
        D.accepted_at >= start,
        D.accepted_at < end,
        result_before_acceptance(),
        unindexed(D.status).in_(RESOLVED_STATUSES),
        late,
    )
    return union_all(results, before_acceptance)


def late_dossier_ids_from_dossiers(
    session, date_from: dt.date, date_to: dt.date, method: str = deadlines.DESIGN
) -> list[int]:
    """late_dossier_ids read through relevant_dossiers (the national method; the same for the
    design method, which the tests check)."""
    start, end = _bounds(date_from, date_to)
    d = relevant_dossiers(date_from, date_to, method=method).c
    close = closing_time(d)
    resolved = and_(close >= start, close < end)
    late = outcome_criteria(d, close, method)[deadlines.LATE]
    pending = and_(or_(close.is_(None), close >= end), deadlines.pending_overdue(date_to, d))
    return [r.id for r in session.execute(select(d.id).where(or_(and_(resolved, late), pending)))]


# ---- breakdowns for the workbook and the page (not part of the JSON contract) -------------------


def build_details(session, date_from: dt.date, date_to: dt.date) -> dict:
    """Per-agency / per-method / per-officer breakdowns of the non-dossier figures of the period,
    from the same functions as the totals pages."""
    Period.between(date_from, date_to)
    agencies = {
        a.id: (a.code, a.name) for a in session.execute(select(Agency.id, Agency.code, Agency.name))
    }
    order = [
        a for (a,) in session.execute(select(Agency.id).order_by(Agency.sort_order, Agency.code))
    ]

    def agency_sorted(mapping):
        return [(agencies[i][0], agencies[i][1], mapping[i]) for i in order if i in mapping]

    paid = payments.payment_totals(session, date_from, date_to)
    cancelled = payments.payment_totals(session, date_from, date_to, cancelled=True)
    ratings_by_staff = sorted(
        (
            (r.username, r.label, {k: n for k, n in r.levels.items() if n})
            for r in ratings.rating_counts_by_officer(session, date_from, date_to)
        ),
        key=lambda r: r[0],
    )
    forms_by_agency: dict[int, dict] = {}
    for r in evaluation.evaluation_counts_by_score(session, date_from, date_to, by_agency=True):
        forms_by_agency.setdefault(r.agency_id, {})[r.label] = r.count
    courier_by_agency: dict[int, dict] = {}
    for r in courier.courier_counts(session, date_from, date_to):
        courier_by_agency.setdefault(r.agency_id, {})[r.direction] = (r.runs, r.dossiers)
    return {
        "fees_by_agency": agency_sorted(payments.add_up(paid, lambda r: r.agency_id)),
        "fees_by_method": payments.add_up(paid, lambda r: r.method),
        "fees_cancelled": (sum(r.count for r in cancelled), sum(r.amount_vnd for r in cancelled)),
        "ratings_by_staff": ratings_by_staff,
        "forms_by_agency": agency_sorted(forms_by_agency),
        "feedback_by_channel": {
            r["channel"]: (r["received"], r["answered"], r["answered_on_time"])
            for r in feedback.feedback_counts(session, date_from, date_to, by_channel=True)
        },
        "postal_by_agency": agency_sorted(
            {
                r.agency_id: (r.received_by_post, r.returned_by_post)
                for r in postal.postal_counts(session, date_from, date_to)
            }
        ),
        "courier_by_agency": agency_sorted(courier_by_agency),
    }


# A share in percent, rounded to two decimals; None when there is nothing to share.
share = formatting.share


__all__ = [
    "build_report",
    "build_details",
    "month_period",
    "quarter_period",
    "half_period",
    "year_period",
    "cutoff_period",
    "parse_month",
    "parse_quarter",
    "parse_year",
    "parse_date",
    "ROW_KEYS",
    "day_of",
    "closing_time",
    "count_if",
    "relevant_dossiers",
    "figure_columns",
    "share",
]
