"""The benchmark of issue 16: the project's pages, a stock Flask-Admin ModelView(Dossier) on the
same tables, and a hand-written SQL floor per report, measured in one run, interleaved.

    make bench          (or: .venv/bin/python bench/run.py [--dossiers 1000000] [--repeat 5])

The databases are built once and kept (bench/build.py: BENCH_CACHE, bench_1m on PostgreSQL when
reachable at BENCH_PG_URL). Each repetition runs every measure once, in the same order, so that a
change in the machine's load hits all of them alike; a measure's figure is the median of the
repetitions and its spread the lowest and highest. The export runs in a child process (its peak
RSS is the export's own). Results are printed and written to bench/RESULTS.md with the machine
and its load average. It asserts nothing: timings live here, not in the tests."""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from bench import build, load  # noqa: E402
from bench.build import bench_app  # noqa: E402
from bench.lists import PAGE as PAGE_SIZE  # noqa: E402
from bench.lists import cursor_at  # noqa: E402
from bench.stock import StockDossierView, stock_app  # noqa: E402
from domain import (  # noqa: E402
    catalog_cache,
    clock,
    dashboard,
    month_figures,
    open_snapshots,
    periods,
    reports,
)
from domain.spreadsheets import new_workbook  # noqa: E402
from models import Agency, Dossier, Procedure, db  # noqa: E402
from transactions import reads_only, write_aside  # noqa: E402

NO_MATCH = "khong ai ten nay"
STOCK_PAGE_SIZE = StockDossierView.page_size
COLD_LIST = "list page 1, filter choices read again (once a minute)"
# The name on the dossiers the intake measure adds (kept out of "the data's last day").
BENCH_APPLICANT = "Nguyễn Văn Bench"
# What --only may name: the list pages, the reports, the dashboard, one intake (CPU and SQL
# statements), the export (child processes), the intake throughput (gunicorn + load generator).
GROUPS = ("lists", "reports", "dashboard", "intake", "export", "throughput")


class Counter:
    """SQL statements sent through an engine (a page's count: transaction control and PRAGMAs
    apart), and the first words of those that write or take the write lock (INSERT, UPDATE,
    BEGIN IMMEDIATE...: a list page should send none)."""

    CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE", "SET", "SHOW")
    READS = ("SELECT", "WITH", "EXPLAIN", "VALUES")

    def __init__(self, engine):
        self.n = 0
        self.writes: list[str] = []
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args):
        words = statement.split()[:2]
        first = words[0].upper() if words else ""
        if first == "BEGIN" and len(words) > 1 and words[1].upper() != "DEFERRED":
            self.writes.append(" ".join(words).upper())  # BEGIN IMMEDIATE / EXCLUSIVE
        elif first not in self.CONTROL:
            self.n += 1
            if first not in self.READS:
                self.writes.append(first)

    def mark(self) -> tuple[int, int]:
        return self.n, len(self.writes)

    def since(self, mark: tuple[int, int]):
        """The statements sent since `mark`: their number, with the writing ones named."""
        n, writes = self.n - mark[0], self.writes[mark[1] :]
        return f"{n} ({len(writes)} writing: {', '.join(sorted(set(writes)))})" if writes else n


# ---- what is measured ---------------------------------------------------------------------------


def period_cases(year: int):
    return (
        (f"report year {year}", reports.year_period(year)),
        (f"report quarter {year}-Q2", reports.quarter_period(year, 2)),
        (f"report month {year}-03", reports.month_period(year, 3)),
    )


FLOOR_SQL = """
SELECT agency_id,
  SUM(CASE WHEN accepted_at >= :start AND accepted_at < :end THEN 1 ELSE 0 END),
  SUM(CASE WHEN resolved_at >= :start AND resolved_at < :end AND due_date >= {day}
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN resolved_at >= :start AND resolved_at < :end AND due_date < {day}
      THEN 1 ELSE 0 END)
FROM dossier
WHERE (accepted_at >= :start AND accepted_at < :end)
   OR (resolved_at >= :start AND resolved_at < :end)
GROUP BY agency_id
"""

