"""What was open at the report's period boundaries, kept computed (domain/open_snapshots.py):
after every kind of change (edits of each column it depends on, deletions, intake and each step
of the life cycle, the seed's bulk writes) every instant kept as current equals a count from
the dossiers, so the report read from them equals the report read from the dossiers; the
instants are made stale inside the change's transaction; normal life (intake now, a dossier
resolved now) leaves the past instants as they were."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import delete, insert, select, update

from domain import clock, digitisation, lifecycle, postal, reports
from domain import open_snapshots as snaps
from domain.sql import gather_statistics
from domain.status import Status
from models import Dossier, OpenSnapshot, OpenSnapshotOverdue, OpenSnapshotRow, db
from tests.factories import create_user, login, report_catalog

START = dt.date(2019, 1, 1)
TODAY = dt.date(2019, 9, 20)  # the clock of these tests: the instants up to it are kept
COLUMNS = ("status", "agency_id", "accepted_at", "resolved_at", "closed_at", "due_date")


def _moment(rnd, day):
    return dt.datetime.combine(
        day, rnd.choice((dt.time(0, 0), dt.time(23, 59, 59), dt.time(8, 30), dt.time(16, 0)))
    )


def random_dossier(rnd, procedures) -> Dossier:
    """Accepted over five months, closed up to three months later, due around the 1st and
    15th (the kept instants), some bad data (no acceptance, a closing before it, a closed
    status without its time)."""
    proc = rnd.choice(procedures)
    status = rnd.choice((1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10))
    acc_day = START + dt.timedelta(days=rnd.randrange(150))
    acc = None if status in (1, 3) and rnd.random() < 0.7 else _moment(rnd, acc_day)
    due = None if rnd.random() < 0.05 else acc_day + dt.timedelta(days=rnd.randrange(-1, 40))
    closing = _moment(rnd, acc_day + dt.timedelta(days=rnd.randrange(-3, 90)))
    return Dossier(
        procedure_id=proc.id,
        agency_id=proc.agency_id,
        applicant_name="x",
        channel=rnd.choice(("direct", "online", "postal")),
        status=status,
        accepted_at=acc,
        due_date=due,
        resolved_at=closing if status in (9, 10) and rnd.random() < 0.95 else None,
        closed_at=closing if status in (3, 7, 8) and rnd.random() < 0.95 else None,
    )


def kept_state(session) -> dict:
    """{day: (version, filled)} of every kept instant."""
    return {
        day: (version, filled)
        for day, version, filled in session.execute(
            select(OpenSnapshot.day, OpenSnapshot.version, OpenSnapshot.filled)
        )
    }


def stored(session, day) -> tuple[list, list]:
    R, Late = OpenSnapshotRow, OpenSnapshotOverdue
    rows = session.execute(
        select(R.agency_id, R.procedure_id, R.open, R.overdue).where(R.day == day)
    )
    ids = session.scalars(select(Late.dossier_id).where(Late.day == day))
    return sorted(tuple(r) for r in rows), sorted(ids)


def live(session, day) -> list:
    rows, ids = reports.open_at(session, day)
    return sorted((a, p, n, o) for a, p, _f, _lv, n, o in rows), sorted(ids)


def fill(session, days=None) -> None:
    """Every kept instant up to TODAY counted and stored (twice: a first view only makes the
    version rows of the instants never seen)."""
    days = days or snaps.kept_days(START - dt.timedelta(days=31), TODAY)
    for _ in range(2):
        _out, pending = snaps.read(session, days, lambda day: reports.open_at(session, day), TODAY)
        snaps.keep(session, pending)
    session.flush()
    state = kept_state(session)
    assert all(state[d][0] == state[d][1] for d in days), "every instant stored"


def assert_current(session) -> int:
    """Every instant kept as current equals the dossiers' count; returns how many are current."""
    session.flush()
    current = 0
    for day, (version, filled) in kept_state(session).items():
        if version == filled:
            current += 1
            assert stored(session, day) == live(session, day), day
    return current


