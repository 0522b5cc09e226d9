"""SQL that SQLite and PostgreSQL write differently, in one place: each helper is a SQL element
compiled per dialect (so the queries using it stay dialect-free), or a function choosing the
dialect's construct from the session."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import weakref

from sqlalchemy import (
    Date,
    Integer,
    String,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from models import LATE_RESULT, LONG_SPAN, LONG_SPAN_DAYS, RESULT_BEFORE_ACCEPTANCE
from transactions import SQLITE_ANALYSIS_LIMIT


def count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def constant(number: int):
    """An integer written into the statement's text, not sent as a parameter: the LIMIT and
    OFFSET of a statement kept per value (views/keyset.py, views/list_count.py). PostgreSQL
    plans a prepared statement for its parameters' values at every run while its generic plan
    looks dearer, and a LIMIT parameter is costed as a tenth of the table: the dossier list
    was planned again on every page (a millisecond of a 7 ms page at 1,000,000 dossiers). With
    the numbers in the text the generic plan is the same plan, kept once prepared."""
    return literal_column(str(int(number)), Integer)


def scoped(query, column, agency_ids):
    """`query` limited to the rows whose `column` is one of `agency_ids`: None is every agency
    (no condition), an empty list none of them."""
    return query.where(*in_scope(column, agency_ids))


def in_scope(column, agency_ids) -> list:
    """The conditions of scoped, for a query that applies them itself: none for every agency."""
    if agency_ids is None:
        return []
    return [column.in_(list(agency_ids) or [-1])]


def _same_type_as_argument(self, column):
    FunctionElement.__init__(self, column)
    self.type = column.type


def _function(name: str, type_, default: str, sqlite: str, doc: str):
    """A SQL function of one argument written `default` in PostgreSQL and `sqlite` in SQLite
    ({} stands for the argument); of type `type_`, or of the argument's type (None)."""
    attributes = {"name": name, "inherit_cache": True, "__doc__": doc}
    if type_ is None:
        attributes["__init__"] = _same_type_as_argument
    else:
        attributes["type"] = type_
    element = type(name, (FunctionElement,), attributes)

    @compiles(element)
    def _default(element, compiler, **kw):
        return default.format(compiler.process(element.clauses, **kw))

    @compiles(element, "sqlite")
    def _sqlite(element, compiler, **kw):
        return sqlite.format(compiler.process(element.clauses, **kw))

    return element


# SQLite stores DATE as 'YYYY-MM-DD' and DATETIME as 'YYYY-MM-DD HH:MM:SS...'.
day_of = _function(
    "day_of",
    Date(),
    "CAST({} AS DATE)",
    "date({})",
    "The calendar date of a naive timestamp, as a value comparable with a DATE column.",
)


unindexed = _function(
    "unindexed",
    None,
    "{}",
    "+{}",
    "The column itself, written so that SQLite does not drive the query by its index "
    "(`+column`, SQLite's documented idiom); plain `column` elsewhere.",
)


class never_indexed(unindexed):
    """unindexed on both databases: `+column` on SQLite, COALESCE(column, column) on PostgreSQL
    (whose planner would otherwise pick an index by its estimates)."""

    name = "never_indexed"
    inherit_cache = True


@compiles(never_indexed)
def _never_indexed_default(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"COALESCE({column}, {column})"


@compiles(never_indexed, "sqlite")
def _never_indexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def lock_pair(session, first: int, second: int) -> None:
    """Hold a lock on the pair of numbers until the transaction ends: PostgreSQL's advisory lock
    (two transactions recounting the same rows wait for each other instead of colliding on
    their keys); SQLite's writes hold the database lock already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": first, "b": second})


def without_jit(session) -> None:
    """PostgreSQL: no JIT compilation for the rest of the transaction (SET LOCAL jit = off).
    A report is short index-range reads whose plans can still cost past jit_above_cost (the
    late list of a year: its outcome expressions over thousands of rows); compiling them cost
    seconds where running them costs milliseconds (issue 16). SQLite: nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(_JIT_OFF))


_JIT_OFF = "SET LOCAL jit = off"  # without_jit's statement


