"""The periodic report of design §6 (form 06a): figures per agency (optionally per field) for a
period [from, to], inclusive dates.

Everything is aggregate SQL (GROUP BY with conditional sums); no Python loop over dossiers. The
same SQL runs on SQLite and PostgreSQL: business timestamps are naive local datetimes, so a date
bound becomes a half-open datetime range (`from 00:00 <= t < (to + 1 day) 00:00`), and the only
date-of-a-timestamp comparison (closing day vs due date) goes through `day_of`, compiled per
dialect.

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
the period, by direction.
"""
from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange

from sqlalchemy import Date, and_, case, func, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from domain import deadlines, formatting
from domain.status import (
    CLOSED_STATUSES, NOT_RECEIVED_STATUSES, OPEN_STATUSES, RESOLVED_STATUSES,
)
from models import (
    Agency, CourierItem, CourierRun, Dossier, EvaluationForm, Feedback, Field, Payment, Procedure,
    StaffRating, User,
)

ROW_KEYS = (
    "received_online", "received_direct", "received_postal", "received_new",
    "carried_over", "received_total",
    "resolved_early", "resolved_on_time", "resolved_late", "resolved_total",
    "pending_in_time", "pending_overdue", "pending_total",
)
# The figures counted in SQL; the others are sums of these.
_COUNTED = ("received_online", "received_direct", "received_postal", "carried_over",
            "resolved_early", "resolved_on_time", "resolved_late",
            "pending_in_time", "pending_overdue")
ONE_DAY = dt.timedelta(days=1)
NO_FIELD_LABEL = "Khác"


# ---- periods ----------------------------------------------------------------------------------

def month_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, monthrange(year, month)[1])


def quarter_period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1-4")
    first = 3 * (quarter - 1) + 1
    return dt.date(year, first, 1), month_period(year, first + 2)[1]


def half_period(year: int, half: int) -> tuple[dt.date, dt.date]:
    """The six-month reporting period: half 1 = January–June, 2 = July–December."""
    if half not in (1, 2):
        raise ValueError("half must be 1 or 2")
    return dt.date(year, 6 * half - 5, 1), month_period(year, 6 * half)[1]


