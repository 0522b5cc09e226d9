"""Fixtures in the style of Flask's tutorial: `app` and `client`, on SQLite and PostgreSQL.

Every test that uses `app` runs once per database backend. PostgreSQL comes from TEST_PG_URL
(default: the local server's `test` database); when it is not reachable its tests are skipped
with the reason shown, except under CI=true, where they fail.
"""
from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import Agency, User, db  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
PASSWORD = "correct horse 42"


def pytest_sessionstart(session):
    # Compiled catalogues are build output (.gitignore): make sure the tests see Vietnamese.
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
                    str(ROOT / "translations")], check=True)


def _pg_reachable() -> str | None:
    try:
        import psycopg
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"


def _reset_schema(app) -> None:
    """Drop everything and build the schema with the migrations, as `flask db upgrade` does."""
    from flask_migrate import upgrade
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


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


def make_app(database_url: str, **config):
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False}
    settings.update(config)
    return create_app(settings)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        reason = _pg_reachable()
        if reason:
            if IN_CI:
                pytest.fail(reason + " (required when CI=true)")
            pytest.skip(reason)
        url = PG_URL
    _reset_schema(make_app(url))
    return url


_apps: dict = {}


def _shared_app(database_url, **config):
    """One app per backend and configuration for the whole session (building Flask-Admin's
    views for every test would dominate the suite's time); each test starts from empty tables
    and the configuration is restored after it."""
    key = (database_url, tuple(sorted(config.items())))
    if key not in _apps:
        _apps[key] = make_app(database_url, **config)
    return _apps[key]


@contextlib.contextmanager
def _fresh(app):
    saved = dict(app.config)
    app.extensions.pop("motcua_dashboard", None)  # the home page's cache: another test's figures
    with app.app_context():
        _empty_tables()
    from views.auth import limiter
    limiter.reset()  # failed logins of earlier tests do not count
    try:
        yield app
    finally:
        app.config.clear()
        app.config.update(saved)
        with app.app_context():
            db.session.remove()


@pytest.fixture
def app(database_url):
    with _fresh(_shared_app(database_url)) as app:
        yield app


@pytest.fixture
def csrf_app(database_url):
    """The app as in production: CSRF checks on."""
    with _fresh(_shared_app(database_url, WTF_CSRF_ENABLED=True)) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    with app.app_context():
        yield db.session


def create_agency(code="SGTVT", name="Sở Giao thông vận tải", **kw) -> Agency:
    agency = Agency(code=code, name=name, short_name=kw.pop("short_name", name),
                    kind=kw.pop("kind", "department"), **kw)
    db.session.add(agency)
    db.session.flush()
    return agency


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    probe = User()
    probe.set_password(PASSWORD)
    return probe.password_hash


def create_user(username, role, agencies=(), password=PASSWORD) -> User:
    user = User(username=username, role=role, full_name=username.title(),
                agencies=list(agencies))
    if password == PASSWORD:
        user.password_hash = _password_hash()  # scrypt is slow by design: hash it once
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def users(app):
    """One user per role; staff belong to agency SGTVT. Returns {role: username}."""
    with app.app_context():
        agency = create_agency()
        create_agency(code="STP", name="Sở Tư pháp")
        create_user("admin1", "admin")
        create_user("staff1", "staff", [agency])
        create_user("manager1", "manager")
        db.session.commit()
    return {"admin": "admin1", "staff": "staff1", "manager": "manager1"}


@pytest.fixture
def login_as(client, users):
    def _login(role):
        response = login(client, users[role])
        assert response.status_code == 302, response.data[:500]
        return client
    return _login


# ---- end-to-end: a real server and a real Chromium ------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free local port, in a thread."""
    from werkzeug.serving import make_server
    app.config["WTF_CSRF_ENABLED"] = True  # the browser goes through the real forms
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} missing (required when CI=true)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


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
    monkeypatch.setattr(timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) + offset[0])

    def advance(minutes=0, seconds=0):
        offset[0] += int(minutes * 60 + seconds)
    return advance