# SQLite does not read an OR of two ranges by its two indexes (it scans the table): the same
# figures from the two ranges, one after the other.
FLOOR_SQL_SQLITE = """
SELECT agency_id, SUM(received), SUM(on_time), SUM(late) FROM (
  SELECT agency_id, 1 AS received,
    CASE WHEN resolved_at >= :start AND resolved_at < :end AND due_date >= {day}
      THEN 1 ELSE 0 END AS on_time,
    CASE WHEN resolved_at >= :start AND resolved_at < :end AND due_date < {day}
      THEN 1 ELSE 0 END AS late
  FROM dossier WHERE accepted_at >= :start AND accepted_at < :end
  UNION ALL
  SELECT agency_id, 0,
    CASE WHEN due_date >= {day} THEN 1 ELSE 0 END,
    CASE WHEN due_date < {day} THEN 1 ELSE 0 END
  FROM dossier WHERE resolved_at >= :start AND resolved_at < :end
    AND (accepted_at IS NULL OR accepted_at < :start OR accepted_at >= :end)
) AS period GROUP BY agency_id
"""


def floor_query(dialect: str, start, end):
    """The hand-written floor of a report: one GROUP BY over the dossiers accepted or resolved in
    the period (two bounded index ranges: PostgreSQL ORs its two bitmaps, SQLite reads them as
    a UNION ALL), counting received, on time and late per agency."""
    if dialect == "sqlite":
        sql, day = FLOOR_SQL_SQLITE, "date(resolved_at)"
    else:
        sql, day = FLOOR_SQL, "CAST(resolved_at AS DATE)"
    return text(sql.format(day=day)), {
        "start": dt.datetime.combine(start, dt.time()),
        "end": dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
    }