def year_period(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def cutoff_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The statutory reporting period of month M: the 15th of M-1 to the 14th of M."""
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(prev_year, prev_month, 15), dt.date(year, month, 14)


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2019-03' -> (2019-03-01, 2019-03-31)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must look like 2019-03: {text!r}")
    return month_period(int(m.group(1)), int(m.group(2)))


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """'2019-Q1' -> (2019-01-01, 2019-03-31)."""
    m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text.strip())
    if not m:
        raise ValueError(f"quarter must look like 2019-Q1: {text!r}")
    return quarter_period(int(m.group(1)), int(m.group(2)))


def parse_year(text: str) -> tuple[dt.date, dt.date]:
    if not re.fullmatch(r"\d{4}", str(text).strip()):
        raise ValueError(f"year must look like 2019: {text!r}")
    return year_period(int(text))


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"date must look like 2019-01-31: {text!r}") from None


# ---- SQL helpers -------------------------------------------------------------------------------

class day_of(FunctionElement):
    """The calendar date of a naive timestamp, as a value comparable with a DATE column."""
    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element, compiler, **kw):
    # SQLite stores DATE as 'YYYY-MM-DD' and DATETIME as 'YYYY-MM-DD HH:MM:SS...'.
    return f"date({compiler.process(element.clauses, **kw)})"


class unindexed(FunctionElement):
    """The column itself, written so that SQLite does not drive the query by its index
    (`+column`, SQLite's documented idiom); plain `column` elsewhere."""
    name = "unindexed"
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if date_to < date_from:
        raise ValueError("the period ends before it starts")
    return (dt.datetime.combine(date_from, dt.time.min),
            dt.datetime.combine(date_to + ONE_DAY, dt.time.min))


def count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def closing_time(d=Dossier):
    """When the dossier left the open statuses (None if still open), never before acceptance.
    `d`: the Dossier entity or a subquery with its columns."""
    raw = case((d.status.in_(RESOLVED_STATUSES), d.resolved_at),
               (d.status.in_(CLOSED_STATUSES), d.closed_at), else_=None)
    return case((raw < d.accepted_at, d.accepted_at), else_=raw)


def relevant_dossiers(date_from: dt.date, date_to: dt.date, by_field: bool = False):
    """The dossiers that can count in [from, to], as a UNION ALL of disjoint index-friendly parts:
    accepted in the period (accepted_at index), and accepted before it but still open (status
    index), resolved or closed since its start (resolved_at / closed_at indexes), or closed
    without a closing time (bad data, counted as open). A month costs the month's dossiers plus
    the open ones, not a scan of the whole history."""
    start, end = _bounds(date_from, date_to)
    columns = [Dossier.agency_id, Dossier.channel, Dossier.status, Dossier.accepted_at,
               Dossier.resolved_at, Dossier.closed_at, Dossier.due_date]
    if by_field:
        columns.append(Procedure.field_id)

    def part(*conditions):
        stmt = select(*columns).where(*conditions)
        if by_field:
            stmt = stmt.join(Procedure, Procedure.id == Dossier.procedure_id)
        return stmt

    acc, status = Dossier.accepted_at, Dossier.status
    # SQLite has no statistics unless ANALYZE ran and picks an index per part by rule: steer
    # each part to its own index (PostgreSQL plans from its statistics; `unindexed` is a no-op
    # there).
    any_status, before = unindexed(status), unindexed(acc) < start
    return union_all(
        part(acc >= start, acc < end, any_status.notin_(NOT_RECEIVED_STATUSES)),
        part(status.in_(OPEN_STATUSES), before),
        part(any_status.in_(RESOLVED_STATUSES), Dossier.resolved_at >= start, before),
        part(any_status.in_(CLOSED_STATUSES), Dossier.closed_at >= start, before),
        part(or_(and_(status.in_(RESOLVED_STATUSES), Dossier.resolved_at.is_(None)),
                 and_(status.in_(CLOSED_STATUSES), Dossier.closed_at.is_(None))), before),
    ).subquery("d")


def figure_columns(d, date_from: dt.date, date_to: dt.date) -> list:
    """The nine counted figures as conditional sums over `d` (see relevant_dossiers)."""
    start, end = _bounds(date_from, date_to)
    acc = d.accepted_at
    close = closing_time(d)
    resolved = and_(close >= start, close < end)
    outcome = deadlines.outcome_criteria(d.status, day_of(close), d.due_date)
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
    c = {k: int(counts.get(k) or 0) for k in _COUNTED}
    c["received_new"] = c["received_online"] + c["received_direct"] + c["received_postal"]
    c["received_total"] = c["received_new"] + c["carried_over"]
    c["resolved_total"] = c["resolved_early"] + c["resolved_on_time"] + c["resolved_late"]
    c["pending_total"] = c["pending_in_time"] + c["pending_overdue"]
    return {k: c[k] for k in ROW_KEYS}


def _zero() -> dict:
    return _complete({})


def _add(total: dict, row: dict) -> None:
    for k in ROW_KEYS:
        total[k] += row[k]


def _has_figures(row: dict) -> bool:
    return any(row[k] for k in ROW_KEYS)


# ---- the report --------------------------------------------------------------------------------

def dossier_rows(session, date_from: dt.date, date_to: dt.date, by_field: bool = False) -> list:
    d = relevant_dossiers(date_from, date_to, by_field).c
    columns = figure_columns(d, date_from, date_to)
    counts: dict[int, dict] = {}
    field_counts: dict[int, dict] = {}
    if by_field:
        # One pass grouped by (agency, field); the agency rows are their sums.
        for r in session.execute(select(d.agency_id, d.field_id, *columns)
                                 .group_by(d.agency_id, d.field_id)):
            row = _complete(r._mapping)
            field_counts.setdefault(r.agency_id, {})[r.field_id] = row
            _add(counts.setdefault(r.agency_id, _zero()), row)
    else:
        for r in session.execute(select(d.agency_id, *columns).group_by(d.agency_id)):
            counts[r.agency_id] = _complete(r._mapping)

    agencies = session.execute(
        select(Agency.id, Agency.code, Agency.name, Agency.active)
        .order_by(Agency.sort_order, Agency.code)).all()
    fields_by_agency: dict[int, list] = {}
    field_info: dict[int, tuple] = {}
    if by_field:
        for f in session.execute(select(Field.id, Field.code, Field.name, Field.agency_id,
                                        Field.active).order_by(Field.code)):
            field_info[f.id] = (f.code, f.name)
            if f.active:
                fields_by_agency.setdefault(f.agency_id, []).append(f.id)

    rows = []
    for a in agencies:
        figures = counts.get(a.id, _zero())
        if not a.active and not _has_figures(figures):
            continue
        row = {"agency_code": a.code, "agency_name": a.name, **figures}
        if by_field:
            per_field = field_counts.get(a.id, {})
            ids = list(fields_by_agency.get(a.id, []))
            ids += sorted((i for i in per_field if i is not None and i not in ids),
                          key=lambda i: field_info[i][0])
            if None in per_field:
                ids.append(None)
            row["fields"] = [
                {"field_code": field_info[i][0] if i is not None else None,
                 "field_name": field_info[i][1] if i is not None else NO_FIELD_LABEL,
                 **per_field.get(i, _zero())}
                for i in ids]
        rows.append(row)
    return rows


def build_report(session, date_from: dt.date, date_to: dt.date, by_field: bool = False) -> dict:
    """The JSON of design §6 for [date_from, date_to] (inclusive)."""
    start, end = _bounds(date_from, date_to)
    rows = dossier_rows(session, date_from, date_to, by_field)
    totals = _zero()
    for row in rows:
        _add(totals, row)

    returned_by_post = session.scalar(
        select(func.count()).select_from(Dossier)
        .where(Dossier.return_channel == "postal", Dossier.returned_at >= start,
               Dossier.returned_at < end))
    fees = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_vnd), 0))
        .where(Payment.paid_at >= start, Payment.paid_at < end, Payment.cancelled_at.is_(None)))

    ratings = {level: 0 for level in ("very_satisfied", "satisfied", "unsatisfied")}
    for level, n in session.execute(
            select(StaffRating.level, func.count())
            .where(StaffRating.rated_at >= start, StaffRating.rated_at < end,
                   StaffRating.cancelled_at.is_(None))
            .group_by(StaffRating.level)):
        ratings[level] = int(n)
    ratings["total"] = sum(ratings.values())

    by_score = {}
    for score, max_score, n in session.execute(
            select(EvaluationForm.score, EvaluationForm.max_score, func.count())
            .where(EvaluationForm.submitted_at >= start, EvaluationForm.submitted_at < end,
                   EvaluationForm.cancelled_at.is_(None))
            .group_by(EvaluationForm.score, EvaluationForm.max_score)
            .order_by(EvaluationForm.max_score.desc(), EvaluationForm.score.desc())):
        by_score[f"{score}/{max_score}"] = int(n)

    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "rows": rows,
        "totals": totals,
        "returned_by_post": int(returned_by_post or 0),
        "fees_collected_vnd": int(fees or 0),
        "staff_ratings": ratings,
        "evaluation_forms": {"total": sum(by_score.values()), "by_score": by_score},
        "feedback": _feedback_figures(session, date_from, date_to),
        "courier": _courier_figures(session, date_from, date_to),
    }


