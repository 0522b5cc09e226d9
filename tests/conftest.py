"""Fixtures in the style of Flask's tutorial: `app` and `client`, on SQLite and PostgreSQL.

Every test that uses `app` runs once per database backend. PostgreSQL comes from TEST_PG_URL
(default: the local server's `test` database; under pytest-xdist `<database>_gw0`, `_gw1`, …,
created when missing); when it is not reachable its tests are skipped with the reason shown,
except under CI=true, where they fail.

Each test runs inside one transaction that is rolled back at its end (SQLAlchemy's "joining a
Session into an external transaction"): the app's commits only release SAVEPOINTs, so nothing
needs emptying afterwards. Tests whose data must really be committed — seen by other
connections, threads or processes: a live server for Chromium, concurrency, backups — are
marked `commits` (or use `live_server`) and start from emptied tables instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _pytest.nodeid import NodeId

from domain import catalog_cache
from models import db
from tests import factories

# Tests written before the tree import `from conftest import create_user` or `from
# browser_forms import open_form`: still found (tests/ on the path; the names re-exported), so
# that branches started before it merge green. New tests import tests.factories / tests.support.
from tests.factories import PASSWORD, create_agency, create_user, login  # noqa: E402,F401
from tests.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IN_CI,
    PG_URL,
    RESTART_SEQUENCES,
    ROOT,
    empty_tables,
    http_server,
    make_app,
    page_of,
    pg_reachable,
    reset_schema,
    shared_contexts,
)
from tests.support import empty_tables as _empty_tables  # noqa: E402,F401
from tests.support import reset_schema as _reset_schema  # noqa: E402,F401
from views import kept_pages

# make_app comes from tests.support above.
if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))


def pytest_sessionstart(session):
    # Compiled catalogues are build output (.gitignore): make sure the tests see Vietnamese.
    # Once, by the main process (xdist workers would write the same files at once).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(ROOT / "translations"),
        ],
        check=True,
    )


# The longest tests first (pytest-xdist hands tests out in this order: a long one started last
# would leave the other workers idle at the end), within each database backend (switching the
# backend rebuilds the schema).
SLOW_FIRST = (
    "tests/generic/test_fuzz_routes.py",
    "tests/seed/",
    "tests/browser/",
    "tests/journeys/",
)
BACKENDS = ("sqlite", "postgresql")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if getattr(config.option, "loadgroup", False):  # an xdist worker under --dist loadgroup
        _grouped(items)
    _on_one_database(config, items)

    def key(item):
        backend = _backend(item)
        rank = BACKENDS.index(backend) if backend in BACKENDS else len(BACKENDS)
        path = item.nodeid
        slow = next(
            (n for n, prefix in enumerate(SLOW_FIRST) if path.startswith(prefix)), len(SLOW_FIRST)
        )
        return rank, slow

    items.sort(key=key)  # stable: the order within a module stays


def _backend(item) -> str | None:
    """The database backend a test runs on (its `database_url` parameter), if any."""
    return getattr(getattr(item, "callspec", None), "params", {}).get("database_url")


ONE_DATABASE = "postgresql"


def _on_one_database(config, items) -> None:
    """Tests marked `one_database` keep their PostgreSQL run only: Chromium's sweeps of every
    page (language, axe, content policy) check pages the database does not change, and cost a
    third of the browser time per backend (what each route answers, on both databases, is
    tests/generic's)."""
    kept, dropped = [], []
    for item in items:
        one = item.get_closest_marker("one_database") is not None
        (dropped if one and _backend(item) not in (None, ONE_DATABASE) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _grouped(items) -> None:
    """pytest-xdist's `xdist_group` mark, applied: xdist's worker appends `@<group>` to the
    test's id by setting `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`),
    so every test of a group went to whichever worker was free — the demo data set built on
    both workers, and again each time a worker came back to the module. Here the same suffix,
    on the id pytest 9 reads; nothing when xdist's own already took."""
    for item in items:
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if groups and "@" not in item.nodeid.rpartition("]")[2] and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session", params=list(BACKENDS))
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"  # one per xdist worker
    else:
        reason = pg_reachable()
        if reason:
            if IN_CI:
                pytest.fail(reason + " (required when CI=true)")
            pytest.skip(reason)
        url = PG_URL
    reset_schema(make_app(url))
    return url


_apps: dict = {}


def shared_app(database_url, **config):
    """One app per backend and configuration for the whole session (building Flask-Admin's
    views for every test would dominate the suite's time); the configuration is restored after
    each test."""
    key = (database_url, tuple(sorted(config.items())))
    if key not in _apps:
        _apps[key] = make_app(database_url, **config)
    return _apps[key]


@contextlib.contextmanager
def _rolled_back(app):
    """Every session of the test joins one outer transaction on one connection, rolled back at
    the end: the app's commits release SAVEPOINTs (join_transaction_mode="create_savepoint").
    On SQLite the app's own begin event (app.py) already does what pysqlite needs for
    SAVEPOINTs (isolation_level=None and an explicit BEGIN); the outer BEGIN is deferred
    (reads_only), as no other connection of the test writes."""
    from flask_sqlalchemy.session import Session

    from transactions import reads_only

    with app.app_context():
        db.session.remove()
        if app.config["SQLALCHEMY_DATABASE_URI"] in _dirty:
            empty_tables()
            _dirty.discard(app.config["SQLALCHEMY_DATABASE_URI"])
        connection = db.engine.connect()
        with reads_only():
            transaction = connection.begin()
    factory = db.session.session_factory
    saved_kw = dict(factory.kw)
    factory.kw["join_transaction_mode"] = "create_savepoint"
    saved_get_bind = Session.get_bind
    # Flask-SQLAlchemy's get_bind picks the engine: every session uses the test's connection.
    Session.get_bind = lambda self, *args, **kwargs: connection
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
        Session.get_bind = saved_get_bind
        factory.kw.clear()
        factory.kw.update(saved_kw)
        transaction.rollback()
        if connection.dialect.name == "postgresql":
            # Sequences ignore rollbacks: start them again as TRUNCATE … RESTART IDENTITY would
            # (setval is cheap, and only the sequences the test used are touched).
            connection.exec_driver_sql(RESTART_SEQUENCES)
            connection.commit()
        connection.close()


# The databases a committing test has left data in: the next test that rolls back empties
# them first (emptying right after the test could wait on connections its threads still hold).
_dirty: set = set()


@contextlib.contextmanager
def _emptied(app):
    with app.app_context():
        empty_tables()
    _dirty.add(app.config["SQLALCHEMY_DATABASE_URI"])
    yield app


def commits(request) -> bool:
    """The test needs real commits: marked `commits`, or served to Chromium by a live server."""
    return (
        request.node.get_closest_marker("commits") is not None
        or "live_server" in request.fixturenames
    )


@contextlib.contextmanager
def fresh(app, rollback: bool):
    saved = dict(app.config)
    app.extensions.pop("motcua_dashboard", None)  # the home page's cache: another test's figures
    from views.auth import limiter

    limiter.reset()  # failed logins of earlier tests do not count
    catalog_cache.clear()  # filter options of another test's (rolled back) catalog
    kept_pages.clear()  # list pages written for another test's screens
    try:
        with _rolled_back(app) if rollback else _emptied(app):
            yield app
    finally:
        app.config.clear()
        app.config.update(saved)
        with app.app_context():
            db.session.remove()


@pytest.fixture
def app(database_url, request):
    with fresh(shared_app(database_url), rollback=not commits(request)) as app:
        yield app


@pytest.fixture
def csrf_app(database_url, request):
    """The app as in production: CSRF checks on."""
    with fresh(
        shared_app(database_url, WTF_CSRF_ENABLED=True), rollback=not commits(request)
    ) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def users(app):
    """One user per role; staff belong to agency SGTVT. Returns {role: username}."""
    with app.app_context():
        return factories.create_users()


@pytest.fixture
def login_as(client, users):
    def _login(role):
        response = factories.login(client, users[role])
        assert response.status_code == 302, response.data[:500]
        return client

    return _login


@pytest.fixture
def csrf_login_as(csrf_app):
    """login_as on the app as in production (csrf_app: CSRF checks on), with the users of
    `users`: the login form read and posted as the browser sends it, its token included.
    `csrf_login_as("admin")` returns a logged-in client; forms are then read and posted with
    tests.browser_forms.open_form (their token comes with them)."""
    with csrf_app.app_context():
        users = factories.create_users()

    def _login(role):
        client = csrf_app.test_client()
        response = factories.login_with_csrf(client, users[role])
        assert response.status_code == 302, response.data[:500]
        return client

    return _login


@pytest.fixture
def client_request(client, users):
    """`client_request("staff", "/admin/dossier/", status=200)`: log in as the role's user (or
    stay as is with None), send the request, assert the status; the response."""

    def _request(role, url, **kwargs):
        username = users[role] if role is not None else None
        return factories.client_request(client, url, username=username, **kwargs)

    return _request


@pytest.fixture
def march(app):
    """The March 2019 data set of tests/factories.py (every report figure worked by hand)."""
    with app.app_context():
        factories.build_march_data(db.session)
    return app


# ---- end-to-end: a real server and a real Chromium ------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a local port, in threads (the `app` fixture commits for
    real when a test uses it: the server's threads use their own connections). The port is the
    process's for the whole session (tests.support.http_server); a test's browser storage of it is
    emptied after the test (tests.support.page_of)."""
    app.config["WTF_CSRF_ENABLED"] = True  # the browser goes through the real forms
    server = http_server()
    server.mounted = app
    try:
        yield server.url
    finally:
        server.mounted = None
        _close_stray_contexts()


def _close_stray_contexts():
    """Browser contexts a test opened and left open (e.g. after a failure): closed, so that
    none of their pages reaches the next test's app on the same port."""
    for browser in _browsers:
        for context in browser.contexts:
            if context not in shared_contexts():
                context.close()


_browsers: list = []


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process; each test gets its own context (cookies, storage)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} missing (required when CI=true)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _browsers.append(browser)
        yield browser
        _browsers.remove(browser)
        browser.close()


@pytest.fixture
def page(browser, request):
    with page_of(browser, request) as page:
        yield page


@pytest.fixture
def frozen_clock():
    """Stops domain.clock, the app's one clock: `frozen_clock(dt.date(2026, 11, 15))` (a date is
    its 09:00 local time, a naive datetime local time); call again to move it. The real clock is
    back after the test."""
    from domain import clock

    with contextlib.ExitStack() as stack:
        yield lambda at: stack.enter_context(clock.frozen(at))


@pytest.fixture
def session_clock(monkeypatch):
    """Moves the clock of the session cookie forward: `session_clock(minutes=31)` and the
    session signed before looks 31 minutes old (itsdangerous dates it with time.time)."""
    from itsdangerous import timed

    offset = [0]
    real = timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(timed.TimestampSigner, "get_timestamp", lambda self: real(self) + offset[0])

    def advance(minutes=0, seconds=0):
        offset[0] += int(minutes * 60 + seconds)

    return advance


@pytest.fixture
def app_with(database_url, request):
    """`app_with(TRUSTED_PROXIES=1)`: the app built with extra configuration (one per distinct
    configuration for the session), fresh as `app` is."""
    stack = contextlib.ExitStack()

    def _build(**config):
        return stack.enter_context(
            fresh(shared_app(database_url, **config), rollback=not commits(request))
        )

    yield _build
    stack.close()


@pytest.fixture
def march_with_users(app, users):
    """The March 2019 data set and the `users`, staff1 working at the data set's SGTVT (the
    `users` fixture's own agencies make way for the data set's)."""
    from models import Agency, User

    with app.app_context():
        db.session.query(User).filter(User.role == "staff").one().agencies = []
        db.session.query(Agency).delete()
        db.session.commit()
        factories.build_march_data(db.session)
        staff = db.session.query(User).filter(User.username == "staff1").one()
        staff.agencies = [db.session.query(Agency).filter_by(code="SGTVT").one()]
        db.session.commit()
    return app
