"""domain/sql.py read_together: the rows of several statements read in one go (one round trip on
PostgreSQL) are those each statement reads alone, in order, with expanding and typed
parameters; the engine's cursor events see each statement; without JIT for the rest of the
transaction when asked (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, func, literal, select, text
from sqlalchemy.exc import DBAPIError

from domain.sql import among, read_together
from models import Agency, Field, db
from tests.factories import report_catalog
from tests.support import statements_of


def _statements():
    codes = select(Agency.id, Agency.code).where(
        Agency.code.in_(bindparam("codes", expanding=True))
    )
    fields = select(Field.code, Field.agency_id).order_by(Field.code)
    moment = select(bindparam("at", type_=db.DateTime()), literal("x"), func.coalesce(None, 7))
    empty = select(Agency.id).where(Agency.id < 0)
    return codes.order_by(Agency.code), fields, moment, empty


def test_rows_are_those_of_each_statement_alone(app):
    with app.app_context():
        report_catalog(db.session)
        codes, fields, moment, empty = _statements()
        at = dt.datetime(2019, 3, 1, 8, 30)
        queries = [
            (codes, {"codes": ["A0", "A2", "NONE"]}),
            (fields, None),
            (moment, {"at": at}),
            (empty, None),
        ]
        alone = [db.session.execute(s, p).all() for s, p in queries]
        together = read_together(db.session, queries)
        assert [[tuple(r) for r in rows] for rows in together] == [
            [tuple(r) for r in rows] for rows in alone
        ]
        assert [len(rows) for rows in together] == [2, len(alone[1]), 1, 0]
        assert together[2][0][0] == at
        db.session.rollback()


def test_sql_written_once_reads_each_executions_values(app):
    """A statement read again and again: with a list of its own (an IN list of codes in the
    statement, its SQL written once) and with a list given at each execution (`among`: one
    array on PostgreSQL), each reading has the rows of its own values, as an execute."""
    with app.app_context():
        report_catalog(db.session)
        dialect = db.engine.dialect.name
        own = (
            select(Agency.code)
            .where(Agency.code.in_(["A0", "A1", "A2"]), Agency.id > bindparam("above"))
            .order_by(Agency.code)
        )
        given = select(Agency.code).where(among(dialect, Agency.code, "codes"))
        given = given.order_by(Agency.code)
        first = db.session.scalar(select(func.min(Agency.id)))
        for above, codes in ((0, ["A1"]), (first, ["A0", "A2", "NONE"]), (-1, []), (0, ["A2"])):
            queries = [(own, {"above": above}), (given, {"codes": codes})]
            alone = [db.session.execute(s, p).scalars().all() for s, p in queries]
            together = read_together(db.session, queries)
            assert [[r[0] for r in rows] for rows in together] == alone, (above, codes)
        assert alone == [["A0", "A1", "A2"], ["A2"]]
        db.session.rollback()


def test_events_see_each_statement_and_jit_is_off(app):
    with app.app_context():
        report_catalog(db.session)
        codes, fields, _moment, _empty = _statements()
        queries = [(codes, {"codes": ["A1"]}), (fields, None)]
        postgresql = db.engine.dialect.name == "postgresql"

        def read():
            with app.app_context():
                read_together(db.session, queries, jit=False)
                if postgresql:
                    assert db.session.execute(text("SHOW jit")).scalar() == "off"
                db.session.rollback()

        seen = [" ".join(s.split()[:2]).upper() for s in statements_of(app, read)]
        reads = [s for s in seen if s.startswith("SELECT")]
        assert len(reads) == 2
        assert ("SET LOCAL" in seen) == postgresql


def test_an_error_is_sqlalchemys(app):
    """A statement refused by the database raises SQLAlchemy's error, as an execute would."""
    with app.app_context():
        refused = select(func.cast(literal("x"), db.Integer))  # not a number
        if db.engine.dialect.name == "sqlite":  # SQLite casts it to 0
            refused = text("SELECT * FROM no_such_table")
        with pytest.raises(DBAPIError):
            read_together(db.session, [(select(literal(1)), None), (refused, None)])
        db.session.rollback()
        assert read_together(db.session, [(select(literal(1)), None)]) == [[(1,)]]
        db.session.rollback()


def test_each_statement_is_prepared_at_its_first_reading(app):
    """PostgreSQL: the statements read together are prepared on the server at once (psycopg's own
    rule waits for a statement's 6th execution on the connection), the SET apart: the next
    report on the connection is not parsed nor planned again."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements: PostgreSQL")
        report_catalog(db.session)
        codes, fields, _moment, _empty = _statements()

        def prepared() -> list[str]:
            sql = "SELECT statement FROM pg_prepared_statements"
            return [" ".join(s.split()) for s in db.session.execute(text(sql)).scalars()]

        def ours(statements) -> list[str]:
            return [s for s in statements if "agency.code IN" in s or "FROM field ORDER BY" in s]

        assert ours(prepared()) == []
        read_together(db.session, [(codes, {"codes": ["A1"]}), (fields, None)], jit=False)
        now = prepared()
        assert len(ours(now)) == 2
        assert not any("jit" in s for s in now)
        db.session.rollback()
