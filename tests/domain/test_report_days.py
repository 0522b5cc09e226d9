"""The report's per-day counts (domain/report_days.py) never go stale: after every kind of change
(intake and each transition of the life cycle, pauses, edits of any counted column, deletions,
documents and files attached, withdrawn or removed, the seed's bulk load) the table equals a
recount from the dossiers, and the report read from it equals the report read from the dossiers
(figure_groups_from_dossiers, late_dossier_ids_from_dossiers, digitisation, post)."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import create_engine, delete, event, select, text, update

from domain import digitisation, lifecycle, month_figures, payments, postal, report_days, reports
from domain.periods import day_bounds
from domain.status import Status
from models import (
    PAYMENT_METHODS,
    Dossier,
    DossierDocument,
    DossierFile,
    Payment,
    Procedure,
    ReportDay,
    StoredFile,
    db,
)
from tests.factories import create_user, report_catalog
from tests.support import assert_report_days_current as assert_current
from tests.support import months_of_days, report_month_rows, run_threads, session_worker
from tests.support import report_day_rows as table_rows

START = dt.date(2019, 1, 1)


def assert_same_report(session, date_from: dt.date, date_to: dt.date) -> None:
    """Every figure the report reads from the per-day counts equals the dossiers' reading."""
    for by_field, by_level in ((True, True), (False, False), (True, False)):
        fast = reports.figure_groups(
            session, date_from, date_to, by_field=by_field, by_level=by_level
        )
        slow = reports.figure_groups_from_dossiers(
            session, date_from, date_to, by_field=by_field, by_level=by_level
        )
        assert sorted(fast, key=repr) == sorted(slow, key=repr), (date_from, date_to, by_field)
    assert sorted(reports.late_dossier_ids(session, date_from, date_to)) == sorted(
        reports.late_dossier_ids_from_dossiers(session, date_from, date_to)
    ), (date_from, date_to)
    assert digitisation.summary(
        session, *report_days.digitisation_counts(session, date_from, date_to)
    ) == digitisation.digitisation_summary(session, date_from, date_to)
    assert report_days.returned_by_post(session, date_from, date_to) == postal.returned_by_post(
        session, date_from, date_to
    )
    # The report's reading of the period: its whole months from report_month, the other days
    # from report_day; equal to the sums of all its days.
    keys = [ReportDay.agency_id, Procedure.field_id, Procedure.level]
    days = report_days.sums(session, date_from, date_to, keys, report_days.COUNTS)
    period = session.execute(*report_days.period_query(date_from, date_to)).all()
    assert sorted(map(tuple, period), key=repr) == sorted(map(tuple, days), key=repr), (
        date_from,
        date_to,
    )


def _moment(rnd, day):
    return dt.datetime.combine(
        day, rnd.choice((dt.time(0, 0), dt.time(23, 59, 59), dt.time(8, 30), dt.time(16, 0)))
    )


def _random_dossier(rnd, procedures) -> Dossier:
    proc = rnd.choice(procedures)
    status = rnd.choice((1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10))
    acc_day = START + dt.timedelta(days=rnd.randrange(120))
    acc = None if status in (1, 3) and rnd.random() < 0.7 else _moment(rnd, acc_day)
    due = None if rnd.random() < 0.05 else acc_day + dt.timedelta(days=rnd.randrange(-1, 12))
    closing = _moment(rnd, acc_day + dt.timedelta(days=rnd.randrange(-3, 60)))
    in_hours = rnd.random() < 0.2 and due is not None
    returned = status == 10 and rnd.random() < 0.9
    return Dossier(
        procedure_id=proc.id,
        agency_id=proc.agency_id,
        applicant_name="x",
        channel=rnd.choice(("direct", "online", "postal")),
        status=status,
        accepted_at=acc,
        due_date=due,
        due_at=dt.datetime.combine(due, dt.time(10, 0)) if in_hours else None,
        due_in_hours=in_hours,
        resolved_at=closing if status in (9, 10) and rnd.random() < 0.95 else None,
        closed_at=closing if status in (3, 7, 8) and rnd.random() < 0.95 else None,
        returned_at=closing + dt.timedelta(days=rnd.randrange(3)) if returned else None,
        return_channel=rnd.choice(("counter", "postal")) if returned else None,
    )


