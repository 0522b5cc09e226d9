"""motcua: the app factory, its extensions and its command-line interface."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from babel import Locale
from flask import Config, Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse as parse_limit
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

import replica
import signing
import transactions
from cli import register_cli
from domain import audit, catalog_cache, month_figures, open_snapshots, report_days
from domain.calendar import WorkingHours
from domain.settings import Settings
from models import User, db
from signing import KeptSignerMixin
from views import init_views

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


def uncompiled_catalogues(directory: Path) -> list[Path]:
    """The .po catalogues without an up-to-date compiled .mo next to them."""
    stale = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


class SettingsConfig(Config):
    """app.config that keeps its Settings (domain/settings.py) in step: read once, read again
    after any change (tests change the config of a shared app, conftest restores it)."""

    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_config(self)
        return self._settings

    def _changed(self) -> None:
        self._settings = None

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def clear(self):
        super().clear()
        self._changed()

    def __ior__(self, other):
        self._changed()
        return super().__ior__(other)


# Session contents whose payload is kept (below): the scalars a login's session holds.
_PLAIN = (str, bool, int, type(None))


def _plain_items(data) -> tuple | None:
    """`data`'s items as a key (with each value's type: True is not 1), or None when a value
    is not a scalar (a list of flashed messages: mutable, not kept)."""
    items = []
    for key, value in data.items():
        if type(value) not in _PLAIN:
            return None
        items.append((key, type(value), value))
    items.sort(key=lambda item: item[0])
    return tuple(items)


class SessionSerializer(KeptSignerMixin, URLSafeTimedSerializer):
    """itsdangerous' serializer of Flask's session cookie, with the session's data turned into
    its payload (tagged JSON, compressed, base64) and back once per content, not on every
    request: the same login's session is the same few strings page after page. Only that pure
    conversion is kept; the signature (its timestamp, its HMAC) is made on every request, and
    checked on every request but for a cookie this process signed itself, which carries
    exactly the signature it was given (signing.py KeptSigner); the age is checked always."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded: dict = {}  # payload -> its data (scalars only)
        self._dumped: dict = {}  # _plain_items(data) -> its payload

    def load_payload(self, payload, serializer=None):
        if serializer is not None:
            return super().load_payload(payload, serializer)
        data = self._loaded.get(payload)
        if data is None:
            data = super().load_payload(payload)
            if not isinstance(data, dict) or _plain_items(data) is None:
                return data
            signing.keep(self._loaded, payload, data)
        return dict(data)

    def dump_payload(self, obj) -> bytes:
        key = _plain_items(obj) if isinstance(obj, dict) else None
        if key is None:
            return super().dump_payload(obj)
        payload = self._dumped.get(key)
        if payload is None:
            payload = signing.keep(self._dumped, key, super().dump_payload(obj))
        return payload


