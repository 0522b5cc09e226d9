"""Feedback (phản ánh, kiến nghị): due 10 working days after receipt (configurable), on the same
working calendar as dossiers (design §5)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select

from domain import clock
from domain.service import RuleError, in_period, share

DEFAULT_DUE_DAYS = 10
OPEN_STATUSES = ("new", "processing")


def feedback_due_date(calendar, received_at: dt.date | dt.datetime,
                      days: int = DEFAULT_DUE_DAYS) -> dt.date:
    """The `days`-th working day after the clock start of the receipt (as for dossiers: a
    Saturday receipt counts from Monday)."""
    return calendar.due_date(received_at, days)


def overdue_criterion(today: dt.date):
    """SQL: still open and past its due date."""
    from models import Feedback

    return and_(Feedback.status.in_(OPEN_STATUSES), Feedback.due_date < today)


def is_overdue(feedback, today: dt.date) -> bool:
    return feedback.status in OPEN_STATUSES and feedback.due_date is not None \
        and feedback.due_date < today


def answered_on_time(feedback) -> bool | None:
    """None while not answered."""
    if feedback.answered_at is None:
        return None
    return feedback.answered_at.date() <= feedback.due_date


def apply_answer(feedback, user, now: dt.datetime) -> None:
    """Keep status, answer and answer date consistent after an edit: an answer text moves a new
    or processing item to "answered" and stamps the date and the officer; "answered" or
    "closed" without an answer is refused."""
    answer = (feedback.answer or "").strip()
    feedback.answer = answer or None
    if answer and feedback.status in OPEN_STATUSES:
        feedback.status = "answered"
    if feedback.status == "answered" and not answer:
        raise RuleError("feedback_answer_required")
    if feedback.status in ("answered", "closed") and answer:
        if feedback.answered_at is None:
            feedback.answered_at = now
        if feedback.handled_by_id is None and feedback.handled_by is None:
            feedback.handled_by = user
    if feedback.answered_at is not None and feedback.received_at is not None \
            and feedback.answered_at < feedback.received_at:
        raise RuleError("feedback_answer_before_receipt")


def feedback_summary(session, date_from=None, date_to=None, agency_ids=None,
                     today: dt.date | None = None) -> dict:
    """Received in the period; of them answered, answered on time (answer date <= due date),
    still open and overdue at `today`; share answered on time (of the answered, percent)."""
    from models import Feedback as F

    today = today or clock.today()
    answered = F.answered_at.is_not(None)
    # Answer date <= due date  <=>  answered_at < due date + 1 day (portable, no date cast).
    on_time = and_(answered, F.answered_at < _day_after(session, F.due_date))
    query = select(
        func.count(F.id),
        func.coalesce(func.sum(case((answered, 1), else_=0)), 0),
        func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
        func.coalesce(func.sum(case((overdue_criterion(today), 1), else_=0)), 0),
    ).where(*in_period(F.received_at, date_from, date_to))
    if agency_ids is not None:
        query = query.where(F.agency_id.in_(agency_ids or [-1]))
    received, n_answered, n_on_time, overdue = (int(v) for v in session.execute(query).one())
    return {"received": received, "answered": n_answered, "answered_on_time": n_on_time,
            "overdue": overdue, "share_on_time": share(n_on_time, n_answered)}


def _day_after(session, date_column):
    if session.get_bind().dialect.name == "postgresql":
        return date_column + dt.timedelta(days=1)
    return func.datetime(date_column, "+1 day")