def assert_same_report(session, date_from, date_to) -> None:
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
    # The whole report: the period's days read once for the flows, digitisation and post.
    report = reports.build_report(session, date_from, date_to, by_field=True)
    assert report["digitisation"] == digitisation.digitisation_summary(session, date_from, date_to)
    assert report["returned_by_post"] == postal.returned_by_post(session, date_from, date_to)
    slow = reports.figure_groups_from_dossiers(session, date_from, date_to)
    totals = reports._zero()
    for *_key, figures in slow:
        reports._add(totals, figures)
    assert report["totals"] == totals
    assert sorted(d["id"] for d in report["late_dossiers"]) == sorted(
        reports.late_dossier_ids_from_dossiers(session, date_from, date_to)
    )


# ---- the rule, against a day-by-day reading -----------------------------------------------------


def _values(rnd) -> dict | None:
    if rnd.random() < 0.1:
        return None  # added or removed
    day = START + dt.timedelta(days=rnd.randrange(60))
    moment = rnd.choice((None, _moment(rnd, day + dt.timedelta(days=rnd.randrange(-5, 60)))))
    return {
        "status": rnd.choice(list(Status)),
        "agency_id": rnd.choice((1, 2)),
        "procedure_id": rnd.choice((1, 2)),
        "accepted_at": rnd.choice((None, _moment(rnd, day), _moment(rnd, day))),
        "resolved_at": moment,
        "closed_at": rnd.choice((None, moment)),
        "due_date": rnd.choice((None, day + dt.timedelta(days=rnd.randrange(-3, 40)))),
    }


def _share(values):
    return None if values is None else snaps._share(values.get)


def test_differing_days_are_those_of_a_day_by_day_comparison():
    """differing_days judges each stretch between the days where what a dossier adds may
    change: the same days as comparing what it adds at every kept instant, those after
    `until` covered by the day it returns."""
    rnd = random.Random(5)
    days = snaps.kept_days(START - dt.timedelta(days=40), START + dt.timedelta(days=400))
    for n in range(3000):
        first, second = _values(rnd), _values(rnd)
        if rnd.random() < 0.3 and first is not None:  # one column changed
            second = dict(
                first,
                **{
                    k: v
                    for k, v in (_values(rnd) or first).items()
                    if k in rnd.sample(sorted(first), 1)
                },
            )
        before, after = _share(first), _share(second)
        until = START + dt.timedelta(days=rnd.randrange(-10, 120))
        found, later = snaps.differing_days(before, after, until)
        expected = [d for d in days if snaps._at(before, d) != snaps._at(after, d)]
        assert found == [d for d in expected if d <= until], (n, first, second)
        beyond = [d for d in expected if d > until]
        if beyond:
            assert later is not None and later <= beyond[0], (n, first, second)


def test_python_rule_equals_the_sql_reading(app):
    """What _share / _at say each dossier adds to an instant, summed, equals open_at."""
    rnd = random.Random(11)
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        dossiers = [random_dossier(rnd, procedures) for _ in range(120)]
        s.add_all(dossiers)
        s.flush()
        for day in snaps.kept_days(START, TODAY):
            counted: dict = {}
            ids = []
            for d in dossiers:
                at = snaps._at(snaps._share(lambda a, d=d: getattr(d, a)), day)
                if at is not None:
                    n = counted.setdefault(at[:2], [0, 0])
                    n[0] += 1
                    n[1] += at[2]
                    if at[2]:
                        ids.append(d.id)
            assert (sorted((*k, *v) for k, v in counted.items()), sorted(ids)) == live(s, day)


# ---- kept current ---------------------------------------------------------------------------------


