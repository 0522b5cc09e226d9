"""Helpers shared by the demo data set and the scale generator: bulk inserts, id sequences,
search text and a cached due-date rule."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import Engine, func, insert, select, text

from domain import search_index
from domain.calendar import WorkingCalendar
from domain.sql import foreign_keys, gather_statistics
from domain.text import normalize_search

BATCH = 5000
UTC_OFFSET = dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving


def bulk_insert(session, table, rows, batch: int = BATCH) -> int:
    """Core executemany in batches (no ORM objects, no audit rows: seeding only); on PostgreSQL
    COPY, several times faster, in the same transaction."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy(session, table, rows)
        return len(rows)
    if dialect == "sqlite":
        _sqlite_executemany(session, table, rows, batch)
        return len(rows)
    for start in range(0, len(rows), batch):
        session.execute(insert(table), rows[start : start + batch])
    return len(rows)


def bulk_rows(session, table, columns: tuple[str, ...], rows: list[tuple], constants=None) -> None:
    """Rows as tuples in the order of `columns`, their values already as the database stores
    them (times as Moments' text), and `constants` ({column: value}) the same in every row:
    executemany on SQLite (the constants literals of the INSERT), COPY on PostgreSQL, without a
    Python step per value between the maker of the rows and the driver (the scale seed's
    millions)."""
    if not rows:
        return
    constants = constants or {}
    names = ", ".join(f'"{name}"' for name in (*columns, *constants))
    driver = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        tail = tuple(constants.values())
        with driver.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row + tail)
        return
    marks = ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in constants.values()])
    driver.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _sqlite_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQLite literal for {value!r}")


class Moments:
    """Local times as whole seconds from the midnight of a first day, and their text as
    SQLAlchemy stores a DateTime on SQLite ('2020-01-02 07:30:05.000000'), which PostgreSQL
    reads as well: the scale seed computes and writes millions of times without a datetime
    object (tables of the days and of the seconds of a day)."""

    def __init__(self, first: dt.date, last: dt.date):
        self.first = first
        days = [
            (first + dt.timedelta(days=k)).isoformat() + " " for k in range((last - first).days + 1)
        ]
        clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400)]

        def text(seconds: int) -> str:
            day, second = divmod(seconds, 86400)
            return days[day] + clock[second]

        self.text = text

    def seconds(self, day: dt.date) -> int:
        """The day's midnight."""
        return (day - self.first).days * 86400


def _sqlite_converter(column):
    """How SQLAlchemy's SQLite types store a value (DateTime with microseconds, Date ISO,
    Boolean 0/1), so that rows read back and compare exactly like ORM-written ones."""
    python_type = None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        pass
    if python_type is dt.datetime:
        return lambda v: v.isoformat(" ", "microseconds")
    if python_type is dt.date:
        return dt.date.isoformat
    if python_type is bool:
        return int
    return None


def _sqlite_executemany(session, table, rows, batch) -> None:
    """Plain DB-API executemany with pre-converted values: several times faster than going
    through SQLAlchemy's per-row bind processing, which matters for a million dossiers."""
    keys, extra = _columns(table, rows[0])
    names = ", ".join(f'"{table.c[k].name}"' for k in keys + list(extra))
    marks = ", ".join("?" * (len(keys) + len(extra)))
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    tail = []
    for key, value in extra.items():
        convert = _sqlite_converter(table.c[key])
        tail.append(convert(value) if convert and value is not None else value)
    tail = tuple(tail)
    getter = itemgetter(*keys)
    conversions = [
        (i, fn) for i, fn in ((i, _sqlite_converter(table.c[k])) for i, k in enumerate(keys)) if fn
    ]
    connection = session.connection()
    for start in range(0, len(rows), batch):
        params = []
        for row in rows[start : start + batch]:
            values = list(getter(row)) if len(keys) > 1 else [row[keys[0]]]
            for i, fn in conversions:
                value = values[i]
                if value is not None:
                    values[i] = fn(value)
            params.append(tuple(values) + tail)
        connection.exec_driver_sql(sql, params)


