"""SQLite transactions per use: a read request never waits for a writer, a write takes the write
lock up front, and bookkeeping written while serving a read never waits for the lock.
PostgreSQL needs none of this; there, a transaction that only read ends with COMMIT instead of
ROLLBACK, which keeps the connection's prepared statements (configure_postgresql). Installed on
the engine by create_app (app.py)."""

from __future__ import annotations

import contextlib
import contextvars
import re
import sqlite3

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError


def database_busy(exc) -> bool:
    """SQLite could not get its write lock within the busy timeout (another request is writing):
    a moment's wait, not a fault."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        "locked" in str(orig) or "busy" in str(orig)
    )


# Rows SQLite samples per index when it analyzes a table (PRAGMA analysis_limit): statistics
# good enough for the planner, in milliseconds whatever the table's size.
SQLITE_ANALYSIS_LIMIT = 1000

# Requests that only read: on SQLite they run as deferred transactions and never wait for a writer.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CLI_BUSY_TIMEOUT_MS = 30000
_sqlite_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sqlite_mode", default=None
)


@contextlib.contextmanager
def _transactions(mode: str):
    token = _sqlite_mode.set(mode)
    try:
        yield
    finally:
        _sqlite_mode.reset(token)


def reads_only():
    """Outside a request (a CLI report or export): the block's SQLite transactions only read, so
    they do not hold the write lock for the whole run."""
    return _transactions("read")


def writes():
    """A read request (GET) about to write (a kept draft deleted as it is shown): the block's
    SQLite transaction takes the write lock up front. Begun from the read's older snapshot, the
    write could fail at once if anybody committed meanwhile; end the read transaction first."""
    return _transactions("write")


def commit_without_waiting(session) -> bool:
    """Commit bookkeeping written while serving a read (a login's last-seen time). On SQLite a
    read request must not wait for another request's write lock: the bookkeeping is dropped
    (rolled back) instead, and a later request writes it. True when it was committed."""
    if not _reading_on_sqlite(session):
        session.commit()
        return True
    busy_timeout(session.connection(), 0)  # until the next BEGIN
    return _unless_busy(session, lambda: None)


def write_aside(make_session, work) -> bool:
    """Run work(session) in a session of its own (from `make_session`, e.g. the app's session
    factory) and commit it: bookkeeping written while serving a read (figures kept for the next
    view), not in the read's transaction (on SQLite its older snapshot could not write). As
    above, a read request does not wait for SQLite's write lock; on PostgreSQL it waits for a
    row lock held by another transaction (a long import) a moment only. True when committed."""
    with make_session() as session:
        if _reading_on_sqlite(session):
            busy_timeout(session.connection(), 0)  # until the next BEGIN
        elif session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql(f"SET LOCAL lock_timeout = {ASIDE_LOCK_MS}")
        return _unless_busy(session, lambda: work(session))


ASIDE_LOCK_MS = 200
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out


def _reading_on_sqlite(session) -> bool:
    return (
        has_request_context()
        and request.method in READ_METHODS
        and session.get_bind().dialect.name == "sqlite"
    )


def _unless_busy(session, work) -> bool:
    """work(), then commit; rolled back instead when SQLite is busy (False)."""
    try:
        work()
        session.commit()
    except OperationalError as exc:
        if not (database_busy(exc) or getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE):
            raise
        session.rollback()
        return False
    return True


def busy_timeout(connection, ms: int) -> None:
    """SQLite's busy timeout of `connection` (SQLAlchemy's), sent only when it differs from
    the one the DBAPI connection has: a setting of the connection, not of a transaction, kept
    in the pool's record of it (emptied when the connection is replaced)."""
    info = connection.connection.info
    if info.get("busy_timeout") != ms:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={ms}")
        info["busy_timeout"] = ms


def _sqlite_transaction() -> tuple[bool, int]:
    """(takes the write lock up front, busy timeout in ms) for a transaction starting now."""
    mode = _sqlite_mode.get()
    if has_request_context():
        writing = request.method not in READ_METHODS if mode is None else mode == "write"
        return writing, current_app.settings.sqlite_busy_timeout_ms
    return mode != "read", CLI_BUSY_TIMEOUT_MS


# The app's long statements (the report's and the per-day counts', built once per process:
# domain/sql.py CompiledOnce) are sent again and again. psycopg converts a statement's
# placeholders once and keeps the result only for statements under 4 KB and 50 parameters;
# the longer ones were parsed again at every execution (about 6 ms of an intake's CPU).
PSYCOPG_CACHED_STATEMENT_LENGTH = 64 * 1024
PSYCOPG_CACHED_STATEMENT_PARAMS = 1000