def _periods(rnd) -> list:
    periods = [reports.month_period(2019, m) for m in range(1, 6)]
    for _ in range(8):
        a = START + dt.timedelta(days=rnd.randrange(-10, 200))
        periods.append((a, a + dt.timedelta(days=rnd.randrange(0, 70))))
    return periods


def test_kept_current_through_inserts_edits_deletes_and_files(app):
    rnd = random.Random(20261130)
    with app.app_context():
        s = db.session
        agencies, procedures = report_catalog(s)
        dossiers = [_random_dossier(rnd, procedures) for _ in range(150)]
        s.add_all(dossiers)
        assert_current(s)
        assert table_rows(s), "the flushes counted the new dossiers"

        # Edits of every counted column, one flush for several dossiers.
        for d in rnd.sample(dossiers, 60):
            column = rnd.choice(report_days.COUNTED_COLUMNS)
            other = _random_dossier(rnd, procedures)
            if column == "due_in_hours":
                d.due_at, d.due_in_hours = other.due_at, other.due_in_hours
            elif column in ("agency_id", "procedure_id"):
                d.procedure_id, d.agency_id = other.procedure_id, other.agency_id
                if rnd.random() < 0.5:
                    d.agency_id = rnd.choice(agencies).id  # moved to another agency
            else:
                setattr(d, column, getattr(other, column))
        assert_current(s)

        # Papers and scans: scanned at intake, the next day, withdrawn; results; removals.
        stored = StoredFile(sha256="0" * 64, size=10, media_type="application/pdf", pages=1)
        s.add(stored)
        received = [d for d in dossiers if d.accepted_at is not None]
        documents = []
        for d in rnd.sample(received, 40):
            for n in range(rnd.randrange(1, 3)):
                doc = DossierDocument(dossier=d, name=f"Giấy {n}")
                documents.append(doc)
                s.add(doc)
                if rnd.random() < 0.8:
                    late = rnd.random() < 0.2
                    s.add(
                        DossierFile(
                            dossier=d,
                            document=doc,
                            stored=stored,
                            kind="scan",
                            original_name="scan.pdf",
                            uploaded_at=d.accepted_at + dt.timedelta(days=1 if late else 0),
                        )
                    )
        results = []
        for d in rnd.sample([d for d in dossiers if d.resolved_at is not None], 20):
            f = DossierFile(
                dossier=d,
                stored=stored,
                kind="result",
                original_name="kq.pdf",
                uploaded_at=d.resolved_at,
            )
            results.append(f)
            s.add(f)
        assert_current(s)
        scans = s.scalars(select(DossierFile).where(DossierFile.kind == "scan")).all()
        for f in rnd.sample(scans, 8) + results[:5]:
            f.withdrawn_at, f.withdrawn_reason = dt.datetime(2019, 6, 1), "nhầm"
        assert_current(s)
        for doc in rnd.sample(documents, 6):
            s.delete(doc)
        assert_current(s)
        for f in results[5:8]:
            s.delete(f)
        assert_current(s)

        with_files = set(s.scalars(select(DossierFile.dossier_id)))
        for d in rnd.sample([d for d in dossiers if d.id not in with_files], 20):
            s.delete(d)
        assert_current(s)
        s.commit()
        for date_from, date_to in _periods(rnd):
            assert_same_report(s, date_from, date_to)


