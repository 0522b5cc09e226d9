"""Helpers shared by the demo data set and the scale generator: bulk inserts, id sequences,
search text and a cached due-date rule."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import func, insert, select, text

from domain.calendar import WorkingCalendar
from domain.text import normalize_search

BATCH = 5000
UTC_OFFSET = dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving


def bulk_insert(session, table, rows, batch: int = BATCH) -> int:
    """Core executemany in batches (no ORM objects, no audit rows: seeding only); on PostgreSQL
    COPY, several times faster, in the same transaction."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows)
        return len(rows)
    for start in range(0, len(rows), batch):
        session.execute(insert(table), rows[start:start + batch])
    return len(rows)


def _copy(session, table, rows) -> None:
    keys = list(rows[0])
    # Columns left out take their Python-side defaults, as an INSERT through SQLAlchemy would.
    defaults = {}
    for column in table.c:
        if column.key not in rows[0] and column.default is not None:
            arg = column.default.arg
            defaults[column.key] = arg(None) if callable(arg) else arg
    columns = keys + list(defaults)
    extra = tuple(defaults.values())
    names = ", ".join(f'"{table.c[k].name}"' for k in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(row[k] for k in keys) + extra)


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
    """The same text SearchableMixin computes on flush (models.py), part by part: names repeat
    (cached) and codes, ids and phones are plain ASCII (no Unicode work)."""
    parts = []
    for value in values:
        if value:
            value = str(value)
            part = " ".join(value.lower().split()) if value.isascii() else _normalize(value)
            if part:
                parts.append(part)
    return " ".join(parts)


@lru_cache(maxsize=65536)
def _normalize(value: str) -> str:
    return normalize_search(value)


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
