"""Feedback (phản ánh, kiến nghị): due 10 working days after receipt (configurable), on the same
working calendar as dossiers (design §5)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.orm import object_session

from domain import clock
from domain.notifications import queue_notices
from domain.periods import day_bounds, within
from domain.service import RuleError, future_refusals, refuse, share
from domain.sql import count_if, day_of, scoped
from models import Feedback

DEFAULT_DUE_DAYS = 10
OPEN_STATUSES = ("new", "processing")


def feedback_due_date(
    calendar, received_at: dt.date | dt.datetime, days: int = DEFAULT_DUE_DAYS
) -> dt.date:
    """The `days`-th working day after the clock start of the receipt (as for dossiers: a
    Saturday receipt counts from Monday)."""
    return calendar.due_date(received_at, days)


def overdue_criterion(today: dt.date):
    """SQL: still open and past its due date."""

    return and_(Feedback.status.in_(OPEN_STATUSES), Feedback.due_date < today)


def is_overdue(feedback, today: dt.date) -> bool:
    return (
        feedback.status in OPEN_STATUSES
        and feedback.due_date is not None
        and feedback.due_date < today
    )


def answered_on_time(feedback) -> bool | None:
    """None while not answered."""
    if feedback.answered_at is None:
        return None
    return feedback.answered_at.date() <= feedback.due_date


def feedback_agency(agency, dossier, own_agency_ids):
    """The agency a feedback is about: the one chosen, else the chosen dossier's (the dossier
    decides it). For a user limited to `own_agency_ids` (None: every agency, and the agency may
    stay empty) it must be one of them; a dossier must be the agency's own. Refused with a
    RuleError on its field."""
    if agency is None and dossier is not None:
        agency = dossier.agency
    if own_agency_ids is not None and agency is None:
        raise RuleError("feedback_agency_required", field="agency")
    if own_agency_ids is not None and agency.id not in own_agency_ids:
        raise RuleError("feedback_agency_not_own", field="agency")
    if dossier is not None and agency is not None and dossier.agency_id != agency.id:
        raise RuleError("evaluation_dossier_other_agency", field="dossier")
    return agency


def feedback_refusals(
    received_at: dt.datetime | None,
    answered_at: dt.datetime | None,
    status: str | None,
    answer: str | None,
    now: dt.datetime,
) -> list[RuleError]:
    """Every refusal of a feedback's dates and answer at once, each on its field: received or
    answered after `now` (domain/service.future_refusals), "answered" without the answer text,
    answered before it was received. An answer text given to an open item makes it answered
    (apply_answer), so only "answered" itself needs the text."""
    refusals = future_refusals(now, received_at=received_at, answered_at=answered_at)
    if status == "answered" and not (answer or "").strip():
        refusals.append(RuleError("feedback_answer_required", field="answer"))
    if answered_at is not None and received_at is not None and answered_at < received_at:
        refusals.append(RuleError("feedback_answer_before_receipt", field="answered_at"))
    return refusals


def apply_answer(feedback, user, now: dt.datetime, session=None) -> None:
    """Keep status, answer and answer date consistent after an edit: an answer text moves a new
    or processing item to "answered" and stamps the date and the officer; what
    feedback_refusals refuses raises its first refusal. The first answer queues a notice to the
    sender (domain/notifications.py) in `session` (default: the feedback's)."""
    answer = (feedback.answer or "").strip()
    feedback.answer = answer or None
    if answer and feedback.status in OPEN_STATUSES:
        feedback.status = "answered"
    answering = feedback.status in ("answered", "closed") and bool(answer)
    first_answer = answering and feedback.answered_at is None
    if first_answer:
        feedback.answered_at = now
    refuse(
        feedback_refusals(feedback.received_at, feedback.answered_at, feedback.status, answer, now)
    )
    if first_answer:
        # The sender is told, in the same transaction as the answer.
        queue_notices(session or object_session(feedback), feedback, "feedback_answered", now)
    if answering and feedback.handled_by_id is None and feedback.handled_by is None:
        feedback.handled_by = user


def answered_criteria(end=None):
    """SQL: answered (before the moment `end`, the end of the period, when given), and of those
    answered on time (answer date <= due date)."""
    F = Feedback

    answered = F.answered_at.is_not(None)
    if end is not None:
        answered = and_(answered, F.answered_at < end)
    return answered, and_(answered, day_of(F.answered_at) <= F.due_date)


def feedback_figures(criteria: list, end, today) -> list:
    """SQL: the figures of feedback_counts (received, answered, answered_on_time, overdue) of
    the feedback that meets `criteria` (the received_at range), answered before `end`,
    overdue at `today` (values or parameters: the report's part, reports.services_query)."""
    answered, on_time = answered_criteria(end)
    return [
        func.count(Feedback.id).label("received"),
        count_if(answered).label("answered"),
        count_if(on_time).label("answered_on_time"),
        count_if(overdue_criterion(today)).label("overdue"),
    ]


def feedback_counts(
    session,
    date_from=None,
    date_to=None,
    agency_ids=None,
    today: dt.date | None = None,
    by_channel: bool = False,
) -> list[dict]:
    """Received in the period; of them answered by the end of the period, answered on time, and
    still open and overdue at `today`. One row, or one per channel with `by_channel`. The one
    SQL of the report's "feedback" (and its breakdown by channel) and the feedback totals page."""
    F = Feedback

    today = today or clock.today()
    keys = [F.channel] if by_channel else []
    criteria = within(F.received_at, date_from, date_to)
    query = (
        select(*feedback_figures(criteria, day_bounds(None, date_to)[1], today), *keys)
        .where(*criteria)
        .group_by(*keys)
    )
    query = scoped(query, F.agency_id, agency_ids)
    return [
        {
            "channel": r.channel if by_channel else None,
            "received": int(r.received),
            "answered": int(r.answered),
            "answered_on_time": int(r.answered_on_time),
            "overdue": int(r.overdue),
        }
        for r in session.execute(query)
    ]


def feedback_summary(
    session, date_from=None, date_to=None, agency_ids=None, today: dt.date | None = None
) -> dict:
    """The totals of feedback_counts, and the share answered on time (of the answered, %)."""
    row = feedback_counts(session, date_from, date_to, agency_ids, today)[0]
    del row["channel"]
    return {**row, "share_on_time": share(row["answered_on_time"], row["answered"])}