def test_kept_current_through_edits_and_deletions(app):
    rnd = random.Random(20261130)
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        s = db.session
        agencies, procedures = report_catalog(s)
        dossiers = [random_dossier(rnd, procedures) for _ in range(80)]
        s.add_all(dossiers)
        s.flush()
        fill(s)
        assert assert_current(s) > 10
        stale_seen = 0
        for round_ in range(9):
            before = kept_state(s)
            # Edits of every column the counts depend on, several dossiers a flush.
            for d in rnd.sample(dossiers, 8):
                column = rnd.choice((*COLUMNS, "procedure_id"))
                other = random_dossier(rnd, procedures)
                if column in ("agency_id", "procedure_id"):
                    d.procedure_id, d.agency_id = other.procedure_id, other.agency_id
                    if rnd.random() < 0.5:
                        d.agency_id = rnd.choice(agencies).id
                else:
                    setattr(d, column, getattr(other, column))
            assert_current(s)
            stale_seen += sum(1 for d, v in kept_state(s).items() if v[0] != before[d][0])
            if round_ % 3 == 2:
                for d in rnd.sample(dossiers, 3):
                    dossiers.remove(d)
                    s.delete(d)
                assert_current(s)
                s.add_all(new := [random_dossier(rnd, procedures) for _ in range(4)])
                dossiers += new
                assert_current(s)
            fill(s)  # stored again: the next edits are checked against current instants
        assert stale_seen > 0, "the edits made instants stale"
        s.commit()
        for date_from, date_to in [
            reports.month_period(2019, 3),
            reports.quarter_period(2019, 2),
            reports.cutoff_period(2019, 4),
            reports.half_period(2019, 1),
            (dt.date(2019, 2, 10), dt.date(2019, 3, 31)),
        ]:
            assert_same_report(s, date_from, date_to)


def test_kept_current_through_the_life_cycle(app):
    """Intake, every transition (pauses move the due date and stop the clock), a reschedule,
    a withdrawal, a refusal, over months with overdue dossiers: after each step every
    instant kept as current equals the dossiers' count, and the report equals the dossiers'."""
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        user = create_user("canbo_os", "staff")
        day = dt.datetime(2019, 3, 4, 9, 0)
        steps = [
            ("transfer", {}),
            ("request_supplement", {"reason": "Thiếu giấy"}),
            ("supplement_received", {}),
            ("reschedule", {"reason": "Chậm", "new_due_date": dt.date(2019, 5, 20)}),
            ("await_payment", {"reason": "Phí"}),
            ("payment_received", {}),
            ("resolve", {}),
            ("return", {"return_channel": "counter"}),
        ]
        dossiers = []
        with clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
            for n, proc in enumerate(procedures * 2):
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
            fill(s)
            for k, (action, details) in enumerate(steps):
                # weeks apart: the dossiers go overdue between the steps
                at = day + dt.timedelta(days=20 + 17 * k)
                for d in dossiers[: 12 - k]:
                    if action in lifecycle.allowed_actions(d):
                        lifecycle.transition(s, d, action, user, at, **details)
                assert_current(s)
                fill(s)
            for d in dossiers[-3:]:
                for action in ("withdraw", "stop"):
                    if action in lifecycle.allowed_actions(d):
                        lifecycle.transition(
                            s, d, action, user, day + dt.timedelta(days=190), "Rút"
                        )
                        break
            assert_current(s)
            s.commit()
            for date_from, date_to in [
                reports.month_period(2019, 4),
                reports.month_period(2019, 6),
                reports.cutoff_period(2019, 5),
                reports.quarter_period(2019, 2),
                reports.year_period(2019),
            ]:
                assert_same_report(s, date_from, date_to)


