"""Numbers that run 1, 2, 3 … per day and per key (dossier codes, queue tickets): a counter row
per (key, day), bumped inside the caller's transaction, so that a rolled-back intake or ticket
gives its number back and two at once never share one."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import bindparam

from domain.sql import CompiledOnce


def next_in_day(session, table, key_column: str, key, day: dt.date) -> int:
    """Bump the counter row of (key, day) in `table` (created at 1 when missing) and return its
    new value, in one statement (an intake sends it once). The row stays locked until the
    caller commits (PostgreSQL row lock; SQLite writes hold the database lock, BEGIN
    IMMEDIATE)."""
    bump = _bump_statement(table, key_column)
    return bump.execute(session, {"key": key, "day": day}).scalar()


@functools.cache  # compiled once per counter table (domain/sql.CompiledOnce)
def _bump_statement(table, key_column: str) -> CompiledOnce:
    def build(insert):
        values = {key_column: bindparam("key"), "day": bindparam("day"), "last_seq": 1}
        return (
            insert(table)
            .values(values)
            .on_conflict_do_update(
                index_elements=[key_column, "day"], set_={"last_seq": table.c.last_seq + 1}
            )
            .returning(table.c.last_seq)
        )

    return CompiledOnce(build)