def test_kept_current_through_payments(app):
    """The fees of each day: payments added (with a new dossier or later), moved to another day,
    changed in amount, cancelled, moved to another dossier, removed; dossiers with payments
    moved to another agency or procedure. The month sums equal payment_totals."""
    rnd = random.Random(20261201)
    with app.app_context():
        s = db.session
        agencies, procedures = report_catalog(s)
        dossiers = [_random_dossier(rnd, procedures) for _ in range(60)]

        def paid(d):
            day = START + dt.timedelta(days=rnd.randrange(150))
            return Payment(
                dossier=d,
                amount_vnd=rnd.choice((50_000, 100_000, 1_250_000)),
                method=rnd.choice(PAYMENT_METHODS),
                paid_at=_moment(rnd, day),
            )

        s.add_all(dossiers + [paid(d) for d in dossiers[:20]])  # new with their dossiers
        assert_current(s)
        payments_made = [paid(d) for d in rnd.sample(dossiers, 30)]  # later
        s.add_all(payments_made)
        assert_current(s)
        assert sum(r[-1] for r in table_rows(s)) > 0, "the fees were counted"
        all_payments = s.scalars(select(Payment)).all()
        for p in rnd.sample(all_payments, 10):
            p.paid_at = _moment(rnd, START + dt.timedelta(days=rnd.randrange(150)))
        for p in rnd.sample(all_payments, 5):
            p.amount_vnd += 10_000
        for p in rnd.sample(all_payments, 5):
            p.cancelled_at, p.cancel_reason = dt.datetime(2019, 7, 1), "nhầm"
        assert_current(s)
        for p in rnd.sample(all_payments, 4):
            p.dossier = rnd.choice(dossiers)
        assert_current(s)
        with_payments = list({p.dossier for p in all_payments})
        for d in rnd.sample(with_payments, 8):
            other = rnd.choice(procedures)
            d.procedure_id, d.agency_id = other.id, other.agency_id
        for d in rnd.sample(with_payments, 4):
            d.agency_id = rnd.choice(agencies).id
        assert_current(s)
        for p in rnd.sample(all_payments, 6):
            s.delete(p)
        assert_current(s)
        s.commit()
        assert_current(s)
        # The months' fees by agency from the days equal the payments' own totals.
        first, last = START - dt.timedelta(days=31), START + dt.timedelta(days=200)
        by_month = {
            k: v[1]
            for k, v in payments.add_up(
                payments.payment_totals(s, first, last),
                lambda r: (f"{r.year:04d}-{r.month:02d}", r.agency_id),
            ).items()
        }
        counted = {
            (month, agency): n
            for (month, agency, figure), n in month_figures.count(s, first, last).items()
            if figure == month_figures.FEES
        }
        assert counted == by_month and by_month


def test_new_dossiers_add_their_counts_without_recounting_their_days(app, monkeypatch):
    """A dossier new in a flush (an intake) adds its own counts to its days' rows instead of
    the days being counted again: with its received documents, scans and results in the same
    flush, several in one flush (over several reads), next to changes whose days are recounted
    in that flush, the counts equal a recount after each flush."""
    monkeypatch.setattr(report_days, "ADD_CHUNK", 4)
    rnd = random.Random(20261201)
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        stored = StoredFile(sha256="1" * 64, size=10, media_type="application/pdf", pages=1)
        s.add(stored)
        existing = [_random_dossier(rnd, procedures) for _ in range(40)]
        s.add_all(existing)
        assert_current(s)
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(" ".join(statement.split()).upper())

        for flush in range(16):
            new = [_random_dossier(rnd, procedures) for _ in range(rnd.randrange(1, 11))]
            for d in new:
                if d.accepted_at is not None and rnd.random() < 0.7:
                    for n in range(rnd.randrange(1, 3)):
                        doc = DossierDocument(dossier=d, name=f"Giấy {n}")
                        if rnd.random() < 0.7:
                            s.add(
                                DossierFile(
                                    dossier=d,
                                    document=doc,
                                    stored=stored,
                                    kind="scan",
                                    original_name="scan.pdf",
                                    uploaded_at=d.accepted_at,
                                )
                            )
                if d.resolved_at is not None and rnd.random() < 0.5:
                    s.add(
                        DossierFile(
                            dossier=d,
                            stored=stored,
                            kind="result",
                            original_name="kq.pdf",
                            uploaded_at=d.resolved_at,
                        )
                    )
            s.add_all(new)
            changed = flush % 2 == 1
            if changed:  # a day recounted in the same flush (maybe a new dossier's day too)
                d = rnd.choice(existing)
                other = _random_dossier(rnd, procedures)
                d.accepted_at, d.resolved_at = other.accepted_at, other.resolved_at
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                s.flush()
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
            recounts = [x for x in statements if x.startswith("DELETE FROM REPORT_DAY")]
            if not changed:
                assert not recounts, statements  # no day counted again for new dossiers
            assert_current(s)
        s.commit()
        for date_from, date_to in _periods(rnd):
            assert_same_report(s, date_from, date_to)