def read_together(session, statements, jit: bool = True) -> list[list]:
    """The rows of each (statement, parameters) of `statements`, in order, read in the session's
    transaction. PostgreSQL: sent together, one round trip for all (psycopg's pipeline mode;
    the server runs them one after the other, as sent), each statement compiled once per
    process; `jit=False`: without_jit first, in the same round trip. A report's independent
    reads cost one wait for the server instead of one each: on a busy machine each wait is a
    wake-up of the server's process (issue 16). Each statement is prepared on the server at its
    first execution on a connection (in the pipeline: no round trip more), so that the next
    reports on that connection are neither parsed nor planned again (the server plans them for
    their values 5 times, then keeps a generic plan when it costs no more): these statements
    are built once per process and read at every report, and a report is rare enough that
    psycopg's own rule (prepared at the 6th execution on a connection) would leave most of them
    unprepared. Read transactions end with COMMIT, which keeps them (transactions.py). The
    engine's cursor events see each statement. SQLite (in the process, no round trip): one
    after the other."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return [connection.execute(s, p).all() for s, p in statements]
    from psycopg.pq import ExecStatus  # noqa: PLC0415 - psycopg only where PostgreSQL is used

    sent = [] if jit else [(_JIT_OFF, None)]
    for statement, parameters in statements:
        sent.append(_compiled(statement, connection.dialect).sent(parameters))
    raw = connection.connection.dbapi_connection
    events = connection.dispatch
    cursors = []
    try:
        with raw.pipeline():
            for i, (statement, parameters) in enumerate(sent):
                cursor = raw.cursor()
                events.before_cursor_execute(connection, cursor, statement, parameters, None, False)
                # Prepared on the server at their first execution (the SET apart), not after
                # psycopg's 5 (prepare_threshold): see the docstring.
                cursor.execute(statement, parameters, prepare=jit or i > 0)
                cursors.append(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy raises a driver's error (sqlalchemy.exc.DBAPIError and its kinds).
        raise DBAPIError.instance(
            ";\n".join(s for s, _ in sent),
            [p for _, p in sent],
            error,
            connection.dialect.loaded_dbapi.Error,
            dialect=connection.dialect,
        ) from error
    out = []
    for (statement, parameters), cursor in zip(sent, cursors, strict=True):
        events.after_cursor_execute(connection, cursor, statement, parameters, None, False)
        # Whether it has rows from its status (its description would build every column's).
        out.append(cursor.fetchall() if cursor.pgresult.status == ExecStatus.TUPLES_OK else [])
        cursor.close()
    return out if jit else out[1:]


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(statement, dialect) -> _Sent:
    """The statement compiled for the dialect, once per statement (those of read_together are
    built once per process) and dialect. Their types need no conversion of values on
    PostgreSQL (psycopg adapts dates, times, numbers and text itself): checked here."""
    per_dialect = _COMPILED.setdefault(statement, {})
    compiled = per_dialect.get(dialect.name)
    if compiled is None:
        compiled = statement.compile(dialect=dialect)
        if compiled._bind_processors:  # noqa: SLF001 - no public name for it
            raise ValueError("read_together: a parameter needs converting")
        compiled = per_dialect[dialect.name] = _Sent(compiled)
    return compiled


class _Sent:
    """What read_together sends for a compiled statement: (SQL, parameters). SQLAlchemy writes
    the SQL again at every execution when the statement has a list of values in it (an IN list
    of statuses: expanded into one parameter per value), and gathers every parameter; a list
    that is part of the statement (not a parameter given at execution) comes out the same every
    time, so such a statement's SQL and its own parameters are worked out once (at its first
    sending) and the given parameters added to them. A list given at execution (`among` on
    SQLite) is expanded each time."""

    def __init__(self, compiled):
        self.compiled = compiled
        self._fixed: tuple | None = None  # (SQL, the statement's own parameters, given names)

    def sent(self, parameters) -> tuple:
        given = frozenset(parameters or ())
        fixed = self._fixed
        if fixed is not None and fixed[2] == given:
            return fixed[0], {**fixed[1], **parameters} if parameters else dict(fixed[1])
        state = self.compiled.construct_expanded_state(parameters)
        if self._constant(given):
            own = {k: v for k, v in state.parameters.items() if k not in given}
            self._fixed = (state.statement, own, given)
        return state.statement, state.parameters

    def _constant(self, given: frozenset) -> bool:
        """The SQL and the statement's own parameters do not depend on the given parameters'
        values: no list among them, no value computed at execution."""
        compiled = self.compiled
        binds = compiled.binds.values()
        if compiled.escaped_bind_names or any(b.callable is not None for b in binds):
            return False
        if any(b.key in given for b in compiled.literal_execute_params):
            return False
        return not any(b.key in given or b.value is None for b in compiled.post_compile_params)


def among(dialect: str | None, column, name: str):
    """SQL: `column` among the values of the list parameter `name`, given at each execution:
    one array value on PostgreSQL (`= ANY(CAST(:name AS <type>[]))`, the list passed to
    psycopg as it is: the statement's SQL the same whatever the list, read_together sends it
    as compiled), an IN list expanded at each execution on SQLite (and for any database:
    `dialect` None)."""
    if dialect == "postgresql":
        return column == any_(cast(bindparam(name), ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def foreign_keys(session, table) -> list[tuple[str, str]]:
    """(name, definition) of the table's foreign keys on PostgreSQL, read from the database; none
    on SQLite, whose check per row is one primary-key look-up (and cannot be dropped)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    rows = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = CAST(:t AS regclass) ORDER BY conname"
        ),
        {"t": f'"{table.name}"'},
    )
    return [tuple(row) for row in rows]