def _feedback_answered(date_to: dt.date):
    _, end = _bounds(date_to, date_to)
    answered = and_(Feedback.answered_at.is_not(None), Feedback.answered_at < end)
    on_time = and_(answered, day_of(Feedback.answered_at) <= Feedback.due_date)
    return answered, on_time


def _feedback_figures(session, date_from, date_to) -> dict:
    """Feedback received in the period; of those, answered by the end of the period, and answered
    by their due date."""
    start, end = _bounds(date_from, date_to)
    answered, on_time = _feedback_answered(date_to)
    r = session.execute(
        select(func.count().label("received"), count_if(answered).label("answered"),
               count_if(on_time).label("answered_on_time"))
        .where(Feedback.received_at >= start, Feedback.received_at < end)).one()
    return {"received": int(r.received), "answered": int(r.answered),
            "answered_on_time": int(r.answered_on_time)}


def _courier_figures(session, date_from, date_to) -> dict:
    """Dossiers carried by the courier runs of the period, by direction."""
    result = {"to_agencies": 0, "to_center": 0}
    for direction, n in session.execute(
            select(CourierRun.direction, func.count(CourierItem.id))
            .join(CourierItem, CourierItem.run_id == CourierRun.id)
            .where(CourierRun.run_date >= date_from, CourierRun.run_date <= date_to)
            .group_by(CourierRun.direction)):
        result["to_agencies" if direction == "to_agency" else "to_center"] = int(n)
    return result


# ---- breakdowns for the workbook and the page (not part of the JSON contract) -------------------