def configure_postgresql(engine: Engine) -> None:
    """psycopg keeps the conversion of the app's long statements too (above), and the engine's
    transactions that only read end with COMMIT (below)."""
    from psycopg import _queries  # noqa: PLC0415 - psycopg only where PostgreSQL is used

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(
        _queries.MAX_CACHED_STATEMENT_LENGTH, PSYCOPG_CACHED_STATEMENT_LENGTH
    )
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(
        _queries.MAX_CACHED_STATEMENT_PARAMS, PSYCOPG_CACHED_STATEMENT_PARAMS
    )
    event.listen(engine, "begin", _reads_so_far)
    event.listen(engine, "before_cursor_execute", _note_statement)
    event.listen(engine, "rollback", _commit_what_only_read)


# PostgreSQL: what a transaction that only read ends with. psycopg prepares a statement on the
# server once it has run it 5 times on a connection (its prepare_threshold), and forgets every
# prepared statement, and its counts, at each ROLLBACK (psycopg/_connection_base.py
# _rollback_gen: a rolled-back DDL could have changed what they read). Reads (GET requests, the
# CLI's reports) ended with ROLLBACK, so no statement was ever prepared: the report's were parsed
# and planned again at every request (issue 16: half of the server's time for a month's report
# at 1,000,000 dossiers). Ending them with COMMIT changes nothing in the database and keeps them.
# A transaction ends so when:
# - every statement the engine sent in it reads (READ_STATEMENT; no SET but SET LOCAL, whose
#   setting a COMMIT would keep for the connection; nothing named in SESSION_EFFECTS);
# - it has not failed (psycopg's transaction status: in a transaction, not in error);
# - the server has written nothing in it: READ_ONLY_GUARD fails (division by zero) as soon as
#   the transaction has a transaction id, which PostgreSQL gives at its first write (of any
#   table, a temporary one too; a statement sent on the driver's connection directly too). The
#   guard and the COMMIT are sent together (pipeline mode: one round trip, as the ROLLBACK was);
#   the server skips the COMMIT after a failed guard, and the ROLLBACK follows as before (the
#   driver's transaction status comes from the server: idle after the COMMIT).
# Anything else ends with ROLLBACK as before (and psycopg forgets its prepared statements).
READ_STATEMENT = re.compile(r"\s*(?:SELECT|WITH|SHOW|VALUES|SET\s+LOCAL)\b", re.IGNORECASE)
SESSION_EFFECTS = ("set_config", "pg_notify")
READ_ONLY_GUARD = "SELECT 1 / CAST(pg_current_xact_id_if_assigned() IS NULL AS INTEGER)"
_ONLY_READ = "motcua_only_read"  # in the connection's info: the transaction only read so far


def _reads_so_far(connection) -> None:
    connection.info[_ONLY_READ] = True


def _note_statement(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.info.get(_ONLY_READ) and not _reads(statement):
        connection.info[_ONLY_READ] = False


def _reads(statement: str) -> bool:
    if READ_STATEMENT.match(statement) is None:
        return False
    lowered = statement.lower()
    return not any(name in lowered for name in SESSION_EFFECTS)


def _commit_what_only_read(connection) -> None:
    """Before the rollback of `connection`'s transaction: COMMIT instead when it only read (see
    above); the rollback that follows then has nothing to end (psycopg sends nothing)."""
    import psycopg  # noqa: PLC0415 - psycopg only where PostgreSQL is used

    if not connection.info.pop(_ONLY_READ, False) or connection.invalidated:
        return
    raw = connection.connection.dbapi_connection
    if raw is None or raw.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        return
    with contextlib.suppress(psycopg.Error):  # it wrote, or the connection failed: rolled back
        with raw.pipeline():
            raw.execute(READ_ONLY_GUARD)
            # As a statement, not raw.commit(): that one waits for its result, and the end of
            # the pipeline waits again (two round trips). Never prepared (a utility statement).
            raw.execute("COMMIT", prepare=False)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and a transaction mode per use. Reads (GET/HEAD requests) BEGIN
    deferred: in WAL mode they never wait for a writer. Writes (POST and other methods, the CLI)
    BEGIN IMMEDIATE, taking the write lock up front instead of failing with "database is
    locked" when a read transaction upgrades. A web write waits SQLITE_BUSY_TIMEOUT_MS for the
    lock at most, then the user gets the "busy" page (views/errors.py)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={CLI_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        connection_record.info["busy_timeout"] = CLI_BUSY_TIMEOUT_MS

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection, connection_record):
        # SQLite's advice: PRAGMA optimize before a connection closes (it re-analyzes the
        # tables whose statistics the connection's queries found stale). Bounded: a partial
        # index with no rows never gets statistics, so optimize analyzes the dossier table at
        # every close; unbounded that held the write lock for seconds at 1M dossiers (clerks
        # got the busy page whenever a worker or a CLI command closed a connection).
        with contextlib.suppress(sqlite3.Error):
            dbapi_connection.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            dbapi_connection.execute("PRAGMA optimize")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        writes, timeout_ms = _sqlite_transaction()
        busy_timeout(connection, timeout_ms)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