def test_kept_current_through_the_life_cycle(app):
    """Intake, every transition (pauses move the due date), a reschedule, a refusal, a return
    by post, a withdrawal and a stop: after each, the counts equal a recount, and the report
    from them equals the report from the dossiers."""
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        user = create_user("canbo_rd", "staff")
        day = dt.datetime(2019, 3, 4, 9, 0)
        steps = [
            ("transfer", {}),
            ("request_supplement", {"reason": "Thiếu giấy"}),
            ("supplement_received", {}),
            ("reschedule", {"reason": "Chậm", "new_due_date": dt.date(2019, 3, 20)}),
            ("await_payment", {"reason": "Phí"}),
            ("payment_received", {}),
            ("resolve", {}),
            ("return", {"return_channel": "postal", "postal_tracking_no": "EMS1"}),
        ]
        dossiers = []
        for n, proc in enumerate(procedures):
            d = Dossier(
                procedure_id=proc.id,
                agency_id=proc.agency_id,
                applicant_name=f"Người {n}",
                channel="online",
            )
            d.status = Status.SUBMITTED
            s.add(d)
            s.flush()
            lifecycle.accept_dossier(s, d, user, day + dt.timedelta(days=n), "000.00.00.H00")
            dossiers.append(d)
            assert_current(s)
        for k, (action, details) in enumerate(steps):
            at = day + dt.timedelta(days=6 + 3 * k)
            for d in dossiers[: 6 - k // 2]:
                if action in lifecycle.allowed_actions(d):
                    lifecycle.transition(s, d, action, user, at, **details)
            assert_current(s)
        late = dossiers[-1]  # never went further than the first steps: withdrawn
        for d in (late,):
            for action in ("withdraw", "stop"):
                if action in lifecycle.allowed_actions(d):
                    lifecycle.transition(s, d, action, user, day + dt.timedelta(days=40), "Rút")
                    break
            assert_current(s)
        refused = Dossier(
            procedure_id=procedures[0].id,
            agency_id=procedures[0].agency_id,
            applicant_name="Từ chối",
        )
        refused.status = Status.SUBMITTED
        s.add(refused)
        s.flush()
        lifecycle.transition(s, refused, "refuse", user, day, "Không đủ")
        assert_current(s)
        s.commit()
        for date_from, date_to in [
            reports.month_period(2019, 3),
            reports.month_period(2019, 4),
            (dt.date(2019, 3, 10), dt.date(2019, 3, 25)),
            reports.quarter_period(2019, 1),
        ]:
            assert_same_report(s, date_from, date_to)


def test_report_reads_the_counts_not_the_dossiers_of_the_period(app):
    """A period's received and resolved figures are sums of report_day: a count changed behind
    the hook's back shows in the report (and a recount puts it right)."""
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        rnd = random.Random(7)
        s.add_all([_random_dossier(rnd, procedures) for _ in range(40)])
        s.flush()
        period = reports.month_period(2019, 2)
        before = reports.build_report(s, *period)["totals"]["received_new"]
        key = s.execute(
            select(ReportDay.day, ReportDay.agency_id, ReportDay.procedure_id).where(
                ReportDay.day >= period[0], ReportDay.day <= period[1]
            )
        ).first()
        s.execute(
            update(ReportDay)
            .where(
                ReportDay.day == key.day,
                ReportDay.agency_id == key.agency_id,
                ReportDay.procedure_id == key.procedure_id,
            )
            .values(received_direct=ReportDay.received_direct + 5)
            .execution_options(synchronize_session=False)
        )
        assert reports.build_report(s, *period)["totals"]["received_new"] == before + 5
        report_days.rebuild(s)
        assert reports.build_report(s, *period)["totals"]["received_new"] == before


def test_months_follow_any_write_of_the_days(app):
    """The per-month counts follow report_day whatever writes it (their triggers): a count
    changed in place, a row moved to another day, month and agency, a row deleted."""
    rnd = random.Random(22)
    with app.app_context():
        s = db.session
        agencies, procedures = report_catalog(s)
        s.add_all([_random_dossier(rnd, procedures) for _ in range(60)])
        s.flush()
        R = ReportDay
        first, second, third = s.execute(select(R.day, R.agency_id, R.procedure_id).limit(3))

        def row(key):
            return (
                R.day == key.day,
                R.agency_id == key.agency_id,
                R.procedure_id == key.procedure_id,
            )

        s.execute(update(R).where(*row(first)).values(results=R.results + 3, fees_vnd=7))
        other_agency = next(a.id for a in agencies if a.id != second.agency_id)
        moved = second.day.replace(year=second.day.year + 1)
        s.execute(update(R).where(*row(second)).values(day=moved, agency_id=other_agency))
        s.execute(delete(R).where(*row(third)))
        assert report_month_rows(s) == months_of_days(table_rows(s))
        report_days.rebuild(s)  # the months filled again with the days
        assert report_month_rows(s) == months_of_days(table_rows(s))


def test_late_results_and_open_dossiers_read_their_indexes(app):
    """On SQLite without statistics (a fresh schema): the late results come from the partial
    index ix_dossier_late_result (SQLite matches it only as models.LATE_RESULT writes it), those
    recorded before their acceptance from theirs, the long spans open at an instant from
    ix_dossier_long_span, and no part scans the dossier table."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans from its statistics: bench/ measures it")
        start, end = reports._bounds(*reports.month_period(2019, 3))
        queries = [reports.late_results(start, end), select(reports.open_dossiers(start).c.id)]
        sqls = [str(q.compile(db.engine, compile_kwargs={"literal_binds": True})) for q in queries]
    fresh = create_engine("sqlite://")
    db.metadata.create_all(fresh)
    with fresh.connect() as conn:
        late, open_ = (
            [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql))] for sql in sqls
        )
    fresh.dispose()
    assert any("ix_dossier_late_result" in line for line in late), late
    assert any("ix_dossier_result_before_acceptance" in line for line in late), late
    assert any("ix_dossier_long_span" in line for line in open_), open_
    assert not any(line.startswith("SCAN dossier") for line in late + open_), (late, open_)


@pytest.mark.commits  # threads with their own connections
def test_concurrent_writers_of_one_day_and_agency_take_turns(app):
    """Dossiers of one agency and day written at once by several transactions: each recount of
    that day waits for the others (PostgreSQL would otherwise refuse the second insert of the
    same row), and the counts end equal to a recount."""
    threads, rounds = 6, 3
    with app.app_context():
        _agencies, procedures = report_catalog(db.session)
        db.session.commit()
        procedure_id, agency_id = procedures[0].id, procedures[0].agency_id
    errors: list = []

    def write(n, i, _):
        db.session.add(
            Dossier(
                procedure_id=procedure_id,
                agency_id=agency_id,
                applicant_name=f"{n}-{i}",
                channel="direct",
                status=Status.ACCEPTED,
                accepted_at=dt.datetime(2019, 5, 6, 8, n, i),
                due_date=dt.date(2019, 5, 9),
            )
        )
        db.session.commit()

    barrier = threading.Barrier(threads)
    run_threads([session_worker(app, barrier, rounds, write, errors)] * threads)
    assert not errors
    with app.app_context():
        assert_current(db.session)
        day = reports.build_report(db.session, dt.date(2019, 5, 6), dt.date(2019, 5, 6))
        assert day["totals"]["received_direct"] == threads * rounds
        db.session.rollback()


# The statistics of the 1,000,000-dossier bench database (sqlite_stat1 after its ANALYZE).
BENCH_DOSSIER_STATISTICS = (
    ("ix_dossier_status_due", "1262599 112 4"),
    ("ix_dossier_status_accepted", "1497870 112 1"),
    ("ix_dossier_returned_at", "4470228 3"),
    ("ix_dossier_resolved_at", "4470228 3"),
    ("ix_dossier_closed_at", "1006764 11"),
    ("ix_dossier_agency_status_accepted", "1175625 1001 112 1"),
    ("ix_dossier_agency_accepted", "1217216 1001 1"),
    ("ix_dossier_accepted_at", "1542726 1"),
)


def test_one_day_recount_reads_that_day_at_a_million_dossiers():
    """Issue 16: with the bench's statistics SQLite drove a day's recount (after every intake)
    by the agency's (agency, status) index, every result of the agency (0.5 s an intake at
    1,000,000 dossiers); each part reads its day's range of its own date index."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    start, end = day_bounds(dt.date(2023, 12, 20), dt.date(2023, 12, 20))
    query = report_days._counted(report_days._parts(start, end, 3))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        for index, stat in BENCH_DOSSIER_STATISTICS:
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('dossier', ?, ?)", (index, stat))
        conn.exec_driver_sql("ANALYZE sqlite_schema")  # the statistics read again
        plan = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    engine.dispose()
    dossier = [line for line in plan if " dossier " in line + " "]
    assert not any("ix_dossier_agency_status_accepted" in line for line in dossier), plan
    for index in ("ix_dossier_resolved_at", "ix_dossier_closed_at", "ix_dossier_returned_at"):
        assert any(index in line for line in dossier), (index, plan)
    assert not any(line.startswith("SCAN dossier") for line in plan), plan