def _columns(table, first_row):
    """The row's keys, and the Python-side defaults of the columns it leaves out."""
    keys = list(first_row)
    extra = {}
    for column in table.c:
        if column.key not in first_row and column.default is not None:
            arg = column.default.arg
            extra[column.key] = arg(None) if callable(arg) else arg
    return keys, extra


def _copy(session, table, rows) -> None:
    # Columns left out take their Python-side defaults, as an INSERT through SQLAlchemy would.
    keys, defaults = _columns(table, rows[0])
    columns = keys + list(defaults)
    extra = tuple(defaults.values())
    names = ", ".join(f'"{table.c[k].name}"' for k in columns)
    getter = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(getter(row) + extra)


def secondary_indexes(session, table) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that back no constraint (not the primary
    key, not a UNIQUE), read from the database itself: those of migrations too."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = :t AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY indexname"
            ),
            {"t": table.name},
        )
    else:
        rows = session.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
                " AND sql IS NOT NULL ORDER BY name"
            ),
            {"t": table.name},
        )
    return [tuple(row) for row in rows]


def create_indexes(session, groups: list[list[str]]) -> None:
    """Run the CREATE INDEX statements of `groups` (a group: one table's). On PostgreSQL with a
    session on an engine, two groups at a time, each on a connection of its own (two cores; the
    dossier's trigram index alone takes about as long as all the others), sorting in memory;
    else one after the other in the session (SQLite has one writer; a session bound to a
    connection, as in the tests, holds locks the others would wait for)."""
    # Sorting an index of a million rows in memory instead of on disk; the dossier's trigram
    # (GIN) index, about 60 entries a row, gathered in one pass instead of several (PostgreSQL
    # takes the memory as it needs it, for this statement only).
    memory = "SET LOCAL maintenance_work_mem = '1GB'"
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        if groups and bind.dialect.name == "postgresql":
            session.execute(text(memory))
        for create in (create for group in groups for create in group):
            session.execute(text(create))
        return
    session.commit()

    def build(group):
        with bind.connect() as connection:
            for create in group:
                with connection.begin():
                    connection.exec_driver_sql(memory)
                    connection.exec_driver_sql(create)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-index") as pool:
        for job in [pool.submit(build, group) for group in groups]:
            job.result()


# SQLite during a bulk load (restored after): the index pages of a million-row table in memory
# (default: 2 MB), the sorts of CREATE INDEX on two threads (a third less wall time), and no
# CHECK constraints: SQLite evaluates each `IN (...)` of a CHECK as a new lookup table, more than
# half the insert of a dossier; the seed makes only allowed values, and PostgreSQL (the tests on
# it) checks them. Not `synchronous`: it cannot change inside a transaction, and the app begins
# one on every connection (transactions.py); in WAL mode it only syncs at checkpoints anyway.
SQLITE_LOAD_PRAGMAS = {"cache_size": "-262144", "threads": "2", "ignore_check_constraints": "1"}


