"""The PostgreSQL driver keeps the conversion of the app's long statements (transactions.py
configure_postgresql): a statement over psycopg's own bounds (4 KB, 50 parameters), as the
report's and the per-day counts' are, is converted once, not at every execution."""

import pytest
from psycopg import _queries
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from domain import report_days
from models import db
from tests import factories


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


# ---- a transaction that only read ends with COMMIT (transactions.configure_postgresql) ---------


def _postgresql_engine(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg: PostgreSQL only")
    return engine


@pytest.mark.commits  # the requests' own transactions, as in production
def test_read_requests_keep_the_reports_prepared_statements(app, client, users):
    """psycopg prepares a statement once it has run it 5 times on a connection, and forgets its
    prepared statements at each ROLLBACK: ended with ROLLBACK, the reads never had one. Ended
    with COMMIT, the report's statements are prepared once and planned no more, request after
    request (on every pooled connection: each saw the page at least 5 times)."""
    engine = _postgresql_engine(app)
    assert factories.login(client, users["manager"]).status_code == 302
    url = "/report/?preset=month&month=3&year=2019"
    for _ in range(24):
        assert client.get(url).status_code == 200
    with engine.connect() as connection:
        prepared = connection.exec_driver_sql(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
        ).all()
    # The report's statements read report_month (a month's period) or report_day (the page's
    # other figures); one read at the first request on this connection (read_together prepares
    # at first reading) has run once: any will do.
    runs = [n for statement, n in prepared if "FROM report_" in statement]
    assert runs and max(runs) >= 2, prepared


def test_a_transaction_that_only_read_keeps_the_prepared_statements(app):
    """The same statement read in transactions ended by rollback(), as a read request's are: from
    the 6th it runs as a statement prepared on the server."""
    engine = _postgresql_engine(app)
    read = text("SELECT count(*) FROM agency WHERE id > :n")
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        for n in range(8):
            connection.execute(read, {"n": n}).scalar()
            connection.rollback()
            assert raw.info.transaction_status == TransactionStatus.IDLE
        prepared = connection.exec_driver_sql(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE strpos(statement, 'FROM agency WHERE id >') > 0"
        ).all()
        connection.rollback()
    assert prepared == [(3,)]


def test_a_read_that_wrote_behind_the_engine_is_rolled_back(app):
    """The engine saw only reads, but the driver's connection wrote (a temporary table): the
    server's guard refuses the COMMIT, and the transaction is rolled back."""
    engine = _postgresql_engine(app)
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TEMPORARY TABLE guarded (n integer)")
        connection.commit()
        try:
            connection.execute(text("SELECT 1")).all()
            raw = connection.connection.dbapi_connection
            raw.execute("INSERT INTO guarded VALUES (1)")
            connection.rollback()
            assert connection.exec_driver_sql("SELECT count(*) FROM guarded").scalar() == 0
            connection.rollback()
        finally:
            connection.exec_driver_sql("DROP TABLE guarded")
            connection.commit()


def test_what_a_read_changed_is_rolled_back(app):
    """A transaction that wrote through the engine, set a setting for the connection (not SET
    LOCAL), or failed ends with ROLLBACK as before; one that only read ends with COMMIT (its SET
    LOCAL gone with it)."""
    engine = _postgresql_engine(app)
    with engine.connect() as connection:
        default = connection.exec_driver_sql("SHOW work_mem").scalar()
        connection.rollback()
        connection.exec_driver_sql("CREATE TEMPORARY TABLE guarded (n integer)")
        connection.commit()
        try:
            connection.exec_driver_sql("INSERT INTO guarded VALUES (1)")
            connection.rollback()
            assert connection.exec_driver_sql("SELECT count(*) FROM guarded").scalar() == 0
            connection.rollback()

            connection.exec_driver_sql("SET work_mem = '7MB'")
            connection.rollback()
            assert connection.exec_driver_sql("SHOW work_mem").scalar() == default
            connection.rollback()

            with pytest.raises(DBAPIError):
                connection.exec_driver_sql("SELECT 1 / 0")
            connection.rollback()
            assert connection.exec_driver_sql("SELECT count(*) FROM guarded").scalar() == 0

            connection.exec_driver_sql("SET LOCAL work_mem = '7MB'")
            connection.rollback()
            assert connection.exec_driver_sql("SHOW work_mem").scalar() == default
            connection.rollback()
        finally:
            connection.exec_driver_sql("DROP TABLE guarded")
            connection.commit()