@contextlib.contextmanager
def bulk_insert_into(session, table):
    """A large INSERT ... SELECT into `table` in the caller's transaction (a full recount,
    issue 16). PostgreSQL: without JIT (a plan over every dossier compiles for seconds), sorting
    in memory (256 MB for this transaction), and the table's foreign keys dropped and added
    again at the end, in the same transaction: one join checks each instead of a look-up per
    row and key (a third of the recount of 100,000 dossiers). The table is locked until the
    caller commits. SQLite: nothing."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    without_jit(session)
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    keys = foreign_keys(session, table)
    for name, _ in keys:
        session.execute(text(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{name}"'))
    yield
    for name, definition in keys:
        session.execute(text(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{name}" {definition}'))


def insert_for(session):
    """The dialect's INSERT construct, which has `on_conflict_do_nothing` and
    `on_conflict_do_update` (both dialects)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def insert_rows(session, table, rows: list[dict]) -> None:
    """INSERT of many rows (dicts with the same keys): on PostgreSQL one statement whose values
    are one array a column, unnested (psycopg's executemany costs a message and its Python a
    row: thousands of rows took tens of milliseconds); on SQLite executemany (in C)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    columns = tuple(rows[0])
    session.execute(_unnest_insert(table, columns), {c: [r[c] for r in rows] for c in columns})


@functools.cache  # built once per table and columns
def _unnest_insert(table, columns: tuple):
    arrays = (func.unnest(bindparam(c, type_=ARRAY(table.c[c].type))) for c in columns)
    return table.insert().from_select(list(columns), select(*arrays))


class CompiledOnce:
    """A statement built by `build(insert)` (given the dialect's INSERT construct, insert_for),
    its values as bound parameters, compiled once per database dialect and run as compiled on
    the session's connection. For INSERT ... ON CONFLICT: SQLAlchemy has no cache key for the
    dialects' ON CONFLICT clauses and compiles them again at every execution (about a
    millisecond of CPU each; an intake sends three). Parameters are processed as for any
    statement (types, expanding IN lists), and the engine's events see it."""

    def __init__(self, build):
        self._build = build
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def execute(self, session, parameters=None):
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
            compiled = self._compiled[dialect] = self._build(insert).compile(dialect=dialect)
        return connection.execute(compiled, parameters)


def among_ids(dialect: str, column, value=None):
    """SQL: `column` among integer ids, however many, as ONE bound value: an array on
    PostgreSQL (`= ANY(:ids)`), a JSON list read by json_each on SQLite (an IN list of thousands
    of bound values costs its rendering and parsing per statement, and needs chunks under
    SQLite's limit on bound values). `value`: the ids (ids_value); without it, a parameter
    "ids" given at each execution, for a statement built once."""
    type_ = ARRAY(Integer) if dialect == "postgresql" else String()
    if value is None:
        ids = bindparam("ids", type_=type_)
    else:
        ids = bindparam("ids", value, type_=type_, unique=True)
    if dialect == "postgresql":
        return column == any_(ids)
    return column.in_(select(func.json_each(ids).table_valued("value").c.value))


