"""The test infrastructure shared by tests/conftest.py and the tests that build their own app
(no test data here: that is tests/factories.py). One PostgreSQL database and one SQLite file per
pytest-xdist worker, so that workers never share a schema."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import event, make_url, select, text
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from domain import report_days  # noqa: E402
from domain.sql import create_database  # noqa: E402
from models import ReportDay, ReportMonth, db  # noqa: E402

IN_CI = os.environ.get("CI") == "true"


def _temporary_files_in_memory(ram_disk: str = "/dev/shm", room: int = 2 << 30) -> None:
    """Temporary files (pytest's tmp_path with the SQLite databases, the exports' workbooks,
    Chromium's profile) on the RAM disk when the machine has one with room, unless TMPDIR says
    otherwise: on a disk each file created and deleted costs a wait (on an ext4 volume mounted
    with `discard`, 17 ms per exported workbook), thousands of times a run."""
    if os.environ.get("TMPDIR") or not os.access(ram_disk, os.W_OK | os.X_OK):
        return
    if shutil.disk_usage(ram_disk).free < room:
        return
    os.environ["TMPDIR"] = tempfile.tempdir = ram_disk  # this process and its children


_temporary_files_in_memory()
# pytest-xdist names its workers gw0, gw1, …; without xdist there is no worker name.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BASE_PG_URL = os.environ.get("TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def worker_pg_url(base: str = BASE_PG_URL, worker: str = WORKER) -> str:
    """TEST_PG_URL itself without xdist; `<database>_gw0`, `<database>_gw1`, … per worker."""
    if not worker:
        return base
    url = make_url(base)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


PG_URL = worker_pg_url()


def libpq_url(url: str) -> str:
    """The URL as libpq reads it: SQLAlchemy's `postgresql+psycopg://` without the driver."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_pg_database(url: str) -> None:
    """A worker's database, created when missing (domain.sql.create_database). A test database
    commits without waiting for the WAL flush (synchronous_commit=off: a crash could lose the
    last commits, nothing else changes; every connection, a subprocess's too, sees each commit
    as before)."""
    create_database(url)
    with psycopg.connect(libpq_url(url), connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{make_url(url).database}" SET synchronous_commit = off')


def pg_reachable(url: str = PG_URL) -> str | None:
    """None when PostgreSQL answers at `url` (the database is created first when missing),
    else why."""
    try:
        ensure_pg_database(url)
        with psycopg.connect(libpq_url(url), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {url}: {exc}"


def make_app(database_url: str, **config):
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(config)
    return create_app(settings)


def reset_schema(app) -> None:
    """Drop everything and build the schema with the migrations, as `flask db upgrade` does."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(ROOT / "migrations"))


# PostgreSQL's sequences that have been used, started again as TRUNCATE … RESTART IDENTITY
# would (setval is cheap; a sequence never used has no last_value).
RESTART_SEQUENCES = """SELECT
setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, 1, false)
FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"""


BIG_TABLE = 1000


def empty_tables() -> None:
    """Every table emptied and committed: for the tests whose data must really be committed
    (other connections, threads, processes see it); the others roll back (tests/conftest.py).

    Only the tables that hold rows are emptied, children first: on PostgreSQL a TRUNCATE of
    all the tables creates new files for every one of them (about a second per call, most of
    a committing test's setup), while a test leaves rows in a few tables. A table of more
    than BIG_TABLE rows (the demo data) is cheaper to TRUNCATE."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    probe = " UNION ALL ".join(
        f'SELECT {n}, EXISTS (SELECT 1 FROM "{t}" LIMIT 1 OFFSET {BIG_TABLE}) '
        f'WHERE EXISTS (SELECT 1 FROM "{t}")'
        for n, t in enumerate(tables)
    )
    filled = sorted(db.session.execute(text(probe)).all())
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql and any(big for _, big in filled):  # the demo data: TRUNCATE is cheaper
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for n, _ in filled:
            db.session.execute(text(f'DELETE FROM "{tables[n]}"'))
        if postgresql:
            db.session.execute(text(RESTART_SEQUENCES))
    db.session.commit()


def snapshot_tables() -> dict:
    """Every row of every table that holds some (and, on PostgreSQL, the sequences' positions):
    what restore_tables() puts back. For a data set built once per test process and reused by
    tests that must commit (a live server's), instead of built again through the domain for
    each of them (tests/journeys/conftest.py's `centre`)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        found = [dict(r) for r in db.session.execute(table.select()).mappings()]
        if found:
            rows[table.name] = found
    sequences = []
    if db.engine.dialect.name == "postgresql":
        sequences = db.session.execute(text(SEQUENCES)).all()
    return {"rows": rows, "sequences": sequences}


SEQUENCES = """SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value
FROM pg_sequences WHERE schemaname = current_schema()"""


def restore_tables(snapshot: dict) -> None:
    """The tables as snapshot_tables() found them, committed: emptied, then the same rows
    inserted, parents first (on SQLite the full-text index follows through its triggers), and on
    PostgreSQL every sequence where it was."""
    empty_tables()
    for table in db.metadata.sorted_tables:
        rows = snapshot["rows"].get(table.name)
        if table.name == ReportMonth.__tablename__:
            continue  # filled again from report_day's rows by its triggers (report_months.py)
        if rows:
            db.session.execute(table.insert(), rows)
    for name, last_value in snapshot["sequences"]:
        if last_value is None:
            db.session.execute(text("SELECT setval(:s, 1, false)"), {"s": name})
        else:
            db.session.execute(text("SELECT setval(:s, :v, true)"), {"s": name, "v": last_value})
    db.session.commit()


def run_threads(targets, timeout: float = 120) -> None:
    """One thread per target, each called with its index; started together, all waited for."""
    threads = [threading.Thread(target=target, args=(n,)) for n, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


def session_worker(app, barrier, rounds: int, step, errors: list, prepare=None):
    """The body of a thread that works through the domain with its own app context, session and
    connection: `prepare(n)` (committed before the barrier, so no transaction is held there),
    then `step(n, i, prepared)` for i in range(rounds), each committing or rolling back itself;
    an exception rolls back and is recorded in `errors` as (n, i, repr)."""

    def work(n):
        with app.app_context():
            prepared = prepare(n) if prepare else None
            barrier.wait()
            for i in range(rounds):
                try:
                    step(n, i, prepared)
                except Exception as exc:  # noqa: BLE001 - reported by the test's assertion
                    db.session.rollback()
                    errors.append((n, i, repr(exc)))
            db.session.remove()

    return work


def spare_database(database_url: str, tmp_path, suffix: str):
    """A generator for a fixture: an empty database next to `database_url` (a new SQLite file in
    tmp_path, or a PostgreSQL database `<name>_<suffix>` created here and dropped after)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'{suffix}.db'}"
        return
    name = f"{url.database}_{suffix}"
    admin_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_or_skip(url: str):
    """A generator for a fixture: a Redis client on `url` (a database of the shared server), or
    the test skipped when Redis does not answer (failed when CI=true, where it is required)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {url}: {exc}"
        if IN_CI:
            pytest.fail(reason + " (required when CI=true)")
        pytest.skip(reason)
    yield client
    client.close()


def statements_of(app, fn, parameters: bool = False) -> list:
    """The SQL statements `fn()` sends to the app's database, in order (with their parameters
    when asked): for the tests that bound the number of queries of a page."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, params, *args):
        seen.append((statement, params) if parameters else statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def report_day_rows(session) -> list:
    """Every row of the report's per-day counts (domain/report_days.py), sorted."""
    return sorted(tuple(r) for r in session.execute(select(ReportDay.__table__)).all())


def report_month_rows(session) -> list:
    """Every row of the per-month counts (domain/report_months.py) with a count, sorted (a row
    whose days are all gone stays at zero)."""
    rows = session.execute(select(ReportMonth.__table__)).all()
    return sorted(tuple(r) for r in rows if any(r[3:]))


def months_of_days(rows) -> list:
    """report_month_rows as the sums of these report_day rows by month, in Python."""
    months: dict = {}
    for day, agency_id, procedure_id, *counts in rows:
        key = (day.replace(day=1), agency_id, procedure_id)
        total = months.setdefault(key, [0] * len(counts))
        total[:] = [a + b for a, b in zip(total, counts, strict=True)]
    return sorted((*k, *v) for k, v in months.items() if any(v))


def assert_report_days_current(session) -> None:
    """The per-day counts as kept by the flushes equal a recount of every row, and the
    per-month counts as kept by their triggers equal the sums of the days, before and after
    the recount."""
    session.flush()
    kept = report_day_rows(session)
    kept_months = report_month_rows(session)
    assert kept_months == months_of_days(kept)
    report_days.rebuild(session)
    assert kept == report_day_rows(session)
    assert kept_months == report_month_rows(session)


class LiveServer:
    """The process's one HTTP server (threads, a free local port) for the live_server fixture,
    serving the app of the test being run (`mounted`; between tests none: 503). The browser
    sees the same origin from test to test, so it keeps the static files the app sends as kept
    for a year (Flask-Admin's jQuery, Bootstrap, select2, moment, … 19 a page) and V8 their
    compiled code, instead of fetching and compiling them again for a new port each test. What
    a test leaves in the browser's storage for this origin is cleared after it (page_of)."""

    def __init__(self):
        self.mounted = None
        server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_port}"

    def wsgi(self, environ, start_response):
        app = self.mounted
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test running"]
        return app(environ, start_response)


