"""Staff ratings at the counter kiosk (design §2): one tap, one StaffRating for the officer at the
counter. Counts by officer and agency are conditional SUMs in one GROUP BY."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from domain.periods import within
from domain.service import RuleError
from domain.sql import scoped
from models import RATING_CHANNELS, RATING_LEVELS, Agency, Dossier, StaffRating, User, user_agency


def record_rating(
    session, staff, level: str, now: dt.datetime, dossier_id=None, channel: str = "kiosk"
):
    """A rating of `staff` (the logged-in officer, never someone chosen in the request).
    A linked dossier must belong to one of the officer's agencies."""

    if staff is None or staff.role != "staff":
        raise RuleError("rating_staff_only")
    if level not in RATING_LEVELS:
        raise RuleError("rating_level_unknown")
    if channel not in RATING_CHANNELS:
        raise RuleError("rating_channel_unknown")
    dossier = None
    if dossier_id not in (None, ""):
        try:
            dossier_id = int(dossier_id)
        except (TypeError, ValueError):
            raise RuleError("rating_dossier_refused") from None
        dossier = session.get(Dossier, dossier_id)
        if dossier is None or dossier.agency_id not in staff.agency_ids:
            raise RuleError("rating_dossier_refused")
        _replace_same_day(session, staff.id, dossier.id, now)
    rating = StaffRating(
        staff_id=staff.id, dossier=dossier, level=level, rated_at=now, channel=channel
    )
    session.add(rating)
    return rating


# Kept in the rating it replaces (the data's language, as the reasons admins type).
REPLACED_REASON = "Công dân đánh giá lại cùng hồ sơ trong ngày: thay bằng đánh giá mới"


def _replace_same_day(session, staff_id: int, dossier_id: int, now: dt.datetime) -> None:
    """A citizen who rates the same officer for the same dossier again on the same day changes
    their mind (a wrong button, a second tap after a talk): the new rating counts, the earlier
    one stays, cancelled with the reason. On another day (the result handed over after the
    intake) it is another visit, rated on its own."""
    day = dt.datetime.combine(now.date(), dt.time())
    earlier = session.scalars(
        select(StaffRating).where(
            StaffRating.staff_id == staff_id,
            StaffRating.dossier_id == dossier_id,
            StaffRating.cancelled_at.is_(None),
            StaffRating.rated_at >= day,
            StaffRating.rated_at < day + dt.timedelta(days=1),
        )
    ).all()
    for rating in earlier:
        rating.cancelled_at = now
        rating.cancel_reason = REPLACED_REASON


def _level_sums():

    return [
        func.coalesce(func.sum(case((StaffRating.level == lvl, 1), else_=0)), 0)
        for lvl in RATING_LEVELS
    ]


@dataclass
class RatingCount:
    key_id: int
    label: str
    very_satisfied: int
    satisfied: int
    unsatisfied: int
    username: str | None = None  # of an officer

    @property
    def levels(self) -> dict:
        return {
            "very_satisfied": self.very_satisfied,
            "satisfied": self.satisfied,
            "unsatisfied": self.unsatisfied,
        }

    @property
    def total(self) -> int:
        return self.very_satisfied + self.satisfied + self.unsatisfied


def rating_counts_by_officer(session, date_from=None, date_to=None, agency_ids=None):
    """Ratings per officer (cancelled ones excluded)."""

    query = (
        select(User.id, User.full_name, *_level_sums(), User.username)
        .join(User, StaffRating.staff_id == User.id)
        .where(
            StaffRating.cancelled_at.is_(None), *within(StaffRating.rated_at, date_from, date_to)
        )
        .group_by(User.id, User.full_name, User.username)
        .order_by(User.full_name)
    )
    if agency_ids is not None:
        query = query.where(_of_agencies(agency_ids))
    return [
        RatingCount(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), r[5])
        for r in session.execute(query)
    ]


def _of_agencies(agency_ids):
    """SQL: a rating of an officer of one of the agencies."""

    return StaffRating.staff_id.in_(
        select(user_agency.c.user_id).where(user_agency.c.agency_id.in_(list(agency_ids) or [-1]))
    )


def rating_counts_by_agency(session, date_from=None, date_to=None, agency_ids=None):
    """Ratings per agency of the rated officer. An officer seconded by several agencies counts in
    each of them (so the rows can add up to more than the total of rating_counts)."""

    query = (
        select(Agency.id, Agency.name, *_level_sums())
        .join(user_agency, user_agency.c.user_id == StaffRating.staff_id)
        .join(Agency, Agency.id == user_agency.c.agency_id)
        .where(
            StaffRating.cancelled_at.is_(None), *within(StaffRating.rated_at, date_from, date_to)
        )
        .group_by(Agency.id, Agency.name, Agency.sort_order)
        .order_by(Agency.sort_order, Agency.name)
    )
    query = scoped(query, Agency.id, agency_ids)
    return [
        RatingCount(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in session.execute(query)
    ]


def rating_counts(session, date_from=None, date_to=None, agency_ids=None) -> dict:
    """Totals by level, as in the report of design §6 ("staff_ratings"); the one SQL of the
    report, the ratings' totals page and the dashboard. `agency_ids`: ratings of the officers
    of those agencies."""

    query = level_counts(within(StaffRating.rated_at, date_from, date_to))
    if agency_ids is not None:
        query = query.where(_of_agencies(agency_ids))
    return rating_totals(session.execute(query).one())


def level_counts(criteria: list):
    """SQL: the ratings not cancelled that meet `criteria` (the rated_at range), one count per
    level of RATING_LEVELS (the report's part: reports.services_query)."""
    return select(*_level_sums()).where(StaffRating.cancelled_at.is_(None), *criteria)


def rating_totals(row) -> dict:
    """{level: n, "total": n} from the counts of level_counts."""
    counts = {lvl: int(v) for lvl, v in zip(RATING_LEVELS, row)}
    counts["total"] = sum(counts.values())
    return counts
