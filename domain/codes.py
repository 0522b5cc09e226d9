"""Dossier codes (design §4): <receiving unit code>-<yyMMdd of acceptance>-<4-digit sequence>.

The sequence restarts every day per receiving unit. It comes from a per-day counter row updated in
the same transaction as the dossier insert, so two parallel intakes never get the same number and
a rolled-back intake leaves no gap; the UNIQUE constraint on dossier.code is the last guard.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from models import DossierCounter


def format_code(unit_code: str, day: dt.date, sequence: int) -> str:
    if not 1 <= sequence <= 9999:
        raise ValueError("the daily sequence runs from 0001 to 9999")
    return f"{unit_code}-{day:%y%m%d}-{sequence:04d}"


def next_sequence(session, unit_code: str, day: dt.date) -> int:
    """Take the next number of the day inside the caller's transaction (row-locked until commit)."""

    table = DossierCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(unit_code=unit_code, day=day, last_seq=0)
                    .on_conflict_do_nothing(index_elements=["unit_code", "day"]))
    session.execute(update(table)
                    .where(table.c.unit_code == unit_code, table.c.day == day)
                    .values(last_seq=table.c.last_seq + 1))
    return session.scalar(select(table.c.last_seq)
                          .where(table.c.unit_code == unit_code, table.c.day == day))


def next_code(session, unit_code: str, day: dt.date) -> str:
    return format_code(unit_code, day, next_sequence(session, unit_code, day))