def test_normal_life_leaves_the_past_instants_alone(app):
    """An intake today, a dossier resolved today, an in-time dossier paused today: no instant
    that has passed goes stale; a pause of an overdue dossier does (its overdue count)."""
    with app.app_context():
        s = db.session
        _agencies, procedures = report_catalog(s)
        user = create_user("canbo_os2", "staff")
        today = dt.datetime(2019, 6, 20, 9, 0)
        with clock.frozen(today):
            old = []
            for n, due in enumerate((dt.date(2019, 6, 25), dt.date(2019, 6, 28), None)):
                d = Dossier(
                    procedure_id=procedures[n].id,
                    agency_id=procedures[n].agency_id,
                    applicant_name=f"A{n}",
                    channel="direct",
                    status=Status.PROCESSING,
                    accepted_at=dt.datetime(2019, 5, 2, 8, 0),
                    due_date=due,
                )
                s.add(d)
                old.append(d)
            overdue = Dossier(
                procedure_id=procedures[0].id,
                agency_id=procedures[0].agency_id,
                applicant_name="Quá hạn",
                channel="direct",
                status=Status.PROCESSING,
                accepted_at=dt.datetime(2019, 4, 2, 8, 0),
                due_date=dt.date(2019, 5, 10),
            )
            s.add(overdue)
            s.flush()
            days = snaps.kept_days(dt.date(2019, 4, 1), today.date())
            fill(s, days)
            before = kept_state(s)

            new = Dossier(
                procedure_id=procedures[1].id,
                agency_id=procedures[1].agency_id,
                applicant_name="Mới",
                channel="online",
            )
            new.status = Status.SUBMITTED
            s.add(new)
            s.flush()
            lifecycle.accept_dossier(s, new, user, today, "000.00.00.H00")
            lifecycle.transition(s, old[0], "resolve", user, today)
            lifecycle.transition(s, old[1], "request_supplement", user, today, "Thiếu")
            s.flush()
            assert {d: kept_state(s)[d] for d in days} == {d: before[d] for d in days}

            lifecycle.transition(s, overdue, "request_supplement", user, today, "Thiếu")
            s.flush()
            after = kept_state(s)
            stale = [d for d in days if after[d][0] != before[d][0]]
            # due 10 May: overdue on the 11th, so at the instants from 12 May (judged on the
            # day before)
            assert stale == [dt.date(2019, 5, 15), dt.date(2019, 6, 1), dt.date(2019, 6, 15)]
            assert assert_current(s) == len(days) - 3


def test_stale_in_the_transaction_of_the_change(app):
    """The version moves in the change's own transaction: rolled back with it."""
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        s = db.session
        _agencies, procedures = report_catalog(s)
        d = Dossier(
            procedure_id=procedures[0].id,
            agency_id=procedures[0].agency_id,
            applicant_name="x",
            status=Status.PROCESSING,
            accepted_at=dt.datetime(2019, 2, 3, 9),
            due_date=dt.date(2019, 2, 10),
        )
        s.add(d)
        s.flush()
        fill(s, [dt.date(2019, 3, 1)])
        s.commit()  # (a SAVEPOINT released: the test's transaction is rolled back at its end)
        before = kept_state(s)[dt.date(2019, 3, 1)]
        nested = s.begin_nested()
        d.due_date = dt.date(2019, 3, 5)  # no longer overdue on 28 February
        s.flush()
        assert kept_state(s)[dt.date(2019, 3, 1)][0] == before[0] + 1
        nested.rollback()
        assert kept_state(s)[dt.date(2019, 3, 1)] == before


def test_report_reads_the_kept_instants(app):
    """Once kept, the stocks are read from open_snapshot_row: a count changed behind the
    hook's back shows in the report, and a forget() puts it right."""
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        s = db.session
        _agencies, procedures = report_catalog(s)
        rnd = random.Random(3)
        s.add_all([random_dossier(rnd, procedures) for _ in range(60)])
        s.flush()
        period = reports.month_period(2019, 3)
        fill(s, [dt.date(2019, 3, 1), dt.date(2019, 4, 1)])
        totals = reports.build_report(s, *period)["totals"]
        row = (
            s.execute(select(OpenSnapshotRow).where(OpenSnapshotRow.day == dt.date(2019, 3, 1)))
            .scalars()
            .first()
        )
        s.execute(
            update(OpenSnapshotRow)
            .where(
                OpenSnapshotRow.day == row.day,
                OpenSnapshotRow.agency_id == row.agency_id,
                OpenSnapshotRow.procedure_id == row.procedure_id,
            )
            .values(open=OpenSnapshotRow.open + 7)
            .execution_options(synchronize_session=False)
        )
        assert reports.build_report(s, *period)["totals"]["carried_over"] == (
            totals["carried_over"] + 7
        )
        snaps.forget(s, [dt.date(2019, 3, 1)])
        assert reports.build_report(s, *period)["totals"] == totals


