"""motcua: the app factory, its extensions and its command-line interface."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import secrets
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from limits import parse as parse_limit
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from models import User, db

ROOT = Path(__file__).resolve().parent
LANGUAGES = ("vi", "en")

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment; for local use, generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if os.environ.get("APP_ENV") == "production":
        raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Created owner-only from the start: never readable by others, not even for a moment.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


# Requests that only read: on SQLite they run as deferred transactions and never wait for a writer.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CLI_BUSY_TIMEOUT_MS = 30000
_sqlite_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("sqlite_mode",
                                                                         default=None)


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
    reading = has_request_context() and request.method in READ_METHODS
    if not reading or session.get_bind().dialect.name != "sqlite":
        session.commit()
        return True
    session.connection().exec_driver_sql("PRAGMA busy_timeout=0")  # until the next BEGIN
    try:
        session.commit()
    except OperationalError as exc:
        from views.errors import database_busy
        if not database_busy(exc):
            raise
        session.rollback()
        return False
    return True


def _sqlite_transaction() -> tuple[bool, int]:
    """(takes the write lock up front, busy timeout in ms) for a transaction starting now."""
    mode = _sqlite_mode.get()
    if has_request_context():
        writing = request.method not in READ_METHODS if mode is None else mode == "write"
        return writing, int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))
    return mode != "read", CLI_BUSY_TIMEOUT_MS


def _configure_sqlite(engine: Engine) -> None:
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

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        writes, timeout_ms = _sqlite_transaction()
        connection.exec_driver_sql(f"PRAGMA busy_timeout={timeout_ms}")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def uncompiled_catalogues(directory: Path) -> list[Path]:
    """The .po catalogues without an up-to-date compiled .mo next to them."""
    stale = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def select_locale() -> str:
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return "vi"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'motcua.db'}"),
        RECEIVING_UNIT_CODE=os.environ.get("RECEIVING_UNIT_CODE", "000.00.20.H37"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("APP_ENV") == "production",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))),
        SESSION_REFRESH_EACH_REQUEST=True,  # the lifetime above is an idle timeout
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
        EXPORT_MAX_ROWS=int(os.environ.get("EXPORT_MAX_ROWS", "200000")),
        REPORTING_UNIT_NAME=os.environ.get("REPORTING_UNIT_NAME",
                                           "Trung tâm Phục vụ hành chính công"),
        # Attached files (domain/files.py): where they are kept, and the largest one taken.
        FILES_DIR=os.environ.get("FILES_DIR", str(instance / "files")),
        UPLOAD_MAX_BYTES=int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))),
        IMPORT_MAX_BYTES=int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024))),
        IMPORT_MAX_ROWS=int(os.environ.get("IMPORT_MAX_ROWS", "100000")),
        FLASK_ADMIN_SWATCH="cerulean",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed: the
        # client address (audit log, login limits) is the one the outermost of them saw.
        TRUSTED_PROXIES=int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Browsers go HTTPS-only for a year once they have seen the site in production (TLS).
        HSTS_SECONDS=365 * 24 * 3600 if os.environ.get("APP_ENV") == "production" else 0,
        # Failed logins allowed per username and per client address (views/auth.py); one
        # address may be a whole center behind NAT, hence its higher number.
        LOGIN_LIMIT_PER_USER=os.environ.get("LOGIN_LIMIT_PER_USER", "10 per 15 minutes"),
        LOGIN_LIMIT_PER_ADDRESS=os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "50 per 15 minutes"),
        RATELIMIT_STORAGE_URI=os.environ.get("REDIS_URL") or "memory://",
        RATELIMIT_STRATEGY="moving-window",  # "10 in any 15 minutes", not per clock quarter
        RATELIMIT_KEY_PREFIX="motcua",
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,  # Redis down: each process counts alone
        # Tickets one ticket kiosk prints per minute at most (views/queue.py): a child at the
        # touch screen cannot empty the paper roll.
        QUEUE_TICKETS_PER_MINUTE=int(os.environ.get("QUEUE_TICKETS_PER_MINUTE", "20")),
        # How long a ticket kiosk or hall display stays started (an admin ends it earlier).
        QUEUE_DEVICE_DAYS=float(os.environ.get("QUEUE_DEVICE_DAYS", "365")),
        # SQLite: how long a web request waits for the write lock before the "busy" page.
        SQLITE_BUSY_TIMEOUT_MS=int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000")),
    )
    if "SECRET_KEY" not in (config or {}):
        app.config["SECRET_KEY"] = _secret_key(instance)
    if config:
        app.config.update(config)
    # A request body beyond the largest upload (plus room for the form around it) is refused
    # before it is read: the 413 page (views/errors.py), not a full disk or memory.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = max(int(app.config["UPLOAD_MAX_BYTES"]),
                                               int(app.config["IMPORT_MAX_BYTES"])) + 1024 * 1024
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        uri = app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[13:]
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})

    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    for path in uncompiled_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])):
        # Without the .mo every screen silently falls back to the English msgids.
        app.logger.warning("Translations not compiled (%s): run `pybabel compile -d "
                           "translations` (or `make translations`); the UI shows English.", path)
    for key in ("LOGIN_LIMIT_PER_USER", "LOGIN_LIMIT_PER_ADDRESS"):
        parse_limit(app.config[key])  # a mistyped limit stops the start, not every login
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        # "<id>:<token>" (User.get_id): only a login still open on the server (UserSession).
        return User.from_session(user_id)

    @app.before_request
    def _record_actor():
        # Read by the audit hook (domain/audit.py) to say who changed what, from where.
        user_id = current_user.id if current_user.is_authenticated else None
        db.session.info["actor"] = (user_id, request.remote_addr)

    from views import init_views
    init_views(app)

    from cli import register_cli
    register_cli(app)
    return app
