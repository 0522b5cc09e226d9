"""The yearly calendar checklist (issue 13 point 6).

The `holidays` package knows the fixed holidays and Tết, but not every year's official swaps: the
Ministry of Home Affairs announces them each year (e.g. Thông báo 9441/TB-BNV for 2026: Monday
31/08/2026 off, worked on Saturday 22/08/2026). An administrator enters those as CalendarDay
overrides, then marks the year as reviewed; from 1 November the home page of an administrator
warns while next year has not been reviewed.

No Flask here: the view (views/calendar_checklist.py) calls these functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays
from sqlalchemy import extract, select

from domain.calendar import WorkingCalendar
from models import CalendarDay, CalendarYearReview

WARN_FROM = (11, 1)  # month, day: from 1 November, next year must have been reviewed
SOURCE_PACKAGE, SOURCE_OVERRIDE = "package", "override"
KIND_DAY_OFF, KIND_MAKE_UP, KIND_WORKING = "day_off", "make_up", "working"


@dataclass(frozen=True)
class CalendarEntry:
    """A day that differs from "Monday–Friday work, weekend off", or an override."""

    date: dt.date
    kind: str  # day_off (a weekday off) | make_up (a weekend day worked) | working
    source: str  # package | override
    name: str  # the holiday's name in the package (Vietnamese), or the override's note


@lru_cache(maxsize=16)
def _package_days(year: int) -> tuple[dict, frozenset]:
    """The package's holiday names (Vietnamese) and its make-up weekend days for `year`."""
    names = holidays.country_holidays("VN", years=year, language="vi")
    workdays = frozenset(d for d in getattr(names, "weekend_workdays", ()) if d.year == year)
    return dict(names), workdays


def year_entries(session, year: int) -> list[CalendarEntry]:
    """The days off and make-up days in force in `year`, each with its source, by date."""

    overrides = {
        d: (w, note)
        for d, w, note in session.execute(
            select(CalendarDay.date, CalendarDay.is_working_day, CalendarDay.note).where(
                extract("year", CalendarDay.date) == year
            )
        )
    }
    calendar = WorkingCalendar({d: w for d, (w, _) in overrides.items()})
    names, _ = _package_days(year)
    entries = []
    day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    while day <= end:
        weekday = day.weekday() < 5
        working = calendar.is_working_day(day)
        if day in overrides:
            kind = (
                KIND_MAKE_UP
                if working and not weekday
                else KIND_DAY_OFF
                if not working and weekday
                else KIND_WORKING
                if working
                else KIND_DAY_OFF
            )
            entries.append(
                CalendarEntry(day, kind, SOURCE_OVERRIDE, overrides[day][1] or names.get(day, ""))
            )
        elif working != weekday:
            entries.append(
                CalendarEntry(
                    day,
                    KIND_DAY_OFF if weekday else KIND_MAKE_UP,
                    SOURCE_PACKAGE,
                    names.get(day, ""),
                )
            )
        day += dt.timedelta(days=1)
    return entries


def review_of(session, year: int):
    return session.get(CalendarYearReview, year)


def mark_reviewed(session, year: int, user, at: dt.datetime, note: str | None = None):
    """Record that `user` checked `year` (again: the latest check wins). The caller commits."""
    review = session.get(CalendarYearReview, year) or CalendarYearReview(year=year)
    review.reviewed_at = at
    review.reviewed_by_id = getattr(user, "id", user)
    review.note = (note or "").strip() or None
    session.add(review)
    return review


def years_to_show(today: dt.date) -> tuple[int, int]:
    return today.year, today.year + 1


def unreviewed_next_year(session, today: dt.date) -> int | None:
    """Next year, when it is 1 November or later and next year has not been reviewed."""
    if (today.month, today.day) < WARN_FROM:
        return None
    year = today.year + 1
    return None if review_of(session, year) is not None else year
