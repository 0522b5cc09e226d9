"""The test infrastructure shared by tests/conftest.py and the tests that build their own app
(no test data here: that is tests/factories.py). One PostgreSQL database and one SQLite file per
pytest-xdist worker, so that workers never share a schema."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import make_url, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import db  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
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


def ensure_pg_database(url: str) -> None:
    """CREATE DATABASE for a worker's database when it is missing (connected to the server's
    maintenance database `postgres`)."""
    import psycopg

    target = make_url(url)
    admin = target.set(database="postgres", drivername="postgresql")
    with psycopg.connect(
        admin.render_as_string(hide_password=False), connect_timeout=3, autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{target.database}"')


def pg_reachable(url: str = PG_URL) -> str | None:
    """None when PostgreSQL answers at `url` (a worker's database is created first), else why."""
    try:
        import psycopg

        if url != BASE_PG_URL:
            ensure_pg_database(url)
        # psycopg takes a libpq URL: without SQLAlchemy's "+psycopg" driver name.
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, connect_timeout=3):
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


def empty_tables() -> None:
    """Every table emptied and committed: for the tests whose data must really be committed
    (other connections, threads, processes see it); the others roll back (tests/conftest.py)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()
