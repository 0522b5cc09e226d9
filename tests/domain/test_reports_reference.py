"""The report engine against a plain-Python reading of design §6, on a random data set with the
awkward cases (midnight and 23:59:59 timestamps, closing times before acceptance, missing
closing times, paused dossiers, refused and unaccepted ones), over many random periods."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import create_engine, select, text

from domain.reports import ROW_KEYS, build_report, figure_columns, month_period, relevant_dossiers
from models import Dossier, db
from tests.factories import assert_identity, report_catalog

START = dt.date(2019, 1, 1)


def reference(dossiers, agency_of, field_of, date_from, date_to, by_field):
    """§6 dossier by dossier."""
    rows: dict = {}
    for d in dossiers:
        if d["status"] in (1, 3) or d["accepted_at"] is None:
            continue
        acc = d["accepted_at"]
        close = (
            d["resolved_at"]
            if d["status"] in (9, 10)
            else d["closed_at"]
            if d["status"] in (7, 8)
            else None
        )
        if close is not None and close < acc:
            close = acc
        acc_day, close_day = acc.date(), close.date() if close else None
        due = d["due_date"]
        key = (agency_of[d["procedure"]], field_of[d["procedure"]] if by_field else None)
        r = rows.setdefault(key, {k: 0 for k in ROW_KEYS})
        if date_from <= acc_day <= date_to:
            r["received_" + d["channel"]] += 1
        if acc_day < date_from and (close_day is None or close_day >= date_from):
            r["carried_over"] += 1
        if close_day is not None and date_from <= close_day <= date_to:
            if d["status"] in (9, 10) and due is not None and close_day < due:
                r["resolved_early"] += 1
            elif d["status"] in (9, 10) and due is not None and close_day > due:
                r["resolved_late"] += 1
            else:
                r["resolved_on_time"] += 1
        if acc_day <= date_to and (close_day is None or close_day > date_to):
            if d["status"] not in (5, 6) and due is not None and due < date_to:
                r["pending_overdue"] += 1
            else:
                r["pending_in_time"] += 1
    for r in rows.values():
        r["received_new"] = r["received_online"] + r["received_direct"] + r["received_postal"]
        r["received_total"] = r["received_new"] + r["carried_over"]
        r["resolved_total"] = r["resolved_early"] + r["resolved_on_time"] + r["resolved_late"]
        r["pending_total"] = r["pending_in_time"] + r["pending_overdue"]
    return rows


def _moment(rnd, day):
    return dt.datetime.combine(
        day, rnd.choice((dt.time(0, 0), dt.time(23, 59, 59), dt.time(8, 30), dt.time(12, 0, 0, 1)))
    )


def test_engine_matches_the_reference(app):
    _compare(app, random.Random(20190317), closing_days=40)


def test_engine_matches_the_reference_with_long_spans(app):
    """Issue 16: the dossiers that span a whole period (accepted more than LONG_SPAN_DAYS before
    it, resolved after it) come from the partial index, the others from bounded ranges; with
    closings up to 200 days after acceptance all of the parts are exercised."""
    _compare(app, random.Random(20250701), closing_days=200)


def test_report_reads_spanning_dossiers_through_the_partial_index(app):
    """On SQLite (rule-based without statistics) the report's query reads the long spans from
    ix_dossier_long_span and no part reads resolved_at without an upper bound."""

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans from its statistics: bench/RESULTS.md measures it")
        start, end = month_period(2019, 3)
        plans = []
        for by_level in (False, True):
            d = relevant_dossiers(start, end, by_level=by_level).c
            stmt = select(d.agency_id, *figure_columns(d, start, end)).group_by(d.agency_id)
            sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
            # A fresh database with the schema and no statistics: a test that committed
            # ANALYZE's sqlite_stat1 (the demo seed) must not change the plan read here.
            fresh = create_engine("sqlite://")
            db.metadata.create_all(fresh)
            with fresh.connect() as conn:
                plans.append([r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql))])
            fresh.dispose()
    for plan in plans:
        assert any("ix_dossier_long_span" in line for line in plan), plan
        assert not any("(resolved_at>?)" in line and "long_span" not in line for line in plan)
        # Every part drives from dossier: the procedure is looked up, never walked.
        assert not any("SCAN procedure" in line or "procedure_id=?" in line for line in plan)


def _compare(app, rnd, closing_days):
    with app.app_context():
        _agencies, procs = report_catalog(db.session)
        agency_of = {p.id: p.agency.code for p in procs}
        field_of = {p.id: (p.field.code if p.field else None) for p in procs}
        dossiers = []
        for _ in range(400):
            proc = rnd.choice(procs)
            status = rnd.choice((1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10))
            acc_day = START + dt.timedelta(days=rnd.randrange(180))
            acc = None if status in (1, 3) and rnd.random() < 0.8 else _moment(rnd, acc_day)
            due = (
                None if rnd.random() < 0.05 else acc_day + dt.timedelta(days=rnd.randrange(-1, 15))
            )
            closing = _moment(rnd, acc_day + dt.timedelta(days=rnd.randrange(-3, closing_days)))
            d = {
                "procedure": proc.id,
                "channel": rnd.choice(("direct", "online", "postal")),
                "status": status,
                "accepted_at": acc,
                "due_date": due,
                "resolved_at": closing if status in (9, 10) and rnd.random() < 0.97 else None,
                "closed_at": closing if status in (3, 7, 8) and rnd.random() < 0.97 else None,
            }
            dossiers.append(d)
            db.session.add(
                Dossier(
                    procedure_id=proc.id,
                    agency_id=proc.agency_id,
                    applicant_name="x",
                    channel=d["channel"],
                    status=status,
                    accepted_at=acc,
                    due_date=due,
                    resolved_at=d["resolved_at"],
                    closed_at=d["closed_at"],
                )
            )
        db.session.commit()

        periods = [month_period(2019, m) for m in range(1, 8)]
        for _ in range(25):
            a = START + dt.timedelta(days=rnd.randrange(-10, 220))
            periods.append((a, a + dt.timedelta(days=rnd.randrange(0, 60))))
        for date_from, date_to in periods:
            for by_field in (False, True):
                report = build_report(db.session, date_from, date_to, by_field=by_field)
                assert_identity(report)
                expected = reference(dossiers, agency_of, field_of, date_from, date_to, by_field)
                zero = {k: 0 for k in ROW_KEYS}
                for row in report["rows"]:
                    if by_field:
                        for f in row["fields"]:
                            got = {k: f[k] for k in ROW_KEYS}
                            want = expected.get((row["agency_code"], f["field_code"]), zero)
                            assert got == want, (
                                date_from,
                                date_to,
                                row["agency_code"],
                                f["field_code"],
                            )
                    else:
                        got = {k: row[k] for k in ROW_KEYS}
                        want = expected.get((row["agency_code"], None), zero)
                        assert got == want, (date_from, date_to, row["agency_code"])