@contextlib.contextmanager
def bulk_load(session, tables, rebuild_indexes: bool = True):
    """A large load into `tables`: their secondary indexes dropped first and built again at the
    end (one sorted pass each instead of a B-tree insert per row; built even if the load
    fails), and ANALYZE afterwards so that the planner knows the new sizes.
    On PostgreSQL their foreign keys are dropped as well and added again at the end (one join
    checks each, instead of a query per row and key: PostgreSQL's advice for bulk loads).
    `rebuild_indexes=False` (a small load into a large database) keeps indexes and keys.
    On SQLite the triggers of the search index are dropped, whatever the size of the load: it
    yields `index_search`, which adds the rows loaded since its last call to the search index in
    one statement (domain/search_index.py), to be called in each batch's transaction; the rest
    is indexed at the end."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    connection = session.connection()
    pragmas = {}
    unchecked = connection.connection.driver_connection if sqlite and rebuild_indexes else None
    if sqlite:
        for name, value in SQLITE_LOAD_PRAGMAS.items():
            pragmas[name] = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            connection.exec_driver_sql(f"PRAGMA {name} = {value}")
    dropped, keys = {}, []  # dropped: table name -> its indexes' CREATE statements
    if rebuild_indexes:
        for table in tables:
            for name, create in secondary_indexes(session, table):
                session.execute(text(f'DROP INDEX "{name}"'))
                dropped.setdefault(table.name, []).append(create)
        for table in tables:
            for name, definition in foreign_keys(session, table):
                session.execute(text(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{name}"'))
                keys.append(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{name}" {definition}')
    searched = {}  # table name -> [largest id in its search index, its triggers' CREATE statements]
    for table in tables:
        triggers = search_index.triggers(connection, table.name)
        if triggers:
            last = session.scalar(select(func.max(table.c.id))) or 0
            searched[table.name] = [last, [create for _, create in triggers]]
            for name, _ in triggers:
                session.execute(text(f'DROP TRIGGER "{name}"'))
    session.commit()
    # SQLite's foreign keys off for a large load (a look-up per row and key, a sixth of the
    # inserts' time), on the session's connection: it only changes between transactions, so on
    # the driver's connection now that the commit has given it back, and set again at the end.
    if unchecked is not None:
        unchecked.execute("PRAGMA foreign_keys = OFF")

    def index_search() -> None:
        for name, entry in searched.items():
            entry[0] = search_index.index_rows_after(session.connection(), name, entry[0])

    try:
        yield index_search
    finally:
        session.rollback()  # what the load left uncommitted after a failure
        create_indexes(session, list(dropped.values()))
        for create in keys:
            session.execute(text(create))
        index_search()
        for _, creates in searched.values():
            for create in creates:
                session.execute(text(create))
        session.commit()
        if unchecked is not None:
            unchecked.execute("PRAGMA foreign_keys = ON")
        for name, value in pragmas.items():
            session.connection().exec_driver_sql(f"PRAGMA {name} = {value}")
    analyze(session)


class Writer:
    """Jobs run one at a time in a thread beside the caller's: the seed makes its next batch of
    rows in Python while the database writes the last one (SQLite's work runs without the GIL,
    PostgreSQL's in the server), on two cores at once. At most one job is in flight, so memory
    stays one batch; a job's failure is raised in the caller, at the next submit or at the end.
    The caller does not touch the session between its first submit and the end."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-writer")
        self._job = None

    def submit(self, fn, *args) -> None:
        self.wait()
        # In the caller's context: Flask's app context, which finds db.session, is a ContextVar.
        self._job = self._pool.submit(contextvars.copy_context().run, fn, *args)

    def wait(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.wait()  # before anyone else uses the session, also after a failure
        finally:
            self._pool.shutdown()


def analyze(session) -> None:
    """Planner statistics after a load (domain/sql.py gather_statistics), committed."""
    session.commit()
    gather_statistics(session)
    session.commit()


def next_id(session, table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def sync_sequences(session, tables) -> None:
    """Explicit ids do not advance PostgreSQL sequences: move them past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


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


def fast_randint(rng):
    """`rng.randint` drawing the very same numbers (CPython's randint(a, b) is
    a + rng._randbelow(b - a + 1) after argument checks): ~40 % less per call, and the seed
    calls it about eleven times a dossier. tests/seed/test_scale.py compares the two."""
    randbelow = rng._randbelow

    def randint(a: int, b: int) -> int:
        return a + randbelow(b - a + 1)

    return randint


def utc(local: dt.datetime) -> dt.datetime:
    """Technical timestamps are UTC; business ones local (models.py)."""
    return local - UTC_OFFSET


class DueDates:
    """WorkingCalendar.due_date with a cache: the seed asks for the same (day, days) often."""

    def __init__(self, calendar: WorkingCalendar | None = None):
        self.calendar = calendar or WorkingCalendar()
        # Each answer kept, per calendar (this object's): unbounded, the seed's days are few.
        self._due = lru_cache(maxsize=None)(self.calendar.due_date)
        self._nth = lru_cache(maxsize=None)(self.calendar.nth_working_day_after)

    def due(self, day: dt.date, days: int) -> dt.date:
        return self._due(day, days)

    def nth(self, day: dt.date, n: int) -> dt.date:
        return self._nth(day, n)

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        days, day = [], first
        while day <= last:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days
