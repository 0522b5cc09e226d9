"""Helpers shared by the demo data set and the scale generator: bulk inserts, id sequences,
search text and a cached due-date rule."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, text

from domain.calendar import WorkingCalendar
from domain.text import normalize_search

BATCH = 5000
UTC_OFFSET = dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving


def bulk_insert(session, table, rows, batch: int = BATCH) -> int:
    """Core executemany in batches (no ORM objects, no audit rows: seeding only)."""
    for start in range(0, len(rows), batch):
        session.execute(insert(table), rows[start:start + batch])
    return len(rows)


def next_id(session, table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def sync_sequences(session, tables) -> None:
    """Explicit ids do not advance PostgreSQL sequences: move them past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def search_text(*values) -> str:
    """The same text SearchableMixin computes on flush (models.py)."""
    return normalize_search(" ".join(str(v or "") for v in values))


def utc(local: dt.datetime) -> dt.datetime:
    """Technical timestamps are UTC; business ones local (models.py)."""
    return local - UTC_OFFSET


class DueDates:
    """WorkingCalendar.due_date with a cache: the seed asks for the same (day, days) often."""

    def __init__(self, calendar: WorkingCalendar | None = None):
        self.calendar = calendar or WorkingCalendar()
        self._due: dict[tuple[dt.date, int], dt.date] = {}
        self._nth: dict[tuple[dt.date, int], dt.date] = {}

    def due(self, day: dt.date, days: int) -> dt.date:
        key = (day, days)
        value = self._due.get(key)
        if value is None:
            value = self._due[key] = self.calendar.due_date(day, days)
        return value

    def nth(self, day: dt.date, n: int) -> dt.date:
        key = (day, n)
        value = self._nth.get(key)
        if value is None:
            value = self._nth[key] = self.calendar.nth_working_day_after(day, n)
        return value

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        days, day = [], first
        while day <= last:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days
