"""The report's per-day counts (issue 16): for each day, agency (the dossier's) and procedure,
the dossiers received that day by channel and of those scanned at intake, closed that day by
outcome (design method), resolved that day and of those with an electronic result, and returned
by post that day, and the fees paid that day (payments not cancelled, under their dossier's agency and
procedure) (table report_day). A period's flows are the sums of its days: the report reads
a row per procedure and day instead of every dossier of the period. What is open at an instant
(carried over, pending) is not a sum of days: domain/reports.py reads it from the dossiers.

Each count is the rule of its home module, written once as SQL over the dossier and used here:
the closing time and the outcome (domain/deadlines.py), scanned at intake and electronic result
(domain/digitisation.py), returned by post (domain/postal.py), fees collected
(domain/payments.py).

Kept current in the transaction of every change: after each flush (`install`, like the audit
hook) the (day, agency) pairs that a changed dossier, document, file or payment touches, before and
after the change (a payment's day, and those of its dossier's payments when the dossier moves to
another agency or procedure), are counted again from the dossiers of that day and agency (a few dozen rows, by
index ranges). A dossier new in the flush (an intake) counted nothing before it: its own counts
are added to its days' rows instead (one upsert by its id, whatever the day's volume), under the
same lock as a recount of those days. Writes that bypass the ORM (the seed's bulk inserts) call
`rebuild`.

The statements are built once per process with their values as bound parameters: building
these unions again for every flush cost more CPU than running them."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Null

from domain import deadlines, digitisation, payments, periods, postal, report_months
from domain.periods import day_bounds
from domain.sql import CompiledOnce, bulk_insert_into, day_of, lock_pair, unindexed
from domain.status import CLOSED_STATUSES, NOT_RECEIVED_STATUSES, RESOLVED_STATUSES
from models import (
    CHANNELS,
    Dossier,
    DossierDocument,
    DossierFile,
    Payment,
    Procedure,
    ReportDay,
    ReportMonth,
)

# Its counts, in this order (report_month has the same: domain/report_months.py).
COUNTS = report_months.COUNTS
# The dossier's columns whose change can move a count (the others, e.g. the applicant, cannot).
COUNTED_COLUMNS = (
    "status",
    "channel",
    "agency_id",
    "procedure_id",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "returned_at",
    "return_channel",
    "due_date",
    "due_at",
    "due_in_hours",
)
# The dossier's columns whose change moves its payments' counts to other rows.
PAID_COLUMNS = ("agency_id", "procedure_id")
# The days a dossier counts on: acceptance, result, closing, return (the closing day of a result
# recorded before the acceptance is the acceptance's).
DAY_COLUMNS = ("accepted_at", "resolved_at", "closed_at", "returned_at")


def _flag(condition):
    return case((condition, 1), else_=0)


def _part(day, counts: dict, *conditions):
    D = Dossier
    columns = [counts[k].label(k) if k in counts else literal(0).label(k) for k in COUNTS]
    return select(
        day.label("day"),
        D.agency_id.label("agency_id"),
        D.procedure_id.label("procedure_id"),
        *columns,
    ).where(*conditions)


def _closed_parts(bounded: bool, within, agency: list, by_day: list) -> list:
    """Closed (a result, or withdrawn / stopped) on the day, by outcome: the report's rules.
    `within(column)`: the day's conditions; `agency`, `by_day`: the agency's (see _parts)."""
    D = Dossier
    close = deadlines.closing_time()
    outcome = deadlines.outcome_criteria(
        D.status,
        day_of(close),
        D.due_date,
        closed_at=close,
        due_at=D.due_at,
        in_hours=D.due_in_hours,
    )
    outcomes = {f"resolved_{k}": _flag(outcome[k]) for k in deadlines.OUTCOMES}
    closed = D.accepted_at.is_not(None)
    if not bounded:
        return [_part(day_of(close), outcomes, close.is_not(None), closed, *agency)]
    parts = [
        _part(
            day_of(column),
            outcomes,
            unindexed(D.status).in_(statuses),
            *within(column),
            column >= D.accepted_at,
            *by_day,
        )
        for statuses, column in (
            (RESOLVED_STATUSES, D.resolved_at),
            (CLOSED_STATUSES, D.closed_at),
        )
    ]
    # Closed before its acceptance (bad legacy data): counted on the acceptance's day.
    parts.append(
        _part(
            day_of(D.accepted_at),
            outcomes,
            *within(D.accepted_at),
            or_(
                and_(D.status.in_(RESOLVED_STATUSES), D.resolved_at < D.accepted_at),
                and_(D.status.in_(CLOSED_STATUSES), D.closed_at < D.accepted_at),
            ),
            *agency,
        )
    )
    return parts


def _parts(start: dt.datetime | None = None, end: dt.datetime | None = None, agency_id=None):
    """The contributions of the dossiers, one row per dossier and kind of day; restricted to the
    days in [start, end) of one agency when given (each part then a bounded index range)."""
    D = Dossier
    bounded = start is not None

    def within(column):
        return [column >= start, column < end] if bounded else [column.is_not(None)]

    agency = [D.agency_id == agency_id] if agency_id is not None else []
    # The parts on another day than the acceptance's are driven by that day's index: SQLite
    # would otherwise walk the agency's (agency, status) index, every result of the agency for
    # one day's recount (0.5 s an intake at 1,000,000 dossiers).
    by_day = [unindexed(D.agency_id) == agency_id] if agency_id is not None else []
    received = D.status.notin_(NOT_RECEIVED_STATUSES)
    parts = [
        _part(
            day_of(D.accepted_at),
            {
                **{f"received_{c}": _flag(D.channel == c) for c in CHANNELS},
                "received_scanned": _flag(digitisation.scanned_at_intake()),
            },
            received,
            *within(D.accepted_at),
            *agency,
        )
    ]
    parts += _closed_parts(bounded, within, agency, by_day)
    parts.append(
        _part(
            day_of(D.resolved_at),
            {"results": literal(1), "results_electronic": _flag(digitisation.electronic_result())},
            unindexed(D.status).in_(RESOLVED_STATUSES),
            *within(D.resolved_at),
            *by_day,
        )
    )
    parts.append(
        _part(
            day_of(D.returned_at),
            {"returned_by_post": literal(1)},
            postal.returned_by_post_criterion(),
            *within(D.returned_at),
            *by_day,
        )
    )
    P = Payment
    # Driven by the day's payments (paid_at), each joined to its dossier for the agency.
    parts.append(
        _part(
            day_of(P.paid_at),
            {"fees_paid": literal(1), "fees_vnd": P.amount_vnd},
            *payments.collected(),
            *within(P.paid_at),
            *by_day,
        ).select_from(P.__table__.join(D.__table__, D.id == P.dossier_id))
    )
    return parts


def _counted(parts):
    u = union_all(*parts).subquery("contribution")
    keys = (u.c.day, u.c.agency_id, u.c.procedure_id)
    return select(*keys, *(func.sum(u.c[k]).label(k) for k in COUNTS)).group_by(*keys)


def rebuild(session) -> None:
    """Every row counted again from the dossiers (after a bulk load; the migration's fill),
    as a bulk insert (domain/sql.py bulk_insert_into), in the order of the days: the table then
    lies as the days written one after the other leave it, a period's rows in adjacent pages
    (inserted as they were grouped, a month of 2019 lay in a third of the table's pages and a
    year in all of them at 1,000,000 dossiers). The caller commits. The months (report_month)
    are filled from the days once they are counted, their triggers off meanwhile
    (domain/report_months.py); without that table (the migrations before 0022 run this
    function), the days alone."""
    dialect = session.get_bind().dialect.name
    months = inspect(session.connection()).has_table(ReportMonth.__tablename__)
    for statement in report_months.drop_statements(dialect) if months else ():
        session.execute(text(statement))
    if months:
        session.execute(delete(ReportMonth))
    session.execute(delete(ReportDay))
    table = ReportDay.__table__
    counted = _counted(_parts())
    ordered = counted.order_by(
        *(counted.selected_columns[k] for k in ("day", "agency_id", "procedure_id"))
    )
    with bulk_insert_into(session, table):
        session.execute(
            table.insert().from_select(["day", "agency_id", "procedure_id", *COUNTS], ordered)
        )
    if months:
        session.execute(text(report_months.fill_statement(dialect)))
        for statement in report_months.create_statements(dialect):
            session.execute(text(statement))


@functools.cache  # built once (see the module's doc)
def _recount_statements():
    """(DELETE, INSERT ... SELECT) of one day and agency: bound parameters day, agency_id,
    start and end (the day's bounds)."""
    table = ReportDay.__table__
    agency = bindparam("agency_id", type_=Integer)
    clear = delete(table).where(table.c.day == bindparam("day"), table.c.agency_id == agency)
    moment = Dossier.accepted_at.type
    parts = _parts(bindparam("start", type_=moment), bindparam("end", type_=moment), agency)
    fill = table.insert().from_select(
        ["day", "agency_id", "procedure_id", *COUNTS], _counted(parts)
    )
    return clear, fill


def recount(session, keys, added=()) -> None:
    """The rows of these (day, agency id) pairs counted again from the dossiers, and the counts
    of the dossiers `added` (ids of dossiers new in this transaction, none of whose days is
    among `keys`) added to their rows; each pair locked first, in order (concurrent writers of
    the same day and agency take turns), the pairs of the added dossiers' days given with them
    (`added` = {id: its pairs})."""
    added = dict(added)
    pairs = set(keys).union(*added.values())
    for day, agency_id in sorted(pairs):
        lock_pair(session, day.toordinal(), agency_id)
    if keys:
        clear, fill = _recount_statements()
        for day, agency_id in sorted(keys):
            start, end = day_bounds(day, day)
            session.execute(clear, {"day": day, "agency_id": agency_id})
            session.execute(fill, {"start": start, "end": end, "agency_id": agency_id})
    if added:
        _add(session, sorted(added))


def _add_statement(insert):
    """The counts of the dossiers `ids` (an expanding parameter) added to their rows."""
    table = ReportDay.__table__
    ids = bindparam("ids", expanding=True)
    add = insert(table).from_select(
        ["day", "agency_id", "procedure_id", *COUNTS],
        _counted([part.where(Dossier.id.in_(ids)) for part in _parts()]),
    )
    return add.on_conflict_do_update(
        index_elements=["day", "agency_id", "procedure_id"],
        set_={k: table.c[k] + add.excluded[k] for k in COUNTS},
    )


_ADD = CompiledOnce(_add_statement)
ADD_CHUNK = 500  # dossiers added at once


def _add(session, ids: list[int]) -> None:
    """The counts of these dossiers added to their rows (the rows' pairs locked)."""
    for chunk in range(0, len(ids), ADD_CHUNK):
        _ADD.execute(session, {"ids": ids[chunk : chunk + ADD_CHUNK]})


# ---- reading a period ---------------------------------------------------------------------------


def sums(session, date_from: dt.date, date_to: dt.date, keys, names) -> list:
    """[(key values..., sums of `names`)] over the days of [from, to], grouped by `keys`
    (columns of ReportDay, Procedure.field_id / Procedure.level: then joined, or null())."""
    statement = _sums_statement(tuple(keys), tuple(names))
    return session.connection().execute(statement, {"first": date_from, "last": date_to}).all()


@functools.cache  # built once per shape (see the module's doc)
def _sums_statement(keys: tuple, names: tuple):
    """SQL of sums(), the days between the parameters `first` and `last`."""
    R = ReportDay
    stmt = select(*keys, *(func.sum(getattr(R, n)) for n in names)).where(
        R.day >= bindparam("first", type_=R.day.type), R.day <= bindparam("last", type_=R.day.type)
    )
    if any(getattr(k, "class_", None) is Procedure for k in keys):
        stmt = stmt.join(Procedure, Procedure.id == R.procedure_id)
    grouped = [k for k in keys if not isinstance(k, Null)]  # a NULL key: that level not asked
    return stmt.group_by(*grouped) if grouped else stmt


def period_query(date_from: dt.date, date_to: dt.date) -> tuple:
    """(statement, parameters) of the period's rows, [(agency id, field id, level, every count
    of COUNTS)] over the days of [from, to]: the one reading of the period's days that the
    report's flows, digitisation, returns by post and fees share (reports.figure_groups,
    digitisation_from, returned_from, fees_from). Its whole months are read from their sums
    (report_month, domain/report_months.py), the days before and after them from report_day.
    The statement has only the parts the period has (a calendar month, quarter or year: its
    months alone): PostgreSQL then plans it once for all periods of that shape (a prepared
    statement's generic plan) instead of planning the three parts at every report."""
    months = periods.whole_months(date_from, date_to)
    if months is None:  # no whole month: every day from report_day
        return _period_statement(False, True, False), {"first": date_from, "head_last": date_to}
    first_month, last_month = months
    head_last, tail_first = first_month - ONE_DAY, periods.add_months(last_month, 1)
    params = {"first_month": first_month, "last_month": last_month}
    head, tail = date_from <= head_last, tail_first <= date_to
    if head:
        params.update(first=date_from, head_last=head_last)
    if tail:
        params.update(tail_first=tail_first, last=date_to)
    return _period_statement(True, head, tail), params


ONE_DAY = dt.timedelta(days=1)


@functools.cache  # built once per shape (see the module's doc)
def _period_statement(months: bool, head: bool, tail: bool):
    """SQL of period_query: the months from the parameter `first_month` to `last_month`
    (`months`), the days from `first` to `head_last` (`head`) and from `tail_first` to `last`
    (`tail`), grouped by agency and the procedure's field and level."""
    R, M = ReportDay, ReportMonth

    def part(table, column, first: str, last: str):
        counts = [table.agency_id, table.procedure_id, *(getattr(table, n) for n in COUNTS)]
        first_, last_ = bindparam(first, type_=column.type), bindparam(last, type_=column.type)
        return select(*counts).where(column >= first_, column <= last_)

    parts = [
        part(*shape)
        for shape, wanted in (
            ((M, M.month, "first_month", "last_month"), months),
            ((R, R.day, "first", "head_last"), head),
            ((R, R.day, "tail_first", "last"), tail),
        )
        if wanted
    ]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("period")
    keys = (rows.c.agency_id, Procedure.field_id, Procedure.level)
    return (
        select(*keys, *(func.sum(rows.c[n]) for n in COUNTS))
        .join(Procedure, Procedure.id == rows.c.procedure_id)
        .group_by(*keys)
    )


def digitisation_counts(session, date_from: dt.date, date_to: dt.date) -> tuple[dict, dict]:
    """({agency_id: (received, scanned at intake)}, {agency_id: (resolved, with an electronic
    result)}) of the period, as digitisation.scanned_at_intake_counts and
    electronic_result_counts count them; agencies with none omitted."""
    rows = sums(session, date_from, date_to, [ReportDay.agency_id], _DIGITISATION_COUNTS)
    return _digitisation(rows, range(1, 1 + len(_DIGITISATION_COUNTS)))


def digitisation_from(rows: list) -> tuple[dict, dict]:
    """digitisation_counts from period_query's rows (only the five counts it adds up)."""
    return _digitisation(rows, [3 + COUNTS.index(name) for name in _DIGITISATION_COUNTS])


def _digitisation(rows, places) -> tuple[dict, dict]:
    """digitisation_counts from rows (agency id, ...) with the _DIGITISATION_COUNTS at
    `places`, added up by agency."""
    per_agency: dict = {}
    for r in rows:
        total = per_agency.get(r[0])
        if total is None:
            total = per_agency[r[0]] = [0] * len(places)
        for k, i in enumerate(places):
            total[k] += int(r[i] or 0)
    n = len(CHANNELS)
    scanned, results = {}, {}
    for agency_id, total in per_agency.items():
        received = sum(total[:n])
        if received:
            scanned[agency_id] = (received, total[n])
        if total[n + 1]:
            results[agency_id] = (total[n + 1], total[n + 2])
    return scanned, results


# What _digitisation reads of the counts: the received by channel, then these three.
_DIGITISATION_COUNTS = (
    *(f"received_{c}" for c in CHANNELS),
    "received_scanned",
    "results",
    "results_electronic",
)


def returned_by_post(session, date_from: dt.date, date_to: dt.date) -> int:
    """postal.returned_by_post of the period."""
    return int(sums(session, date_from, date_to, [], ["returned_by_post"])[0][0] or 0)


def returned_from(rows: list) -> int:
    """returned_by_post from period_query's rows."""
    return _total(rows, "returned_by_post")


def fees_from(rows: list) -> int:
    """The fees collected in the period (payments.fees_collected_vnd) from period_query's rows."""
    return _total(rows, "fees_vnd")


def _total(rows: list, name: str) -> int:
    i = 3 + COUNTS.index(name)
    return sum(int(r[i] or 0) for r in rows)


# ---- kept current at each flush -----------------------------------------------------------------

_PENDING = "report_days_keys"


def install() -> None:
    """Every session (the app's and any other) recounts the days its flushes touch."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def _changed(obj, columns) -> bool:
    state = inspect(obj)
    return any(state.attrs[c].history.has_changes() for c in columns)


def _values(obj, column) -> list:
    """The column's value before the change (when loaded) and now (loaded if expired)."""
    hist = inspect(obj).attrs[column].history
    return [v for v in (*hist.deleted, getattr(obj, column)) if v is not None]


def _touched_dossiers(session, objects, deleted: bool) -> tuple[set[int], set[int]]:
    """(the ids of the dossiers whose own counts `objects` (dossiers, documents, files,
    payments) may move, the ids of those whose payments' counts they may move)."""
    ids: set[int] = set()
    paid: set[int] = set()
    documents: set[int] = set()
    for obj in objects:
        if isinstance(obj, Dossier):
            if deleted or obj in session.new or _changed(obj, COUNTED_COLUMNS):
                ids.add(obj.id)
            if deleted or (obj not in session.new and _changed(obj, PAID_COLUMNS)):
                paid.add(obj.id)
        elif isinstance(obj, Payment):
            paid.update(_values(obj, "dossier_id"))
        elif isinstance(obj, DossierDocument):
            ids.update(_values(obj, "dossier_id"))
        elif isinstance(obj, DossierFile):
            ids.update(_values(obj, "dossier_id"))
            documents.update(_values(obj, "document_id"))
    if documents:
        ids.update(
            session.scalars(
                select(DossierDocument.dossier_id).where(DossierDocument.id.in_(documents))
            )
        )
    return ids, paid


def _keys(session, ids: set[int], paid: set[int] = frozenset()) -> set[tuple]:
    """The (day, agency id) pairs the dossiers `ids` count on, and the payments of the
    dossiers `paid`, as the database holds them now."""
    keys = set()
    D, P = Dossier, Payment
    for chunk in range(0, len(ids), 500):
        part = sorted(ids)[chunk : chunk + 500]
        for agency_id, *times in session.execute(
            select(D.agency_id, *(getattr(D, c) for c in DAY_COLUMNS)).where(D.id.in_(part))
        ):
            keys.update((t.date(), agency_id) for t in times if t is not None)
    for chunk in range(0, len(paid), 500):
        part = sorted(paid)[chunk : chunk + 500]
        for agency_id, paid_at in session.execute(
            select(D.agency_id, P.paid_at)
            .join(D, D.id == P.dossier_id)
            .where(P.dossier_id.in_(part))
        ):
            keys.add((paid_at.date(), agency_id))
    return keys


def _before_flush(session, flush_context, instances) -> None:
    # The days the changed rows count on before the change (what the flush moves them away
    # from); deleted rows are read now, while they exist.
    ids, paid = _touched_dossiers(
        session, [o for o in session.dirty if o not in session.new], False
    )
    removed, removed_paid = _touched_dossiers(session, session.deleted, True)
    if ids or paid or removed or removed_paid:
        keys = _keys(session, ids | removed, paid | removed_paid)
        session.info.setdefault(_PENDING, set()).update(keys)


def _new_dossiers(session) -> dict[int, set[tuple]]:
    """{id: the (day, agency id) pairs it counts on} of the dossiers new in this flush, from
    the values just inserted."""
    out, agencies = {}, {}
    for obj in session.new:
        if isinstance(obj, Dossier):
            times = (getattr(obj, c) for c in DAY_COLUMNS)
            out[obj.id] = {(t.date(), obj.agency_id) for t in times if t is not None}
            agencies[obj.id] = obj.agency_id
    for obj in session.new:  # its payments new with it
        if isinstance(obj, Payment) and obj.dossier_id in out and obj.paid_at is not None:
            out[obj.dossier_id].add((obj.paid_at.date(), agencies[obj.dossier_id]))
    return out


def _after_flush(session, flush_context) -> None:
    # The days they count on after it.
    ids, paid = _touched_dossiers(session, session.new, False)
    changed, changed_paid = _touched_dossiers(
        session, [o for o in session.dirty if o not in session.deleted], False
    )
    ids, paid = ids | changed, paid | changed_paid
    # A dossier new in this flush counted on no day before it: its counts are added to its
    # days' rows, unless one of those days is recounted anyway (the recount includes it).
    added = _new_dossiers(session)
    keys = session.info.pop(_PENDING, set())
    keys |= _keys(session, ids - set(added), paid - set(added))
    for dossier_id, pairs in list(added.items()):
        if pairs & keys:
            keys |= pairs
            del added[dossier_id]
    added = {k: v for k, v in added.items() if v}  # counted on no day: nothing to add
    if keys or added:
        recount(session, keys, added)