def build_details(session, date_from: dt.date, date_to: dt.date) -> dict:
    """Per-agency / per-method / per-officer breakdowns of the non-dossier figures of the period."""
    start, end = _bounds(date_from, date_to)
    agencies = {a.id: (a.code, a.name) for a in session.execute(
        select(Agency.id, Agency.code, Agency.name))}
    order = [a for a, in session.execute(select(Agency.id).order_by(Agency.sort_order,
                                                                      Agency.code))]

    def agency_sorted(mapping):
        return [(agencies[i][0], agencies[i][1], mapping[i]) for i in order if i in mapping]

    paid = and_(Payment.paid_at >= start, Payment.paid_at < end, Payment.cancelled_at.is_(None))
    fees_by_agency = {r.agency_id: (int(r.n), int(r.amount)) for r in session.execute(
        select(Dossier.agency_id, func.count().label("n"),
               func.sum(Payment.amount_vnd).label("amount"))
        .join(Dossier, Dossier.id == Payment.dossier_id).where(paid)
        .group_by(Dossier.agency_id))}
    fees_by_method = {m: (int(n), int(a)) for m, n, a in session.execute(
        select(Payment.method, func.count(), func.sum(Payment.amount_vnd)).where(paid)
        .group_by(Payment.method))}
    cancelled = session.execute(
        select(func.count(), func.coalesce(func.sum(Payment.amount_vnd), 0))
        .where(Payment.paid_at >= start, Payment.paid_at < end,
               Payment.cancelled_at.is_not(None))).one()

    ratings_by_staff: dict[int, dict] = {}
    for staff_id, level, n in session.execute(
            select(StaffRating.staff_id, StaffRating.level, func.count())
            .where(StaffRating.rated_at >= start, StaffRating.rated_at < end,
                   StaffRating.cancelled_at.is_(None))
            .group_by(StaffRating.staff_id, StaffRating.level)):
        ratings_by_staff.setdefault(staff_id, {})[level] = int(n)
    staff_names = {u.id: (u.username, u.full_name) for u in session.execute(
        select(User.id, User.username, User.full_name).where(User.id.in_(ratings_by_staff)))}
    ratings = sorted(((staff_names[i][0], staff_names[i][1], levels)
                      for i, levels in ratings_by_staff.items()), key=lambda r: r[0])

    forms_by_agency: dict[int, dict] = {}
    for agency_id, score, max_score, n in session.execute(
            select(EvaluationForm.agency_id, EvaluationForm.score, EvaluationForm.max_score,
                   func.count())
            .where(EvaluationForm.submitted_at >= start, EvaluationForm.submitted_at < end,
                   EvaluationForm.cancelled_at.is_(None))
            .group_by(EvaluationForm.agency_id, EvaluationForm.score, EvaluationForm.max_score)):
        forms_by_agency.setdefault(agency_id, {})[f"{score}/{max_score}"] = int(n)

    answered, on_time = _feedback_answered(date_to)
    feedback_by_channel = {r.channel: (int(r.received), int(r.answered), int(r.on_time))
                           for r in session.execute(
        select(Feedback.channel, func.count().label("received"), count_if(answered).label("answered"),
               count_if(on_time).label("on_time"))
        .where(Feedback.received_at >= start, Feedback.received_at < end)
        .group_by(Feedback.channel))}

    postal = {}
    for r in session.execute(
            select(Dossier.agency_id,
                   count_if(and_(Dossier.channel == "postal", Dossier.accepted_at >= start,
                               Dossier.accepted_at < end,
                               Dossier.status.notin_(NOT_RECEIVED_STATUSES)))
                   .label("received"),
                   count_if(and_(Dossier.return_channel == "postal", Dossier.returned_at >= start,
                               Dossier.returned_at < end)).label("returned"))
            .where(or_(and_(Dossier.channel == "postal", Dossier.accepted_at >= start,
                            Dossier.accepted_at < end),
                       and_(Dossier.returned_at >= start, Dossier.returned_at < end)))
            .group_by(Dossier.agency_id)):
        if r.received or r.returned:
            postal[r.agency_id] = (int(r.received), int(r.returned))

    courier: dict[int, dict] = {}
    for agency_id, direction, runs, items in session.execute(
            select(CourierRun.agency_id, CourierRun.direction,
                   func.count(func.distinct(CourierRun.id)), func.count(CourierItem.id))
            .outerjoin(CourierItem, CourierItem.run_id == CourierRun.id)
            .where(CourierRun.run_date >= date_from, CourierRun.run_date <= date_to)
            .group_by(CourierRun.agency_id, CourierRun.direction)):
        courier.setdefault(agency_id, {})[direction] = (int(runs), int(items))

    return {
        "fees_by_agency": agency_sorted(fees_by_agency),
        "fees_by_method": fees_by_method,
        "fees_cancelled": (int(cancelled[0]), int(cancelled[1])),
        "ratings_by_staff": ratings,
        "forms_by_agency": agency_sorted(forms_by_agency),
        "feedback_by_channel": feedback_by_channel,
        "postal_by_agency": agency_sorted(postal),
        "courier_by_agency": agency_sorted(courier),
    }


# A share in percent, rounded to two decimals; None when there is nothing to share.
share = formatting.share


__all__ = ["build_report", "build_details", "month_period", "quarter_period", "half_period",
           "year_period", "cutoff_period", "parse_month", "parse_quarter", "parse_year",
           "parse_date", "ROW_KEYS", "day_of", "closing_time", "count_if", "relevant_dossiers",
           "figure_columns", "share"]
