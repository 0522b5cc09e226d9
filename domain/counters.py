"""Numbers that run 1, 2, 3 … per day and per key (dossier codes, queue tickets): a counter row
per (key, day), bumped inside the caller's transaction, so that a rolled-back intake or ticket
gives its number back and two at once never share one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from domain.sql import insert_for


def next_in_day(session, table, key_column: str, key, day: dt.date) -> int:
    """Bump the counter row of (key, day) in `table` (created at 0 when missing) and return its
    new value. The row stays locked until the caller commits (PostgreSQL row lock; SQLite writes
    hold the database lock, BEGIN IMMEDIATE)."""
    column = table.c[key_column]
    session.execute(
        insert_for(session)(table)
        .values({key_column: key, "day": day, "last_seq": 0})
        .on_conflict_do_nothing(index_elements=[key_column, "day"])
    )
    session.execute(
        update(table).where(column == key, table.c.day == day).values(last_seq=table.c.last_seq + 1)
    )
    return session.scalar(select(table.c.last_seq).where(column == key, table.c.day == day))
