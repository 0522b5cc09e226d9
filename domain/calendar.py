"""The working calendar and due-date rule of design §5, with the 2025 additions (issue 13 point 4).

Working days are Monday–Friday minus Vietnam's public holidays and substituted days off, plus
make-up working Saturdays, as the `holidays` package gives them; CalendarDay overrides win.

Working hours (WorkingHours, setting WORKING_HOURS, default 07:30–11:30 and 13:30–17:00: 8 hours
a day) give limits counted in hours their moment: N working hours from the acceptance moment,
over the working sessions of working days only. A procedure's cut-off time (e.g. 15:00): a
dossier accepted after it starts its clock on the next working day (docs/legal.md §3).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays

from domain import catalog_cache
from models import CalendarDay

ONE_DAY = dt.timedelta(days=1)
MAX_SEARCH_DAYS = 3660  # a calendar with no working day for ten years is a configuration error


@dataclass(frozen=True)
class WorkingHours:
    """The working sessions of a working day, in order: ((07:30, 11:30), (13:30, 17:00))."""

    sessions: tuple[tuple[dt.time, dt.time], ...]

    def __post_init__(self):
        previous = None
        if not self.sessions:
            raise ValueError("at least one working session")
        for start, end in self.sessions:
            if not start < end or (previous is not None and start < previous):
                raise ValueError("working sessions must be in order and not overlap")
            previous = end

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """ "07:30-11:30,13:30-17:00" (HH:MM-HH:MM, comma-separated) -> WorkingHours; ValueError
        on anything else."""
        sessions = []
        for part in (text or "").split(","):
            match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*", part)
            if not match:
                raise ValueError(f"working hours: {part.strip()!r} is not HH:MM-HH:MM")
            sessions.append(tuple(parse_time(t) for t in match.groups()))
        return cls(tuple(sessions))

    @property
    def start(self) -> dt.time:
        return self.sessions[0][0]

    @property
    def end(self) -> dt.time:
        return self.sessions[-1][1]

    @property
    def hours_per_day(self) -> float:
        return sum(_seconds(end) - _seconds(start) for start, end in self.sessions) / 3600

    def __str__(self) -> str:
        return ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.sessions)


def parse_time(text: str) -> dt.time:
    """ "HH:MM" (00:00–23:59) -> time; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not HH:MM")
    return dt.time(hour, minute)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


DEFAULT_WORKING_HOURS = WorkingHours(
    ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0)))
)


@lru_cache(maxsize=1)
def vietnam_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


def default_is_working_day(day: dt.date) -> bool:
    return vietnam_holidays().is_working_day(day)


