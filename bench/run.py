"""Timings of the report engine, the dashboard queries and a streamed export on many dossiers.

    make bench    (or: .venv/bin/python bench/run.py --dossiers 1000000 [--database URL])

Fills the database (schema created if missing) with the demo year and synthetic dossiers up to
--dossiers (existing ones are reused), then prints how long each query and page takes.
It prints numbers; it asserts nothing. Uses its own database: never point it at real data."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import current_app  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from domain import dashboard, periods, reports  # noqa: E402
from domain.report_workbook import write_report_workbook  # noqa: E402
from domain.spreadsheets import new_workbook, safe_value  # noqa: E402
from models import Dossier, Procedure, db  # noqa: E402
from seed import database_is_empty  # noqa: E402
from seed.demo import load_demo  # noqa: E402
from seed.scale import generate  # noqa: E402


def seed(n: int) -> None:
    """The demo year (catalog, users, 2019) plus synthetic dossiers up to n, through the same
    code as `flask seed demo` and `flask seed scale`."""
    if database_is_empty():
        load_demo(db.session)
        db.session.commit()
    have = db.session.scalar(select(func.count()).select_from(Dossier))
    if have < n:
        t0 = time.perf_counter()
        generate(db.session, n - have, current_app.settings.receiving_unit_code)
        print(f"  seeded {n - have:,} dossiers in {time.perf_counter() - t0:.0f} s", flush=True)


def http_pages(app) -> None:
    """The screens a manager and a clerk open every day, through the whole Flask stack."""
    client = app.test_client()
    client.post("/login", data={"username": "lanhdao", "password": "demo1234"})
    code = db.session.scalar(select(Procedure.code).order_by(Procedure.code).limit(1))
    for label, url in (
        ("page: dossier list (newest first)", "/dossier/"),
        ("page: dossier search by applicant", "/dossier/?search=nguyen+van"),
        ("page: dossier search, rare name (count scans)", "/dossier/?search=khong+ai+ten+nay"),
        ("page: dossier search by procedure code", f"/dossier/?search={code}"),
        ("page: overdue and nearly due", "/dossier_due/"),
        ("page: payments", "/payment/"),
        ("page: dashboard", "/"),
    ):
        timed(label, lambda url=url: _ok(client.get(url)))


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response


def timed(label: str, fn, repeat: int = 3):
    best, result = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:55} {best * 1000:9.1f} ms")
    return result


def export_rows(limit: int) -> int:
    """The export path without HTTP: yield_per batches into a constant-memory workbook."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        wb = new_workbook(tmp.name, constant_memory=True)
        ws = wb.add_worksheet()
        q = db.session.query(Dossier).order_by(Dossier.accepted_at.desc(), Dossier.id).limit(limit)
        row = 0
        for d in q.yield_per(1000):
            ws.write_string(row, 0, d.code or "")
            ws.write_string(row, 1, safe_value(d.applicant_name))
            ws.write_datetime(row, 2, d.accepted_at)
            ws.write_number(row, 3, d.status)
            row += 1
        wb.close()
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=200_000)
    parser.add_argument("--database", default=f"sqlite:///{tempfile.gettempdir()}/motcua-bench.db")
    parser.add_argument("--export-rows", type=int, default=100_000)
    args = parser.parse_args()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )  # the bench logs in without a browser
    with app.app_context():
        db.create_all()
        seed(args.dossiers)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:  # committed, or the statistics are dropped
                conn.exec_driver_sql("ANALYZE")
        total = db.session.scalar(select(func.count()).select_from(Dossier))
        print(f"{db.engine.dialect.name}: {total:,} dossiers")
        s = db.session
        year = timed(
            "report 2019 (year)", lambda: reports.build_report(s, *reports.year_period(2019))
        )
        timed(
            "report 2019-03 (month)",
            lambda: reports.build_report(s, *reports.month_period(2019, 3)),
        )
        timed(
            "report 2019 by field",
            lambda: reports.build_report(s, *reports.year_period(2019), by_field=True),
        )
        timed(
            "report details 2019 (workbook sheets)",
            lambda: reports.build_details(s, *reports.year_period(2019)),
        )
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            timed(
                "report workbook 2019",
                lambda: write_report_workbook(
                    tmp.name, year, reports.build_details(s, *reports.year_period(2019))
                ),
                repeat=1,
            )
        today = dt.date(2020, 12, 31)
        timed("dashboard (all figures, 12 months)", lambda: dashboard.dashboard(s, today))
        timed(
            "dashboard: received per month",
            lambda: dashboard.received_by_month(s, periods.add_months(today, -11), today),
        )
        timed("dashboard: open now", lambda: dashboard.open_now(s, today))
        timed("dashboard: overdue list", lambda: dashboard.overdue_list(s, today))
        timed("dashboard, one agency", lambda: dashboard.dashboard(s, today, agency_ids=[1]))
        http_pages(app)
        n = timed(
            f"export {args.export_rows:,} rows (yield_per, constant memory)",
            lambda: export_rows(args.export_rows),
            repeat=1,
        )
        print(f"  ({n:,} rows written)")


if __name__ == "__main__":
    main()
