"""The PostgreSQL driver keeps the conversion of the app's long statements (transactions.py
configure_postgresql): a statement over psycopg's own bounds (4 KB, 50 parameters), as the
report's and the per-day counts' are, is converted once, not at every execution."""

import pytest
from psycopg import _queries
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from domain import report_days
from models import db


def test_long_statements_are_converted_once(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg: PostgreSQL only")
        # The premise: the statement adding an intake's counts is beyond psycopg's defaults.
        add = report_days._add_statement(pg_insert).compile(dialect=db.engine.dialect)
        assert len(str(add)) > 4096
        names = [f"p{i}" for i in range(60)]
        sql = text(
            "SELECT " + " + ".join(f"CAST(:{n} AS integer)" for n in names) + " -- " + "x" * 5000
        )
        params = dict.fromkeys(names, 1)
        db.session.execute(sql, params)
        hits = _queries._query2pg.cache_info().hits
        assert db.session.execute(sql, params).scalar() == 60
        assert _queries._query2pg.cache_info().hits == hits + 1
