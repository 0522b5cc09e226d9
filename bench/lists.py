"""Timings of the big lists (issue 16): page 1 and a deep page by key, indexed search, the
agency + rare status filter, with the SQL statements each page sends.

    .venv/bin/python bench/lists.py --database URL [--repeat 7] [--upgrade]

Runs against a database already filled (bench/run.py or `flask seed demo` + `flask seed
scale`); --upgrade first applies the migrations (the search index of migration 0014: on a
million dossiers that takes minutes once). Each measure runs --repeat times, the measures
interleaved round by round; it prints the median, the spread (min–max) and the ratios the
issue asks for. It asserts nothing."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from app import create_app  # noqa: E402
from models import Dossier, db  # noqa: E402

PAGE = 50


def cursor_at(offset: int, agency_id: int | None = None) -> str:
    """The cursor of the row at `offset` in the default order (newest first): what the next
    link of page offset / PAGE carries."""
    query = select(Dossier.id, Dossier.accepted_at).order_by(
        Dossier.accepted_at.desc(), Dossier.id.desc()
    )
    if agency_id is not None:
        query = query.where(Dossier.agency_id == agency_id)
    row = db.session.execute(query.offset(offset).limit(1)).one()
    return f"{row.id}_{row.accepted_at.isoformat()}" if row.accepted_at else str(row.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--upgrade", action="store_true")
    args = parser.parse_args()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        if args.upgrade:
            t0 = time.perf_counter()
            upgrade(directory=str(ROOT / "migrations"))
            print(f"migrations applied in {time.perf_counter() - t0:.0f} s")
        case = _pick_case()
        engine = db.engine
    print(
        f"{engine.dialect.name}: {case['total']:,} dossiers; busiest agency {case['agency_id']} "
        f"({case['agency_rows']:,}), its rarest status {case['rare_status']}"
        f" ({case['rare_rows']:,} rows)"
    )
    times, cpu, statements = _measure(engine, _measures(app, case), args.repeat)
    _print(times, cpu, statements)


def _pick_case() -> dict:
    """What the pages ask for, chosen from the data: the busiest agency and its rarest status,
    the cursors of the deep pages, an ID number that is there."""
    total = db.session.scalar(select(func.count()).select_from(Dossier))
    agency_id, agency_rows = db.session.execute(
        select(Dossier.agency_id, func.count())
        .group_by(Dossier.agency_id)
        .order_by(func.count().desc())
        .limit(1)
    ).one()
    rare_status, rare_rows = db.session.execute(
        select(Dossier.status, func.count())
        .where(Dossier.agency_id == agency_id)
        .group_by(Dossier.status)
        .order_by(func.count())
        .limit(1)
    ).one()
    case = {
        "total": total,
        "agency_id": agency_id,
        "agency_rows": agency_rows,
        "rare_status": rare_status,
        "rare_rows": rare_rows,
        "deep": cursor_at(PAGE * 999 - 1),  # the row before ?page=999 (page 1000)
        "staff_deep": cursor_at(min(PAGE * 1000, agency_rows - PAGE) - 1, agency_id),
        "some": db.session.scalar(
            select(Dossier.id_number).where(Dossier.id_number.is_not(None)).limit(1)
        ),
    }
    db.session.rollback()
    return case


def _measures(app, case: dict) -> list:
    """(label, client, url) of each page measured, as the demo's manager or staff member."""
    manager, staff = app.test_client(), app.test_client()
    manager.post("/login", data={"username": "lanhdao", "password": "demo1234"})
    staff.post("/login", data={"username": "canbo", "password": "demo1234"})
    flt = f"flt0_0={case['agency_id']}&flt1_3={case['rare_status']}"
    return [
        ("list page 1", manager, "/dossier/"),
        ("list page 1000 (by key)", manager, f"/dossier/?page=999&after={case['deep']}"),
        ("staff list page 1", staff, "/dossier/"),
        ("staff deep page (by key)", staff, f"/dossier/?page=999&after={case['staff_deep']}"),
        ("search, one match (ID number)", manager, f"/dossier/?search={case['some']}"),
        ("search, no match", manager, "/dossier/?search=khong+ai+ten+nay"),
        ("search, no match (one word)", manager, "/dossier/?search=qxzqxz"),
        ("agency + rare status filter", manager, f"/dossier/?{flt}"),
        ("due list", manager, "/dossier_due/"),
        ("payments page 1", manager, "/payment/"),
        ("audit log page 1", manager, "/audit_log/"),
    ]


def _measure(engine, measures: list, repeat: int):
    """Each page `repeat` + 1 times, interleaved round by round: ({label: wall times}, {label:
    CPU times}, {label: (SELECTs, the other statements)})."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in measures}
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in measures}
    statements: dict[str, tuple] = {}
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    for _ in range(repeat + 1):  # the first round warms caches and is not kept
        for label, client, url in measures:
            seen.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = time.perf_counter() - t0
            cpu[label].append(time.process_time() - c0)
            assert response.status_code == 200, (url, response.status_code)
            times[label].append(elapsed)
            # SELECTs, and the others (BEGIN; PRAGMA busy_timeout on SQLite not counted)
            kinds = [s.lstrip().split(None, 1)[0].upper() for s in seen]
            statements[label] = (
                kinds.count("SELECT"),
                ",".join(k for k in kinds if k not in ("SELECT", "PRAGMA")) or "-",
            )
    return times, cpu, statements


def _print(times, cpu, statements) -> None:
    # CPU: this process's (Python and, on SQLite, the database engine in it): on a shared,
    # loaded machine a steadier figure than the wall time.
    print(f"{'measure':34} {'median':>9} {'spread':>17} {'CPU':>9} SELECTs, other SQL")
    medians = {}
    for label, values in times.items():
        kept = values[1:]
        medians[label] = statistics.median(kept)
        print(
            f"{label:34} {medians[label] * 1000:7.1f} ms "
            f"{min(kept) * 1000:7.1f}–{max(kept) * 1000:7.1f} ms "
            f"{statistics.median(cpu[label][1:]) * 1000:6.1f} ms "
            f"{statements[label][0]:4}  {statements[label][1]}"
        )
    cpus = {label: statistics.median(values[1:]) for label, values in cpu.items()}
    print(f"page 1000 ÷ page 1: {medians['list page 1000 (by key)'] / medians['list page 1']:.2f}")
    print(f"  (CPU: {cpus['list page 1000 (by key)'] / cpus['list page 1']:.2f})")
    print(
        f"staff deep ÷ page 1: {medians['staff deep page (by key)'] / medians['staff list page 1']:.2f}"
    )


if __name__ == "__main__":
    main()
