"""Public postal service (bưu chính công ích, Decision 45/2016): dossiers received by post
(channel "postal") and results returned by post (return_channel "postal", tracking number)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from domain.periods import within
from domain.sql import count_if, scoped
from domain.status import NOT_RECEIVED_STATUSES
from models import Agency, Dossier


def postal_criterion():
    """SQL: a dossier that went through the post either way."""

    return or_(Dossier.channel == "postal", Dossier.return_channel == "postal")


@dataclass
class PostalCount:
    agency_id: int | None
    agency_name: str
    received_by_post: int
    returned_by_post: int
    returned_without_tracking: int


def _between(column, date_from, date_to):
    return and_(column.is_not(None), *within(column, date_from, date_to))


def postal_counts(session, date_from=None, date_to=None, agency_ids=None) -> list[PostalCount]:
    """Per agency: accepted in the period with channel postal (as report §6 counts
    received_postal), returned by post in the period (returned_at), and of those returned
    without a tracking number. One GROUP BY with conditional sums; agencies with none omitted.
    The one SQL of the report's breakdown by agency and of the postal totals page."""
    D = Dossier

    received = and_(
        D.channel == "postal",
        D.status.notin_(NOT_RECEIVED_STATUSES),
        _between(D.accepted_at, date_from, date_to),
    )
    returned = and_(D.return_channel == "postal", _between(D.returned_at, date_from, date_to))
    no_tracking = and_(returned, or_(D.postal_tracking_no.is_(None), D.postal_tracking_no == ""))
    query = (
        select(
            Agency.id, Agency.name, count_if(received), count_if(returned), count_if(no_tracking)
        )
        .join(Agency, D.agency_id == Agency.id)
        .where(or_(received, returned))
        .group_by(Agency.id, Agency.name, Agency.sort_order)
        .order_by(Agency.sort_order, Agency.name)
    )
    query = scoped(query, D.agency_id, agency_ids)
    return [
        PostalCount(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in session.execute(query)
    ]


def returned_by_post_criterion(d=Dossier):
    """SQL: the result returned by post (counted on its day, returned_at)."""
    return and_(d.return_channel == "postal", d.returned_at.is_not(None))


def returned_by_post(session, date_from=None, date_to=None) -> int:
    """Design §6 "returned_by_post", counted from the dossiers (the report sums the same from its
    per-day table: report_days)."""
    D = Dossier

    return int(
        session.scalar(
            select(func.count(D.id)).where(
                returned_by_post_criterion(), _between(D.returned_at, date_from, date_to)
            )
        )
        or 0
    )
