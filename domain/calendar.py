"""The working calendar and due-date rule of design §5.

Working days are Monday–Friday minus Vietnam's public holidays and substituted days off, plus
make-up working Saturdays, as the `holidays` package gives them; CalendarDay overrides win.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from domain import catalog_cache
from models import CalendarDay

ONE_DAY = dt.timedelta(days=1)
MAX_SEARCH_DAYS = 3660  # a calendar with no working day for ten years is a configuration error


@lru_cache(maxsize=1)
def vietnam_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


def default_is_working_day(day: dt.date) -> bool:
    return vietnam_holidays().is_working_day(day)


class WorkingCalendar:
    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self._cache: dict[dt.date, bool] = {}

    def is_working_day(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        cached = self._cache.get(day)
        if cached is None:
            cached = self.overrides.get(day)
            if cached is None:
                cached = default_is_working_day(day)
            self._cache[day] = cached
        return cached

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += ONE_DAY
        raise ValueError("no working day found in ten years")

    def nth_working_day_after(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after `start` (n = 0: `start` itself)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        for _ in range(n):
            day += ONE_DAY
            tries = 0
            while not self.is_working_day(day):
                day += ONE_DAY
                tries += 1
                if tries > MAX_SEARCH_DAYS:
                    raise ValueError("no working day found in ten years")
        return day

    def working_days_between(self, after: dt.date, until: dt.date) -> int:
        """How many working days d satisfy after < d <= until."""
        count, day = 0, after + ONE_DAY
        while day <= until:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def clock_start(self, accepted: dt.date | dt.datetime) -> dt.date:
        if isinstance(accepted, dt.datetime):
            accepted = accepted.date()
        return self.working_day_on_or_after(accepted)

    def due_date(self, accepted: dt.date | dt.datetime, processing_days: int) -> dt.date:
        """Accepted on `accepted` with a limit of N working days: the N-th working day after the
        clock start (the acceptance day, or the next working day when it is not one)."""
        return self.nth_working_day_after(self.clock_start(accepted), processing_days)

    def due_date_after_pause(self, due: dt.date, started_on: dt.date, ended_on: dt.date) -> dt.date:
        """A pause from `started_on` to `ended_on` moves the due date forward by the working days
        d with started_on < d <= ended_on."""
        return self.nth_working_day_after(due, self.working_days_between(started_on, ended_on))


def load_calendar(session) -> WorkingCalendar:
    """The calendar with the CalendarDay overrides stored in the database: read once per
    process and kept (with the working days it has worked out) until an override changes
    (domain/catalog_cache.py)."""

    def build():
        rows = session.query(CalendarDay.date, CalendarDay.is_working_day).all()
        return WorkingCalendar({d: w for d, w in rows})

    return catalog_cache.get(("calendar", session.get_bind().url), build)
