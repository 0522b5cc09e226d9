"""The benchmark's databases, built once and kept: the demo year plus `flask seed scale` up to N
dossiers, through the migrations and the same seed code as the CLI.

SQLite: a file under the cache directory (BENCH_CACHE, by default bench-cache/ next to the
checkout, e.g. /work/bench-cache), named by the size and the seed's version. PostgreSQL: the
database bench_1m (bench_5m...) at BENCH_PG_URL, its version in the database's comment. The
version is a hash of the seed's sources: a change there rebuilds the data; a new migration is
applied to the kept databases (`flask db upgrade`, then ANALYZE)."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/build.py`): the app's modules
    sys.path.insert(0, str(ROOT))

# The project's modules, once the checkout is on the path (above).
from alembic.migration import MigrationContext  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from app import create_app  # noqa: E402
from domain import report_days, sql  # noqa: E402
from models import Dossier, db  # noqa: E402
from seed.common import analyze  # noqa: E402
from seed.demo import load_demo  # noqa: E402
from seed.scale import generate  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# The app as the bench runs it: logs in without a browser (no CSRF token), no login limit,
# exports as long as the measure asks.
BENCH_SETTINGS = {
    "SECRET_KEY": "bench",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "EXPORT_MAX_ROWS": 1_000_000,
}


def cache_dir() -> Path:
    path = Path(os.environ.get("BENCH_CACHE") or ROOT.parent / "bench-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def seed_version(count: int) -> str:
    digest = hashlib.sha256(str(count).encode())
    for path in sorted(ROOT.glob("seed/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def size_name(count: int) -> str:
    return f"{count // 1_000_000}m" if count % 1_000_000 == 0 else str(count)


def sqlite_url(count: int) -> str:
    return f"sqlite:///{cache_dir() / f'motcua-{size_name(count)}-{seed_version(count)}.db'}"


def pg_url(count: int) -> str:
    base = os.environ.get("BENCH_PG_URL") or f"{PG_SERVER}/bench_{size_name(count)}"
    return base


def bench_app(url: str):
    """The project's app over the database at `url`, with the bench's settings."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, **BENCH_SETTINGS})


def pg_reachable(url: str) -> bool:
    try:
        sql.create_database(url)  # a new machine: the server answers, the database is made
        with create_engine(url).connect():
            return True
    except Exception:  # noqa: BLE001 - no server, no database: SQLite only
        return False


def _pg_version(engine) -> str | None:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        ).scalar()


def build(url: str, count: int, log=print) -> str:
    """The database at `url` with `count` dossiers of the current seed version (built if it is
    missing or of another version); returns its URL."""
    version = f"motcua-seed {seed_version(count)}"
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists():
            _upgrade(url)
            return url
        tmp = path.with_suffix(".building")
        for old in path.parent.glob(f"{tmp.name}*"):
            old.unlink()
        for old in path.parent.glob(f"motcua-{size_name(count)}-*.db*"):
            old.unlink()  # an older version
        _load(f"sqlite:///{tmp}", count, log)
        tmp.rename(path)
        return url
    engine = create_engine(url)
    if _pg_version(engine) == version:
        _upgrade(url)
        _vacuum(engine)
        return url
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    _load(url, count, log)
    with engine.begin() as conn:
        name = conn.exec_driver_sql("SELECT current_database()").scalar()
        conn.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{version}'")
    _vacuum(engine)
    return url


def _vacuum(engine) -> None:
    """PostgreSQL: VACUUM (ANALYZE) once after the load, as autovacuum does on a production
    server soon after a bulk load (the local server runs with autovacuum off). Without it no
    page is marked all-visible, and the covering indexes (migration 0019) never give index-only
    scans. Only tables never vacuumed: a kept database is done once."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        never = (
            conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables"
                " WHERE last_vacuum IS NULL AND last_autovacuum IS NULL AND n_live_tup > 0"
            )
            .scalars()
            .all()
        )
        if never:
            conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in never))


def _upgrade(url: str) -> None:
    """Migrations that came after the data was built; ANALYZE when there were any."""
    app = bench_app(url)
    with app.app_context():
        with db.engine.connect() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
        upgrade()
        with db.engine.connect() as conn:
            after = MigrationContext.configure(conn).get_current_revision()
        if after != before:
            analyze(db.session)
        db.session.remove()
        db.engine.dispose()


def _load(url: str, count: int, log) -> None:
    app = bench_app(url)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        load_demo(db.session)
        db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Dossier))
        cpu, load = time.process_time(), os.getloadavg()[0]
        stats = generate(
            db.session,
            count - have,
            app.settings.receiving_unit_code,
            files_dir=cache_dir() / "files",
        )
        # The seed's bulk inserts go past the flush hook of the report's per-day counts.
        report_days.rebuild(db.session)
        db.session.commit()
        log(
            f"  {db.engine.dialect.name}: demo + {stats['dossiers']:,} dossiers"
            f" ({stats['rows']:,} rows) in {time.perf_counter() - started:.0f} s wall,"
            f" seed {stats['seconds']:.0f} s wall / {time.process_time() - cpu:.0f} s CPU"
            f" (this process; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)"
        )
        db.engine.dispose()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(build(sqlite_url(n), n))
    if pg_reachable(pg_url(n)):
        print(build(pg_url(n), n))