class CookieSession(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer made once per secret key (Flask
    makes one for each request's reading of the cookie and again for its writing), its
    payloads kept (SessionSerializer)."""

    _kept: tuple = (None, None)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept[0] != keys:
            kept = self._kept = (keys, self._serializer(app))
        return kept[1]

    def _serializer(self, app):
        """Flask's get_signing_serializer, with SessionSerializer."""
        if not app.secret_key:
            return None
        return SessionSerializer(
            [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def signed_data(self, app, request) -> dict | None:
        """The session cookie's data, its signature checked but not its age: whose an expired
        session was (views/idle.py). None without a cookie or with a bad signature."""
        cookie = request.cookies.get(self.get_cookie_name(app))
        serializer = self.get_signing_serializer(app)
        if not cookie or serializer is None:
            return None
        try:
            data = serializer.loads(cookie)  # no max_age
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None


class QueryArgs(ImmutableMultiDict):
    """The request's query and form: an absent key's get answers its default at once
    (werkzeug's raises a BadRequestKeyError and catches it: Flask-Admin asks for about ten
    absent arguments on every list page)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if key not in self:
            return default
        return super().get(key, default, type)


class MotcuaRequest(Request):
    parameter_storage_class = QueryArgs


class Motcua(Flask):
    config_class = SettingsConfig
    session_interface = CookieSession()
    request_class = MotcuaRequest

    @property
    def settings(self) -> Settings:
        """The app's own settings (`current_app.settings.export_max_rows`)."""
        return self.config.settings

    # Flask asks `inspect` whether each hook and view is a coroutine on every request; the
    # answer for a function does not change (none of the app's is one).
    _sync_functions: set = set()

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)
        if key in self._sync_functions:
            return func
        sync = super().ensure_sync(func)
        if sync is func:
            if len(self._sync_functions) > 4096:  # (functions made anew each time)
                self._sync_functions.clear()
            self._sync_functions.add(key)
        return sync


# Babel's Locale of each language, parsed once (Flask-Babel parses the selector's answer on
# every request unless it is a Locale already).
_LOCALES = {lang: Locale.parse(lang) for lang in LANGUAGES}


def select_locale() -> Locale:
    lang = session.get("lang")
    return _LOCALES[lang if lang in LANGUAGES else "vi"]


def create_app(config: dict | None = None) -> Motcua:
    app = Motcua(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(_default_config(instance))
    if "SECRET_KEY" not in (config or {}):
        app.config["SECRET_KEY"] = _secret_key(instance)
    if config:
        app.config.update(config)
    _derived_config(app, instance)
    settings = app.settings  # a mistyped number stops the start
    for limit in (settings.login_limit_per_user, settings.login_limit_per_address):
        parse_limit(limit)  # a mistyped limit stops the start, not every login
    WorkingHours.parse(settings.working_hours)  # mistyped hours stop the start, not an intake
    if settings.trusted_proxies:
        # The client address (audit log, login limits) is the one the outermost proxy saw.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    _init_database(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    for path in uncompiled_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])):
        # Without the .mo every screen silently falls back to the English msgids.
        app.logger.warning(
            "Translations not compiled (%s): run `pybabel compile -d "
            "translations` (or `make translations`); the UI shows English.",
            path,
        )
    _init_login(app)
    audit.install()
    report_days.install()  # the report's per-day counts, kept current at each flush
    month_figures.install()  # the dashboard's kept months, made stale at each flush
    open_snapshots.install()  # the report's kept instants (what was open), likewise
    init_views(app)
    register_cli(app)
    return app


def _default_config(instance: Path) -> dict:
    """Flask's and the extensions' keys, and the app's own settings from the environment."""
    production = os.environ.get("APP_ENV") == "production"
    return dict(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'motcua.db'}"
        ),
        # A read replica for the report, the dashboard and the exports (replica.py).
        REPORTS_DATABASE_URL=os.environ.get("REPORTS_DATABASE_URL") or None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
        ),
        SESSION_REFRESH_EACH_REQUEST=True,  # the lifetime above is an idle timeout
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
        FLASK_ADMIN_SWATCH="cerulean",
        # Browsers go HTTPS-only for a year once they have seen the site in production (TLS).
        HSTS_SECONDS=365 * 24 * 3600 if production else 0,
        RATELIMIT_STORAGE_URI=os.environ.get("REDIS_URL") or "memory://",
        RATELIMIT_STRATEGY="moving-window",  # "10 in any 15 minutes", not per clock quarter
        RATELIMIT_KEY_PREFIX="motcua",
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,  # Redis down: each process counts alone
        # The app's own settings (domain/settings.py), from the environment or their defaults.
        **Settings.config_from_environ(os.environ),
    )


def _derived_config(app: Motcua, instance: Path) -> None:
    """Keys that follow from others, once the caller's config is in."""
    if not app.config["FILES_DIR"]:  # attached files (domain/files.py): under instance/
        app.config["FILES_DIR"] = str(instance / "files")
    # A request body beyond the largest upload (plus room for the form around it) is refused
    # before it is read: the 413 page (views/errors.py), not a full disk or memory.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = (
            max(app.settings.upload_max_bytes, app.settings.import_max_bytes) + 1024 * 1024
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[13:]
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})


def _init_database(app: Motcua) -> None:
    replica.configure(app)
    db.init_app(app)
    catalog_cache.MAX_AGE = app.settings.catalog_cache_seconds
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            transactions.configure_sqlite(db.engine)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            transactions.configure_postgresql(db.engine)
    reports_engine = app.extensions.get(replica.EXTENSION)
    if reports_engine is not None and reports_engine.dialect.name == "postgresql":
        transactions.configure_postgresql(reports_engine)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )


def _init_login(app: Motcua) -> None:
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