def ids_value(dialect: str, ids):
    """The value of among_ids' parameter for these ids: a list (PostgreSQL), JSON (SQLite)."""
    ids = [int(i) for i in ids]
    return ids if dialect == "postgresql" else json.dumps(ids)


bytewise = _function(
    "bytewise",
    None,
    '{} COLLATE "C"',
    "{}",
    "The column compared byte by byte: PostgreSQL's default collation would skip the dots and "
    'sort "1.2" among "12" (COLLATE "C"); SQLite compares bytes already.',
)


class long_span(FunctionElement):
    """True for a dossier resolved more than LONG_SPAN_DAYS days after its acceptance: the
    predicate of the partial index ix_dossier_long_span (models.py), written as the index
    writes it, with the number of days inline, so that the planner can use the index."""

    name = "long_span"
    inherit_cache = True
    # No Boolean type: SQLite would compare it with 1, and the predicate would no longer be
    # the index's.


def _long_span(dialect: str):
    def compile_(element, compiler, **kw):
        resolved, accepted = (compiler.process(c, **kw) for c in element.clauses)
        template = LONG_SPAN[dialect].replace("resolved_at", "{resolved}", 1)
        return template.replace("accepted_at", "{accepted}", 1).format(
            resolved=resolved, accepted=accepted, days=LONG_SPAN_DAYS
        )

    return compile_


compiles(long_span)(_long_span("postgresql"))
compiles(long_span, "sqlite")(_long_span("sqlite"))


_DOSSIER_COLUMNS = re.compile(r"\b(resolved_at|accepted_at|due_date|due_at|due_in_hours)\b")


class _dossier_predicate(FunctionElement):
    """The WHERE of a partial index on dossier (`texts`: per dialect, models.py), written as the
    index writes it so that the planner can use the index; over the dossier table itself."""

    texts: dict = {}
    inherit_cache = True


@compiles(_dossier_predicate)
def _dossier_predicate_sql(element, compiler, **kw):
    sql = element.texts.get(compiler.dialect.name, element.texts["postgresql"])
    return "(" + _DOSSIER_COLUMNS.sub(r"dossier.\1", sql) + ")"


class late_result(_dossier_predicate):
    """A result a day after its due date or past the due moment (ix_dossier_late_result)."""

    name = "late_result"
    texts = LATE_RESULT
    inherit_cache = True


class result_before_acceptance(_dossier_predicate):
    """A result recorded before the acceptance (ix_dossier_result_before_acceptance)."""

    name = "result_before_acceptance"
    texts = {"postgresql": RESULT_BEFORE_ACCEPTANCE}
    inherit_cache = True


def gather_statistics(session, tables: tuple[str, ...] = ()) -> None:
    """ANALYZE after a bulk change (seeding, an import): the planner then knows, e.g., that a
    status is rare within an agency and takes the index that finds it (issue 16). On SQLite
    the sample per index is bounded (analysis_limit), so it costs milliseconds on any size.
    A bulk change may bypass the ORM (the seed's inserts): the dashboard's kept months and the
    report's kept instants are made stale too (domain/month_figures.py, open_snapshots.py). The
    caller commits."""
    from domain import month_figures, open_snapshots  # noqa: PLC0415 - they import this module

    if not tables or {"dossier", "payment"} & set(tables):
        month_figures.forget_all(session)
    if not tables or "dossier" in tables:
        open_snapshots.forget_all(session)
    dialect = session.get_bind().dialect.name
    names = ", ".join(f'"{t}"' for t in tables)
    if dialect == "sqlite":
        session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
        for name in tables or ("",):
            session.execute(text(f'ANALYZE "{name}"' if name else "ANALYZE"))
    else:
        session.execute(text(f"ANALYZE {names}" if names else "ANALYZE"))


def create_database(url: str) -> bool:
    """CREATE DATABASE for the PostgreSQL database of `url` when it is missing (connected to the
    server's maintenance database `postgres`); True when it was created. The tests' worker
    databases and the bench's bench_1m are made this way on a new machine."""
    import psycopg  # noqa: PLC0415 - psycopg only where PostgreSQL is used

    target = make_url(url)
    admin = target.set(database="postgres", drivername="postgresql")
    with psycopg.connect(
        admin.render_as_string(hide_password=False), connect_timeout=3, autocommit=True
    ) as conn:
        if conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{target.database}"')
        return True
