"""Timings of the report engine, the dashboard queries and a streamed export on many dossiers.

    .venv/bin/python bench/report.py --dossiers 1000000 [--database postgresql://.../bench]

Fills the database (schema created if missing; existing dossiers reused when there are already
enough) with synthetic dossiers spread over 2017-2020, then prints how long each query takes.
It prints numbers; it asserts nothing. Uses its own database: never point it at real data."""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from domain import dashboard, reports  # noqa: E402
from domain.calendar import WorkingCalendar  # noqa: E402
from domain.report_workbook import write_report_workbook  # noqa: E402
from domain.spreadsheets import new_workbook, safe_value  # noqa: E402
from models import Agency, Dossier, Field, Payment, Procedure, db  # noqa: E402

BATCH = 20_000


def seed(n: int) -> None:
    rnd = random.Random(42)
    cal = WorkingCalendar()
    db.session.info["skip_audit"] = True
    if not db.session.scalar(select(func.count()).select_from(Agency)):
        for a in range(17):
            agency = Agency(code=f"A{a:02}", name=f"Sở {a:02}", sort_order=a)
            db.session.add(agency)
            for f in range(3):
                field = Field(code=f"A{a:02}F{f}", name=f"Lĩnh vực {f}", agency=agency)
                db.session.add(field)
                for p in range(4):
                    db.session.add(Procedure(code=f"{a + 1}.{f}{p:05}", name=f"TTHC {a}-{f}-{p}",
                                             agency=agency, field=field,
                                             processing_days=rnd.choice((0, 3, 5, 10, 15))))
        db.session.commit()
    procs = db.session.execute(select(Procedure.id, Procedure.agency_id,
                                      Procedure.processing_days)).all()
    have = db.session.scalar(select(func.count()).select_from(Dossier))
    start = dt.datetime(2017, 1, 1)
    span = (dt.datetime(2020, 12, 31) - start).total_seconds()
    t0 = time.perf_counter()
    for first in range(have, n, BATCH):
        rows, pays = [], []
        for i in range(first, min(n, first + BATCH)):
            pid, agency_id, days = procs[rnd.randrange(len(procs))]
            accepted = start + dt.timedelta(seconds=rnd.random() * span)
            due = cal.due_date(accepted, days)
            roll = rnd.random()
            row = {"procedure_id": pid, "agency_id": agency_id, "applicant_name": f"Người {i}",
                   "channel": rnd.choices(("direct", "online", "postal"), (72, 25, 3))[0],
                   "accepted_at": accepted, "due_date": due, "status": 10,
                   "search_text": f"nguoi {i}"}
            if roll < 0.02:
                row["status"] = rnd.choice((4, 5))
            elif roll < 0.03:
                row.update(status=rnd.choice((7, 8)), closed_at=accepted + dt.timedelta(days=1))
            else:
                resolved = dt.datetime.combine(due, dt.time(15)) + dt.timedelta(
                    days=rnd.choice((-2, -1, -1, 0, 0, 0, 1)))
                row.update(resolved_at=max(resolved, accepted),
                           returned_at=max(resolved, accepted) + dt.timedelta(days=1),
                           return_channel=rnd.choices(("counter", "postal"), (90, 10))[0])
            rows.append(row)
        db.session.execute(insert(Dossier), rows)
        ids = db.session.scalars(select(Dossier.id).order_by(Dossier.id.desc())
                                 .limit(len(rows))).all()
        pays = [{"dossier_id": d, "amount_vnd": 50_000, "method": "bank_transfer",
                 "paid_at": rows[0]["accepted_at"]} for d in ids[::5]]
        db.session.execute(insert(Payment), pays)
        db.session.commit()
        print(f"  seeded {min(n, first + BATCH):,} dossiers ({time.perf_counter() - t0:.0f} s)",
              flush=True)


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
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        seed(args.dossiers)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:  # committed, or the statistics are dropped
                conn.exec_driver_sql("ANALYZE")
        total = db.session.scalar(select(func.count()).select_from(Dossier))
        print(f"{db.engine.dialect.name}: {total:,} dossiers")
        s = db.session
        year = timed("report 2019 (year)", lambda: reports.build_report(s, *reports.year_period(2019)))
        timed("report 2019-03 (month)", lambda: reports.build_report(s, *reports.month_period(2019, 3)))
        timed("report 2019 by field", lambda: reports.build_report(
            s, *reports.year_period(2019), by_field=True))
        timed("report details 2019 (workbook sheets)",
              lambda: reports.build_details(s, *reports.year_period(2019)))
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            timed("report workbook 2019", lambda: write_report_workbook(
                tmp.name, year, reports.build_details(s, *reports.year_period(2019))), repeat=1)
        today = dt.date(2020, 12, 31)
        timed("dashboard (all figures, 12 months)", lambda: dashboard.dashboard(s, today))
        timed("dashboard: received per month", lambda: dashboard.received_by_month(
            s, dashboard.add_months(today, -11), today))
        timed("dashboard: open now", lambda: dashboard.open_now(s, today))
        timed("dashboard: overdue list", lambda: dashboard.overdue_list(s, today))
        timed("dashboard, one agency", lambda: dashboard.dashboard(s, today, agency_ids=[1]))
        n = timed(f"export {args.export_rows:,} rows (yield_per, constant memory)",
                  lambda: export_rows(args.export_rows), repeat=1)
        print(f"  ({n:,} rows written)")


if __name__ == "__main__":
    main()
