"""domain/sql.py insert_rows: many rows in one statement (arrays unnested on PostgreSQL,
executemany on SQLite), stored as given (text, big numbers, dates); one statement for them all."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.sql import insert_rows
from models import FigureMonthRow, OpenSnapshotRow, db
from tests.support import statements_of


def test_rows_are_stored_as_given_in_one_statement(app):
    with app.app_context():
        rows = [
            {"month": "2019-03", "agency_id": a, "figure": f"received:{c}", "value": a * 10**12 + i}
            for a in (1, 2, 3)
            for i, c in enumerate(("online", "direct", "postal", "tiếng Việt"))
        ]
        sent = statements_of(app, lambda: insert_rows(db.session, FigureMonthRow.__table__, rows))
        assert len([s for s in sent if s.startswith("INSERT")]) == 1
        stored = db.session.execute(
            select(
                FigureMonthRow.month,
                FigureMonthRow.agency_id,
                FigureMonthRow.figure,
                FigureMonthRow.value,
            ).order_by(FigureMonthRow.agency_id, FigureMonthRow.value)
        ).all()
        assert [dict(r._mapping) for r in stored] == rows
        insert_rows(db.session, FigureMonthRow.__table__, [])  # nothing: no statement, no error
        db.session.rollback()


def test_dates_are_stored_as_dates(app):
    with app.app_context():
        day = dt.date(2019, 3, 1)
        rows = [
            {"day": day, "agency_id": 1, "procedure_id": p, "open": p, "overdue": 0} for p in (5, 6)
        ]
        insert_rows(db.session, OpenSnapshotRow.__table__, rows)
        stored = db.session.execute(
            select(
                OpenSnapshotRow.day, OpenSnapshotRow.procedure_id, OpenSnapshotRow.open
            ).order_by(OpenSnapshotRow.procedure_id)
        ).all()
        assert [tuple(r) for r in stored] == [(day, 5, 5), (day, 6, 6)]
        db.session.rollback()