class Target:
    """One database: the project's app, the stock app, and the measures over them."""

    def __init__(self, url: str, export_rows: int):
        self.url = url
        self.export_rows = export_rows
        self.cpu: list[float] = []  # CPU seconds of each intake
        self.app = bench_app(url)
        self.stock = stock_app(url)
        with self.app.app_context():
            self.dialect = db.engine.dialect.name
            self.counter = Counter(db.engine)
            self.client = self.app.test_client()
            r = self.client.post("/login", data={"username": "admin", "password": "demo1234"})
            assert r.status_code in (302, 303), r.status_code
            self._pick_cases()
        with self.stock.app_context():
            self.stock_counter = Counter(db.engine)
        self.stock_client = self.stock.test_client()

    def _pick_cases(self):
        """Values for the search and filter pages, chosen from the data."""
        s = db.session
        self.total = s.scalar(select(func.count()).select_from(Dossier))
        # The seeded data's last day: the bench's "today" (domain/clock frozen there during
        # each measure), so that the dashboard shows the window a manager sees on a working
        # day, and the intake's dossiers join that day. The dossiers the bench's own intakes
        # added (the intake measure, the throughput load: thousands a run) are left out, read
        # once here by a scan of the table (set-up, not measured).
        last = s.scalar(
            select(func.max(Dossier.accepted_at)).where(
                Dossier.applicant_name.notin_((BENCH_APPLICANT, load.APPLICANT))
            )
        )
        self.now = dt.datetime.combine(last.date(), dt.time(15, 30))
        self.last_year = self.now.year
        # Page 1000 of the project's list, reached by "next": the cursor its link carries.
        self.deep_cursor = cursor_at(PAGE_SIZE * 999 - 1)
        mid = s.scalar(select(Dossier.id).order_by(Dossier.id).offset(self.total // 2).limit(1))
        self.few = s.scalar(select(Dossier.id_number).where(Dossier.id == mid))
        # The biggest agency and its rarest status with dozens of dossiers.
        agency = s.execute(
            select(Dossier.agency_id, func.count())
            .group_by(Dossier.agency_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()[0]
        counts = s.execute(
            select(Dossier.status, func.count())
            .where(Dossier.agency_id == agency)
            .group_by(Dossier.status)
            .order_by(func.count())
        ).all()
        status, n = next(((st, n) for st, n in counts if n >= 20), counts[0])
        self.agency, self.status, self.rare_rows = agency, status, n
        self.agency_name = s.scalar(select(Agency.name).where(Agency.id == agency))
        s.rollback()

    # ---- pages ----

    def _args(self, view, column: str, operation: str | None = None) -> str:
        """flt0_<n>: the filter of `view` on `column` (and operation)."""
        for arg, (_, flt) in view._filter_args.items():
            if str(getattr(flt, "column", "")).endswith(column) and (
                operation is None or str(flt.operation()) == operation
            ):
                return arg
        raise LookupError(column)

    def pages(self):
        """(name, project URL, stock URL)."""
        project = self.app.extensions["admin"][0]._views
        view = next(v for v in project if v.endpoint == "dossier")
        stock_view = self.stock.extensions["admin"][0]._views[-1]
        agency = self._args(view, "agency_id")
        status = self._args(view, "status")
        s_agency = self._args(stock_view, "name")
        s_status = self._args(stock_view, "status", "equals")
        return (
            # The lists keep their filter choices (agencies, procedures) for
            # catalog_cache_seconds (60 s): the first page after that reads them again (two
            # statements more). Measured first in each repetition (a repetition lasts more than
            # a minute), it leaves them kept for the pages below, as for a user who opens a
            # list within a minute of the previous one.
            (COLD_LIST, "/dossier/", "/dossier/"),
            ("list page 1", "/dossier/", "/dossier/"),
            # Like for like: the project's list at the stock's page size (20 rows; the
            # project shows 50 by default, the row above).
            (
                f"list page 1, {STOCK_PAGE_SIZE} rows (stock's page size)",
                f"/dossier/?page_size={STOCK_PAGE_SIZE}",
                "/dossier/",
            ),
            (
                "list page 1000",
                f"/dossier/?page=999&after={self.deep_cursor}",
                "/dossier/?page=999",
            ),
            ("search, few matches", f"/dossier/?search={self.few}", f"/dossier/?search={self.few}"),
            (
                "search, no match",
                f"/dossier/?search={NO_MATCH}",
                f"/dossier/?search={NO_MATCH}",
            ),
            # The cost of a list page without its rows (menus, filters, pager, login): an
            # agency that does not exist, found absent by its index.
            (
                "list with no rows (the page's floor)",
                f"/dossier/?flt0_{agency}=999999999",
                f"/dossier/?flt0_{s_agency}=(none)",
            ),
            (
                f"agency + rare status ({self.rare_rows} rows)",
                f"/dossier/?flt0_{agency}={self.agency}&flt1_{status}={self.status}",
                f"/dossier/?flt0_{s_agency}={self.agency_name}&flt1_{s_status}={self.status}",
            ),
        )

    def get(self, app, client, counter, url: str):
        with app.app_context():
            mark = counter.mark()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return counter.since(mark)

    def measures(self, only=GROUPS):
        """[(name, kind, function returning a statement count or None)]; kind: project, stock,
        floor; only the groups named in `only` (GROUPS)."""
        out = []
        if "lists" in only:
            out += self._list_measures()
        if "reports" in only:
            out += self._report_measures()
        if "dashboard" in only:
            out += self._dashboard_measures()
        if "intake" in only:
            out.append(("intake: accept a dossier (POST)", "project", self.intake))
        return out

    def _statements(self, fn, read_only: bool = False) -> int:
        """The SQL statements `fn(session)` sends (nothing kept: rolled back). read_only: as a
        GET reads on SQLite (and as `flask report` does), a read transaction, not the write
        lock, so that what a report counts again is kept aside (write_aside)."""
        with self.app.app_context(), reads_only() if read_only else contextlib.nullcontext():
            before = self.counter.n
            fn(db.session)
            db.session.rollback()
            return self.counter.n - before

    def _list_measures(self) -> list:
        out = []
        for name, project_url, stock_url in self.pages():

            def project_page(u=project_url, cold=name == COLD_LIST):
                if cold:
                    catalog_cache.clear()
                return self.get(self.app, self.client, self.counter, u)

            out.append((name, "project", project_page))
            out.append(
                (
                    name,
                    "stock",
                    lambda u=stock_url: self.get(
                        self.stock, self.stock_client, self.stock_counter, u
                    ),
                )
            )
        return out

    def _report_measures(self) -> list:
        def keep(pending):
            # What was open at the period's boundaries, counted again: kept aside for the next
            # report, as the report page does (views/reports.py).
            write_aside(
                db.session.session_factory, lambda session: open_snapshots.keep(session, pending)
            )

        out = []
        for year in sorted({2019, self.last_year - 1}):
            for name, (start, end) in period_cases(year):

                def report(start=start, end=end):
                    return self._statements(
                        lambda s: reports.build_report(s, start, end, keep=keep), read_only=True
                    )

                def floor(start=start, end=end):
                    with self.app.app_context():
                        stmt, params = floor_query(self.dialect, start, end)
                        db.session.execute(stmt, params).all()
                        db.session.rollback()
                        return 1

                def figures(start=start, end=end):
                    return self._statements(
                        lambda s: reports.figure_groups(s, start, end, keep=keep), read_only=True
                    )

                out.append((name, "project", report))
                out.append((name, "floor", floor))
                out.append((f"{name}: dossier figures only", "project", figures))
                out.append((f"{name}: dossier figures only", "floor", floor))
        return out

    def _dashboard_measures(self) -> list:
        def home_changed():
            # The last two whole months stale (corrections of their dossiers: a changed
            # acceptance, closing or due date), counted again; the older ones stay kept. (A
            # dossier resolved or returned today leaves its acceptance month as it was.)
            with self.app.app_context():
                today = self.now.date()
                month_figures.forget(
                    db.session,
                    [month_figures.month_key(periods.add_months(today, -n)) for n in (1, 2)],
                )
                db.session.commit()
            return home()

        def home():
            self.app.extensions.pop("motcua_dashboard", None)  # uncached
            # As a manager sees it on the data's last day (the clock is frozen there): the
            # twelve months up to today, the dossiers open and overdue today.
            return self.get(self.app, self.client, self.counter, "/")

        def home_recounted():
            # Every kept month stale (as after a change in each): counted and kept again.
            with self.app.app_context():
                month_figures.forget_all(db.session)
                db.session.commit()
            return home()

        def figures():
            return self._statements(lambda s: dashboard.dashboard(s, self.now.date()))

        return [
            ("dashboard page (uncached, two past months stale)", "project", home_changed),
            ("dashboard page (uncached, no change)", "project", home),
            ("dashboard page (uncached, every month recounted)", "project", home_recounted),
            ("dashboard figures", "project", figures),
        ]

    def intake(self) -> int:
        """A dossier accepted at the counter as the intake form posts it (it stays in the
        bench's database); its CPU time is kept apart (Target.cpu)."""
        with self.app.app_context():
            if not hasattr(self, "_procedure"):
                self._procedure = db.session.scalar(
                    select(Procedure.id).where(Procedure.active).order_by(Procedure.id).limit(1)
                )
                db.session.rollback()
            self._intakes = getattr(self, "_intakes", 0) + 1
            # New ID numbers in each run: the clock is frozen on the data's last day, so an
            # earlier run's intakes are minutes old and the intake would hold a repeated one as
            # a duplicate (domain/intake_duplicates.py).
            run = getattr(self, "_run", None) or f"{int(time.time()) % 10**6:06d}"
            self._run = run
            before, cpu = self.counter.n, time.process_time()
            response = self.client.post(
                "/dossier/new/",
                data={
                    "procedure": self._procedure,
                    "id_number": f"8{run}{self._intakes:05d}",
                    "applicant_name": BENCH_APPLICANT,
                    "phone": "0987654321",
                    "address": "Lạng Sơn",
                    "applicant_kind": "citizen",
                    "channel": "direct",
                    "return_channel": "counter",
                },
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            self.cpu.append(time.process_time() - cpu)
            return self.counter.n - before

    def export(self, kind: str) -> dict:
        """rows/s and peak RSS of an export in a child process."""
        out = subprocess.run(
            [sys.executable, __file__, "--export-child", kind, self.url, str(self.export_rows)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the export child -----------------------------------------------------------------------------


def reset_peak_rss() -> int:
    """The peak RSS counted again from the current RSS (Linux: /proc/self/clear_refs); KiB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return peak_rss_kb()


def peak_rss_kb() -> int:
    """This process's peak RSS in KiB since it started (VmHWM: getrusage's ru_maxrss would
    carry over the parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def export_child(kind: str, url: str, rows: int) -> None:
    """Writes `rows` dossiers, newest first: `project` through the list's export endpoint
    (/dossier/export.xlsx, limited to that many by an acceptance-date filter); `plain`: the same
    columns from a plain cursor into a constant-memory xlsxwriter workbook."""
    app = bench_app(url)
    with app.app_context():
        since = db.session.scalar(
            select(Dossier.accepted_at).order_by(Dossier.accepted_at.desc()).offset(rows).limit(1)
        )
        db.session.rollback()
    if kind == "project":
        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": "demo1234"})
    # The peak from here on: the login's password hash (tens of MB for a moment) is not the
    # export's.
    base_rss = reset_peak_rss()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        t0, cpu = time.perf_counter(), time.process_time()
        if kind == "project":
            _export_project(app, client, since, tmp.name)
        else:
            written = _export_plain(app, rows, tmp.name)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu
        rss = peak_rss_kb()
        size = Path(tmp.name).stat().st_size
        if kind == "project":
            written = load_workbook(tmp.name, read_only=True).worksheets[0].max_row - 1
    print(
        json.dumps(
            {
                "rows": written,
                "seconds": elapsed,
                "rows_per_s": written / elapsed,
                "cpu_seconds": cpu,  # this process's (on PostgreSQL the server's work is apart)
                "rows_per_cpu_s": written / cpu,
                "rss_mb": rss / 1024,
                "rss_before_mb": base_rss / 1024,
                "bytes": size,
            }
        )
    )


def _export_project(app, client, since, path: str) -> None:
    """The dossier list's export of the dossiers accepted after `since`, saved at `path`."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier")
    arg = next(
        a
        for a, (_, f) in view._filter_args.items()
        if str(getattr(f, "column", "")).endswith("accepted_at")
        and "greater" in str(f.operation()).lower()
    )
    response = client.get(
        f"/dossier/export.xlsx?flt0_{arg}={since:%Y-%m-%d %H:%M:%S}", buffered=False
    )
    assert response.status_code == 200, response.status_code
    with open(path, "wb") as fh:  # as a browser saves it: never all in memory
        for chunk in response.response:
            fh.write(chunk)
    response.close()


def _export_plain(app, rows: int, path: str) -> int:
    """The same columns from a plain cursor into a constant-memory workbook at `path`; returns
    the rows written."""
    with app.app_context():
        wb = new_workbook(path, constant_memory=True)
        ws = wb.add_worksheet()
        conn = db.engine.raw_connection()
        cursor = conn.cursor()
        cursor.execute(
            "SELECT d.code, d.applicant_name, p.name, a.name, d.channel, d.status,"
            " d.accepted_at, d.due_date FROM dossier d"
            " JOIN procedure p ON p.id = d.procedure_id JOIN agency a ON a.id = d.agency_id"
            f" ORDER BY d.accepted_at DESC, d.id DESC LIMIT {int(rows)}"
        )
        written = 0
        while batch := cursor.fetchmany(2000):
            for row in batch:
                written += 1
                ws.write_row(written, 0, row)
        wb.close()
        conn.close()
    return written


# ---- the run ------------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs (nproc), {platform.processor() or platform.machine()},"
        f" Python {platform.python_version()}, load average {load[0]:.1f} / {load[1]:.1f} /"
        f" {load[2]:.1f}"
    )


def run(args) -> str:
    if args.database:
        urls = args.database
    else:
        urls = [build.build(build.sqlite_url(args.dossiers), args.dossiers)]
        pg = build.pg_url(args.dossiers)
        if not args.sqlite_only and build.pg_reachable(pg):
            urls.append(build.build(pg, args.dossiers))
    loads = [os.getloadavg()[0]]
    targets = [Target(url, args.export_rows) for url in urls]
    measures = [(t, name, kind, fn) for t in targets for name, kind, fn in t.measures(args.only)]
    times: dict = {}
    counts: dict = {}
    exports: dict = {}  # also the throughput runs, under (dialect, "throughput")
    done = 0
    try:
        for rep in range(args.repeat):
            print(f"repetition {rep + 1}/{args.repeat}", flush=True)
            _repetition(targets, measures, times, counts, exports, args)
            loads.append(os.getloadavg()[0])
            done += 1
    except KeyboardInterrupt:  # Ctrl-C (or SIGINT): the repetitions completed so far
        print(f"interrupted after {done} repetitions", flush=True)
    for store in (times, exports):
        for values in store.values():
            del values[done:]
    args.repeat = done
    return report(args, targets, times, counts, exports, loads)


def _repetition(targets, measures, times, counts, exports, args) -> None:
    """Every measure once, then the exports; the clock stopped at the data's last day."""
    for t, name, kind, fn in measures:
        with clock.frozen(t.now):
            t0, cpu = time.perf_counter(), time.process_time()
            n = fn()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu
        times.setdefault((t.dialect, name, kind), []).append(elapsed)
        CPU.setdefault((t.dialect, name, kind), []).append(cpu)
        counts.setdefault((t.dialect, name, kind), []).append(n)
        print(f"  {t.dialect:10} {kind:8} {name:40} {elapsed * 1000:10.1f} ms", flush=True)
    if args.export_rows and "export" in args.only:
        for t in targets:
            for kind in ("project", "plain"):
                result = t.export(kind)
                exports.setdefault((t.dialect, kind), []).append(result)
                print(f"  {t.dialect:10} export {kind:8} {json.dumps(result)}", flush=True)
    if "throughput" in args.only:
        for t in targets:
            result = load.throughput(t.url, args.throughput_seconds)
            exports.setdefault((t.dialect, "throughput"), []).append(result)
            print(f"  {t.dialect:10} throughput {json.dumps(result)}", flush=True)


# CPU seconds of this process per measure and repetition, keyed as the times.
CPU: dict = {}


def _statement_counts(values) -> str:
    """The statement count of a measure: the same in every repetition, or the most frequent with
    the others and how often (a cache that expires between two repetitions reads again)."""
    by_count = collections.Counter(str(v) for v in values)
    (usual, _), *others = by_count.most_common()
    return usual + "".join(f"; {v} in {k} of {len(values)}" for v, k in others)


def _ms(values) -> str:
    med = statistics.median(values) * 1000
    return f"{med:,.1f} ms ({min(values) * 1000:,.0f}–{max(values) * 1000:,.0f})"


def report(args, targets, times, counts, exports, loads) -> str:
    lines = [
        f"# Benchmark results ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}. Load average (1 min) during the run:"
        f" {min(loads):.1f}–{max(loads):.1f}: other sessions were using this machine at the"
        " same time, so absolute times are inflated and noisy; the ratios, measured interleaved"
        " in one run, are the figures to read.",
        "",
        f"Command: `make bench` ({args.repeat} repetitions, interleaved; median and"
        " lowest–highest).",
        "",
    ]
    for t in targets:
        lines += [
            f"## {t.dialect}: {t.total:,} dossiers",
            "",
            "| measure | project | stock ModelView / floor | ratio | SQL statements |",
            "|---|---|---|---|---|",
        ]
        lines += _measure_rows(t.dialect, times, counts)
        if t.cpu:
            lines.append(
                f"| intake CPU per accepted dossier | {statistics.median(t.cpu) * 1000:.0f} ms"
                f" ({min(t.cpu) * 1000:.0f}–{max(t.cpu) * 1000:.0f}) | | | |"
            )
        lines += _export_rows(
            exports.get((t.dialect, "project")), exports.get((t.dialect, "plain"))
        )
        lines += _throughput_rows(exports.get((t.dialect, "throughput")))
        lines.append("")
    results = "\n".join(lines)
    print(results)
    return results


def _measure_rows(dialect: str, times, counts) -> list[str]:
    """A row per measure: the project's time, the stock view's or the floor's, their ratio."""
    names = []
    for d, name, _kind in times:
        if d == dialect and name not in names:
            names.append(name)
    rows = []
    for name in names:
        mine = times[(dialect, name, "project")]
        if not mine:
            continue
        other_kind = next((k for k in ("stock", "floor") if (dialect, name, k) in times), None)
        other = times.get((dialect, name, other_kind))
        ratio = ""
        if other:
            med_mine, med_other = statistics.median(mine), statistics.median(other)
            ratio = (
                f"stock ÷ project {med_other / med_mine:.1f}×"
                if other_kind == "stock"
                else f"project ÷ floor {med_mine / med_other:.1f}×"
            )
            if other_kind == "stock" and dialect == "sqlite":
                # This process's CPU: on SQLite the database's work too (steadier than the wall
                # time on a loaded machine).
                cpus = [statistics.median(CPU[(dialect, name, k)]) for k in ("stock", "project")]
                ratio += f" (CPU {cpus[0] / cpus[1]:.1f}×)"
        n = _statement_counts(counts[(dialect, name, "project")])
        n_other = counts.get((dialect, name, "stock"))
        statements = n + (f" (stock {_statement_counts(n_other)})" if n_other is not None else "")
        cpu = CPU.get((dialect, name, "project"))
        cpu_text = f", CPU {statistics.median(cpu) * 1000:,.1f} ms" if cpu else ""
        rows.append(
            f"| {name} | {_ms(mine)}{cpu_text} |"
            f" {_ms(other) + ' ' + other_kind if other else ''} |"
            f" {ratio} | {statements} |"
        )
    return rows


def _export_rows(mine, plain) -> list[str]:
    """The export's row: rows/s and peak RSS against plain xlsxwriter's."""
    if not (mine and plain):
        return []
    rate = statistics.median(e["rows_per_s"] for e in mine)
    plain_rate = statistics.median(e["rows_per_s"] for e in plain)
    # Each repetition runs the two one after the other: the median of their ratios.
    pairs = list(zip(mine, plain))
    wall = statistics.median(m["rows_per_s"] / p["rows_per_s"] for m, p in pairs)
    cpu = statistics.median(m["rows_per_cpu_s"] / p["rows_per_cpu_s"] for m, p in pairs)
    return [
        f"| .xlsx export, {mine[0]['rows']:,} rows | {rate:,.0f} rows/s, peak RSS"
        f" {max(e['rss_mb'] for e in mine):.0f} MB | plain xlsxwriter {plain_rate:,.0f}"
        f" rows/s, RSS {max(e['rss_mb'] for e in plain):.0f} MB |"
        f" {100 * wall:.0f} % (by CPU time {100 * cpu:.0f} %) | (process RSS before the"
        f" export: {mine[0]['rss_before_mb']:.0f} MB) |"
    ]


def _throughput_rows(runs) -> list[str]:
    """The intake throughput's row: accepted/s and CPU per dossier."""
    if not runs:
        return []
    med = {
        key: statistics.median(r[key] for r in runs)
        for key in ("per_s", "worker_cpu_ms", "db_cpu_ms", "client_cpu_ms")
    }
    return [
        f"| intake throughput, gunicorn {load.WORKERS} workers, {load.CLIENTS} clients |"
        f" {med['per_s']:.0f} accepted/s ({min(r['per_s'] for r in runs):.0f}–"
        f"{max(r['per_s'] for r in runs):.0f}) | CPU per dossier: workers"
        f" {med['worker_cpu_ms']:.1f} ms, database {med['db_cpu_ms']:.1f} ms, load"
        f" generator {med['client_cpu_ms']:.1f} ms | idle 2 cores ≈"
        f" {2000 / (med['worker_cpu_ms'] + med['db_cpu_ms']):.0f}/s | |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--export-rows", type=int, default=200_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--database", action="append", help="an existing database instead (repeatable)"
    )
    parser.add_argument(
        "--only",
        type=lambda text: tuple(g.strip() for g in text.split(",")),
        default=GROUPS,
        help=f"some of the measures, comma-separated: {','.join(GROUPS)}",
    )
    parser.add_argument("--throughput-seconds", type=float, default=20.0)
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--export-child", nargs=3, metavar=("KIND", "URL", "ROWS"))
    args = parser.parse_args()
    if unknown := set(args.only) - set(GROUPS):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))} (known: {', '.join(GROUPS)})")
    if args.export_child:
        kind, url, rows = args.export_child
        export_child(kind, url, int(rows))
        return
    results = run(args)
    Path(args.output).write_text(results + "\n")


if __name__ == "__main__":
    main()