def test_a_view_keeps_what_it_counted_unless_changed_meanwhile(app):
    """keep() stores an instant only if its version did not move after it was read; an
    instant never seen gets its version row first; future instants are never kept."""
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        s = db.session
        _agencies, procedures = report_catalog(s)
        rnd = random.Random(8)
        s.add_all([random_dossier(rnd, procedures) for _ in range(30)])
        s.flush()
        day = dt.date(2019, 4, 15)
        future = dt.date(2019, 10, 1)

        def count(d):
            return reports.open_at(s, d)

        s.execute(delete(OpenSnapshot))  # (the flush of the dossiers made version rows)
        _out, pending = snaps.read(s, [day, future], count)
        assert [p[0] for p in pending] == [day] and pending[0][1] is None
        snaps.keep(s, pending)
        assert kept_state(s)[day] == (0, None)
        _out, pending = snaps.read(s, [day], count)
        snaps.forget(s, [day])  # a change committed while it was counted
        snaps.keep(s, pending)
        assert kept_state(s)[day] == (1, None)
        _out, pending = snaps.read(s, [day], count)
        snaps.keep(s, pending)
        assert kept_state(s)[day] == (1, 1)
        assert stored(s, day) == live(s, day)
        assert future not in kept_state(s)


def test_bulk_writes_make_every_instant_stale(app):
    """Rows inserted past the ORM (the seed) are followed by gather_statistics: every instant
    stale, and version rows from the first acceptance on."""
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        s = db.session
        _agencies, procedures = report_catalog(s)
        rnd = random.Random(9)
        s.add_all([random_dossier(rnd, procedures) for _ in range(30)])
        s.flush()
        fill(s)
        s.execute(
            insert(Dossier.__table__).values(
                procedure_id=procedures[0].id,
                agency_id=procedures[0].agency_id,
                applicant_name="bulk",
                channel="direct",
                applicant_kind="citizen",
                status=Status.PROCESSING,
                accepted_at=dt.datetime(2018, 10, 3, 9),
                due_date=dt.date(2018, 10, 10),
                due_in_hours=False,
                set_count=1,
                version=1,
            )
        )
        gather_statistics(s, ("dossier",))
        state = kept_state(s)
        assert all(v != f for v, f in state.values())
        assert min(state) == dt.date(2018, 10, 15)
        fill(s, snaps.kept_days(dt.date(2018, 10, 1), TODAY))
        assert assert_current(s) == len(kept_state(s))
        assert_same_report(s, *reports.month_period(2019, 1))


@pytest.mark.parametrize("period", ["2019-02", "2019-03"])
def test_report_page_keeps_the_instants(app, client, period):
    """The report page stores the instants it counted (aside, committed), and the next view
    reads them."""
    with app.app_context(), clock.frozen(dt.datetime.combine(TODAY, dt.time(10))):
        _agencies, procedures = report_catalog(db.session)
        rnd = random.Random(4)
        db.session.add_all([random_dossier(rnd, procedures) for _ in range(20)])
        create_user("quanly_os", "manager")
        db.session.commit()
        login(client, "quanly_os")
        for _ in range(2):
            assert client.get(f"/report/?preset=month&month={period}").status_code == 200
        first = dt.date.fromisoformat(period + "-01")
        state = kept_state(db.session)
        assert state[first][0] == state[first][1]
        assert stored(db.session, first) == live(db.session, first)
