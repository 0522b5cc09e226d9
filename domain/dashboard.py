"""Figures of the managers' dashboard: aggregate SQL over indexed columns, optionally narrowed to a
set of agencies (counter staff see their own agencies).

- received per month by channel, fees per month, on-time share per agency over the twelve
  months: the month figures (domain/month_figures.py): whole months kept computed, the month of
  today counted live;
- open and overdue now, the overdue list: the (status, due_date) index;
- staff ratings and evaluation forms: the functions of ratings and evaluation that the report
  and the totals pages call (one SQL per figure)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from domain import deadlines, evaluation, month_figures, periods, ratings, reports
from domain.calendar import load_calendar
from domain.sql import count_if, scoped
from domain.status import OPEN_STATUSES, PAUSED_STATUSES
from models import CHANNELS, Agency, Dossier


def months_between(first: dt.date, last: dt.date) -> list[str]:
    keys, day = [], first.replace(day=1)
    while day <= last:
        keys.append(f"{day:%Y-%m}")
        day = periods.add_months(day, 1)
    return keys


def received_by_month(counts: dict, first: dt.date, today: dt.date) -> list:
    """[(YYYY-MM, {channel: n})] from the month of `first` to the month of `today`, from the
    month figures."""
    by_month: dict[str, dict] = {}
    for (key, _, figure), n in counts.items():
        if figure.startswith(month_figures.RECEIVED):
            channel = figure.removeprefix(month_figures.RECEIVED)
            month = by_month.setdefault(key, {})
            month[channel] = month.get(channel, 0) + n
    return [
        (key, {c: by_month.get(key, {}).get(c, 0) for c in CHANNELS})
        for key in months_between(first, today)
    ]


def fees_by_month(counts: dict, first: dt.date, today: dt.date) -> list:
    """[(YYYY-MM, amount in VND)] of the payments not cancelled (the figure of the report and
    the payments' totals page, payments.payment_totals), from the month figures."""
    sums: dict[str, int] = {}
    for (key, _, figure), amount in counts.items():
        if figure == month_figures.FEES:
            sums[key] = sums.get(key, 0) + amount
    return [(key, sums.get(key, 0)) for key in months_between(first, today)]


def open_now(session, today: dt.date, agency_ids=None) -> dict:
    """Dossiers open today: total, paused, overdue (due before today, clock running), due today."""
    stmt = select(
        func.count().label("open"),
        count_if(Dossier.status.in_(PAUSED_STATUSES)).label("paused"),
        count_if(deadlines.overdue_now(today)).label("overdue"),
        count_if(deadlines.due_on(today)).label("due_today"),
    ).where(Dossier.status.in_(OPEN_STATUSES))
    r = session.execute(scoped(stmt, Dossier.agency_id, agency_ids)).one()
    return {k: int(getattr(r, k)) for k in ("open", "paused", "overdue", "due_today")}


def overdue_by_agency(session, today: dt.date, agency_ids=None) -> list:
    """[(agency name, open, overdue)] for agencies with open dossiers, most overdue first."""
    stmt = (
        select(Dossier.agency_id, func.count(), count_if(deadlines.overdue_now(today)))
        .where(Dossier.status.in_(OPEN_STATUSES))
        .group_by(Dossier.agency_id)
    )
    counts = {
        a: (int(n), int(o))
        for a, n, o in session.execute(scoped(stmt, Dossier.agency_id, agency_ids))
    }
    names = dict(
        session.execute(
            select(Agency.id, func.coalesce(Agency.short_name, Agency.name)).where(
                Agency.id.in_(list(counts) or [-1])
            )
        ).all()
    )
    return sorted(
        ((names[a], n, o) for a, (n, o) in counts.items()), key=lambda r: (-r[2], -r[1], r[0])
    )


def overdue_list(session, today: dt.date, agency_ids=None, limit: int = 20) -> list:
    """The open dossiers furthest past their due date (clock running), oldest first; lateness
    in working days, as the supervision list gives it."""
    stmt = (
        select(
            Dossier.id,
            Dossier.code,
            Dossier.applicant_name,
            Dossier.accepted_at,
            Dossier.due_date,
            Dossier.status,
            func.coalesce(Agency.short_name, Agency.name).label("agency"),
        )
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(deadlines.overdue_now(today))
        .order_by(Dossier.due_date, Dossier.id)
        .limit(limit)
    )
    rows = session.execute(scoped(stmt, Dossier.agency_id, agency_ids)).all()
    calendar = load_calendar(session)
    return [
        {
            "id": r.id,
            "code": r.code,
            "applicant_name": r.applicant_name,
            "accepted_at": r.accepted_at,
            "due_date": r.due_date,
            "status": r.status,
            "agency": r.agency,
            "days_late": deadlines.days_late(calendar, r.due_date, today),
        }
        for r in rows
    ]


def on_time_by_agency(session, counts: dict) -> list:
    """[(agency name, resolved, early + on time, share %)] of the dossiers closed in the window,
    classified as the report does (withdrawn and stopped count on time), from the month
    figures."""
    closed: dict[int, list] = {}
    for (_, agency, figure), n in counts.items():
        if figure in (month_figures.CLOSED, month_figures.IN_TIME):
            pair = closed.setdefault(agency, [0, 0])
            pair[figure == month_figures.IN_TIME] += n
    agencies = session.execute(
        select(Agency.id, Agency.name).order_by(Agency.sort_order, Agency.code)
    ).all()
    return [
        (name, n, in_time, reports.share(in_time, n))
        for a, name in agencies
        if a in closed
        for n, in_time in [closed[a]]
        if n
    ]


def satisfaction(session, first: dt.date, today: dt.date, agency_ids=None) -> dict:
    """Staff ratings by level and evaluation forms (count, average share of the maximum)."""
    # A rating belongs to the agencies of the officer rated.
    levels = ratings.rating_counts(session, first, today, agency_ids)
    total = levels.pop("total")
    forms = evaluation.evaluation_counts_by_agency(session, first, today, agency_ids)
    n, score, max_score = (sum(r[i] for r in forms) for i in (2, 3, 4))
    return {
        "ratings": levels,
        "ratings_total": total,
        "satisfied_share": reports.share(levels["very_satisfied"] + levels["satisfied"], total),
        "forms": int(n or 0),
        "forms_score_share": reports.share(int(score or 0), int(max_score or 0)),
    }


def dashboard(
    session,
    today: dt.date,
    agency_ids=None,
    months: int = 12,
    now: dt.date | None = None,
    keep=None,
) -> dict:
    """Everything the home page shows, for the `months` months up to `today`; the figures of
    the moment (open, overdue) as of `now` (by default `today`: the charts may show an earlier
    window, the open dossiers are those of today). Each figure is computed once. `keep`: called
    with the whole months counted from the dossiers, to store them (month_figures.keep) in a
    transaction of the caller's; without it they are counted again next time."""
    first = periods.last_months(today, months).start
    now = now or today
    counts, pending = month_figures.figures(session, first, today, agency_ids)
    if pending and keep is not None:
        keep(pending)
    return {
        "first": first,
        "today": today,
        "received_by_month": received_by_month(counts, first, today),
        "fees_by_month": fees_by_month(counts, first, today),
        "open_now": open_now(session, now, agency_ids),
        "overdue_by_agency": overdue_by_agency(session, now, agency_ids),
        "overdue_list": overdue_list(session, now, agency_ids),
        "on_time_by_agency": on_time_by_agency(session, counts),
        "satisfaction": satisfaction(session, first, today, agency_ids),
    }