_server: list = []


def http_server() -> LiveServer:
    """The process's LiveServer, started at first use."""
    if not _server:
        _server.append(LiveServer())
    return _server[0]


# What a test may leave in the browser for an origin, besides cookies (cleared by Playwright)
# and the HTTP cache (kept: the static files).
SITE_STORAGE = "local_storage,indexeddb,websql,cache_storage,service_workers,file_systems"


# One browser context per set of options for the whole test process, each test on a new page
# of it: a new context costs Chromium about a second of CPU (the context, then a new renderer
# process for its first page), the suite's largest cost. Between tests the context is emptied
# (its pages closed, cookies, storage and permissions cleared): a test sees nothing of another.
_contexts: dict = {}


def _emptied_context(context) -> None:
    # localStorage outlives the page (the idle timer keeps its clock there): every origin of
    # the pages still open and the live server's, whose pages the test may have closed.
    origins = {_origin(page.url) for page in context.pages if page.url.startswith("http")}
    origins.update(server.url for server in _server)
    if origins:
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        for origin in sorted(origins):
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": SITE_STORAGE})
        cdp.detach()
    for page in list(context.pages):
        page.close()
    context.clear_cookies()
    context.clear_permissions()


def shared_contexts() -> list:
    """The contexts page_of keeps for the whole process."""
    return list(_contexts.values())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextlib.contextmanager
def page_of(browser, request, **options):
    """A new page (15 s timeout) in the process's context with these options (locale vi-VN).
    A test marked `own_context` gets a context of its own, closed after it: one that changes
    what cannot be reset (Playwright's clock, installed on the whole context)."""
    options = {"locale": "vi-VN", **options}
    key = repr(sorted(options.items()))
    if request.node.get_closest_marker("own_context") is not None:
        context = browser.new_context(**options)
    else:
        context = _contexts.get(key) or _contexts.setdefault(key, browser.new_context(**options))
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        try:
            if _contexts.get(key) is not context:
                context.close()
            else:
                _emptied_context(context)
        except Exception:  # noqa: BLE001 - e.g. a page still navigating: not used again
            _contexts.pop(key, None)
            context.close()