class WorkingCalendar:
    def __init__(
        self,
        overrides: dict[dt.date, bool] | None = None,
        hours: WorkingHours = DEFAULT_WORKING_HOURS,
    ):
        self.overrides = dict(overrides or {})
        self.hours = hours
        self._cache: dict[dt.date, bool] = {}
        # {year: [working days from 1 January to each day of the year, inclusive]}
        self._years: dict[int, list[int]] = {}

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

    def day_off_kind(self, day: dt.date) -> str | None:
        """Why a day is not a working day: "centre" (the center's own day off, a CalendarDay
        override of a weekday), "holiday" (a public holiday or a substituted day off),
        "saturday", "sunday"; None for a working day (a make-up Saturday is one)."""
        if isinstance(day, dt.datetime):
            day = day.date()
        if self.is_working_day(day):
            return None
        if day in vietnam_holidays():
            return "holiday"
        if day.weekday() == 5:
            return "saturday"
        if day.weekday() == 6:
            return "sunday"
        return "centre" if self.overrides.get(day) is False else "holiday"

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
        """How many working days d satisfy after < d <= until: from running counts per year,
        worked out once per year (the report's late list asks for years of days per dossier)."""
        if until <= after:
            return 0
        count = self._count_to(until) - self._count_to(after)
        for year in range(after.year, until.year):
            count += self._year_counts(year)[-1]
        return count

    def _year_counts(self, year: int) -> list[int]:
        counts = self._years.get(year)
        if counts is None:
            counts, n, day = [], 0, dt.date(year, 1, 1)
            while day.year == year:
                n += self.is_working_day(day)
                counts.append(n)
                day += ONE_DAY
            self._years[year] = counts
        return counts

    def _count_to(self, day: dt.date) -> int:
        """Working days from 1 January of its year to `day`, inclusive."""
        return self._year_counts(day.year)[day.timetuple().tm_yday - 1]

    def clock_start(
        self, accepted: dt.date | dt.datetime, cutoff: dt.time | None = None
    ) -> dt.date:
        """The day the clock starts: the acceptance day if it is a working day, else the next
        working day; with a `cutoff`, a dossier accepted after it (a datetime later than the
        cut-off on its day) starts on the next working day after the acceptance day."""
        if isinstance(accepted, dt.datetime):
            if cutoff is not None and accepted.time() > cutoff:
                return self.working_day_on_or_after(accepted.date() + ONE_DAY)
            accepted = accepted.date()
        return self.working_day_on_or_after(accepted)

    def due_date(
        self,
        accepted: dt.date | dt.datetime,
        processing_days: int,
        cutoff: dt.time | None = None,
    ) -> dt.date:
        """Accepted on `accepted` with a limit of N working days: the N-th working day after the
        clock start (the acceptance day, or the next working day when it is not one or when the
        dossier came after the cut-off)."""
        return self.nth_working_day_after(self.clock_start(accepted, cutoff), processing_days)

    def day_end(self, day: dt.date) -> dt.datetime:
        """The end of the working day `day` (17:00 by default): the due moment of a limit in
        days."""
        return dt.datetime.combine(day, self.hours.end)

    def hours_start(self, accepted: dt.datetime, cutoff: dt.time | None = None) -> dt.datetime:
        """Where a limit in hours starts counting: the acceptance moment, or after the cut-off
        the start of the next working day (the counting skips what is outside working hours)."""
        if cutoff is not None and accepted.time() > cutoff:
            day = self.working_day_on_or_after(accepted.date() + ONE_DAY)
            return dt.datetime.combine(day, self.hours.start)
        return accepted

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment `hours` working hours after `start`, counted only within the working
        sessions of working days. A count that ends exactly at the end of a session ends there
        (11:30, 17:00), not at the start of the next."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        remaining = dt.timedelta(hours=hours)
        day, since = start.date(), start.time()
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                for session_start, session_end in self.hours.sessions:
                    begin = dt.datetime.combine(day, max(session_start, since))
                    end = dt.datetime.combine(day, session_end)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day, since = day + ONE_DAY, dt.time(0, 0)
        raise ValueError("no working day found in ten years")

    def working_hours_between(self, after: dt.datetime, until: dt.datetime) -> float:
        """Working hours from `after` to `until` (0 when `until` is not later)."""
        if until <= after:
            return 0.0
        total, day = dt.timedelta(0), after.date()
        while day <= until.date():
            if self.is_working_day(day):
                for session_start, session_end in self.hours.sessions:
                    begin = max(dt.datetime.combine(day, session_start), after)
                    end = min(dt.datetime.combine(day, session_end), until)
                    if end > begin:
                        total += end - begin
            day += ONE_DAY
        return total.total_seconds() / 3600

    def due_moment(
        self, accepted: dt.datetime, processing_hours: int, cutoff: dt.time | None = None
    ) -> dt.datetime:
        """Accepted at `accepted` with a limit of N working hours: N working hours after the
        acceptance moment (after the cut-off: from the start of the next working day)."""
        return self.add_working_hours(self.hours_start(accepted, cutoff), processing_hours)

    def due_date_after_pause(self, due: dt.date, started_on: dt.date, ended_on: dt.date) -> dt.date:
        """A pause from `started_on` to `ended_on` moves the due date forward by the working days
        d with started_on < d <= ended_on."""
        return self.nth_working_day_after(due, self.working_days_between(started_on, ended_on))


def load_calendar(session, hours: WorkingHours = DEFAULT_WORKING_HOURS) -> WorkingCalendar:
    """The calendar with the CalendarDay overrides stored in the database and the working hours
    (the setting WORKING_HOURS; views pass `current_app.settings.working_hours_parsed`): read
    once per process and kept (with the working days it has worked out) until an override
    changes (domain/catalog_cache.py)."""

    def build():
        rows = session.query(CalendarDay.date, CalendarDay.is_working_day).all()
        return WorkingCalendar({d: w for d, w in rows}, hours)

    return catalog_cache.get(("calendar", session.get_bind().engine.url, hours), build)
