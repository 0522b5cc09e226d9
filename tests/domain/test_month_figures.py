"""The dashboard's kept month figures (issue 16) against counting the dossiers and payments
again: equal after every kind of change made through the ORM, never kept when a change came
while they were counted, read without touching the dossiers once kept."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from domain import month_figures as mf
from domain import periods, report_days
from domain.sql import gather_statistics
from models import Agency, Dossier, FigureMonthRow, Payment, Procedure, db
from tests.support import statements_of

FIRST, TODAY = dt.date(2019, 1, 1), dt.date(2019, 12, 17)  # December counted live
END_OF_YEAR = dt.date(2019, 12, 31)
CHANNELS = ("direct", "online", "postal")


def moment(rng, start=dt.date(2018, 11, 1), days=440) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange(days))
    # midnight and 23:59:59 among the times: the month's edges
    return dt.datetime.combine(day, rng.choice([dt.time(0), dt.time(9, 30), dt.time(23, 59, 59)]))


def random_dossier(rng, procedures) -> Dossier:
    proc = rng.choice(procedures)
    accepted = moment(rng)
    status = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    d = Dossier(
        applicant_name="Nguyễn Văn A",
        procedure=proc,
        agency_id=proc.agency_id,
        channel=rng.choice(CHANNELS),
        accepted_at=accepted,
        due_date=(accepted + dt.timedelta(days=rng.randrange(-3, 20))).date(),
        status=status,
    )
    if status in (9, 10):
        d.resolved_at = accepted + dt.timedelta(days=rng.randrange(0, 40), hours=2)
    if status in (7, 8):
        d.closed_at = accepted + dt.timedelta(days=rng.randrange(0, 40), hours=3)
    if rng.random() < 0.1:  # a limit in hours, closed after its moment or not
        d.due_in_hours = True
        d.due_at = dt.datetime.combine(d.due_date, dt.time(11, 0))
        if d.resolved_at is not None:
            d.closed_at = d.resolved_at
    for _ in range(rng.randrange(3)):
        d.payments.append(
            Payment(
                amount_vnd=rng.randrange(1, 50) * 10_000,
                method="cash",
                paid_at=moment(rng),
                cancelled_at=dt.datetime(2020, 1, 2) if rng.random() < 0.2 else None,
            )
        )
    return d


def seeded(seed: int, dossiers: int):
    """(random generator, agencies, procedures) with `dossiers` random dossiers flushed."""
    rng = random.Random(seed)
    agencies, procedures = catalog()
    db.session.add_all(random_dossier(rng, procedures) for _ in range(dossiers))
    db.session.flush()
    return rng, agencies, procedures


def catalog():
    agencies = [Agency(code=f"A{i}", name=f"Sở {i}", sort_order=i) for i in range(3)]
    procedures = [
        Procedure(code=f"1.00000{i}", name=f"Thủ tục {i}", agency=a, processing_days=5)
        for i, a in enumerate(agencies)
    ]
    db.session.add_all(agencies + procedures)
    db.session.flush()
    return agencies, procedures


def change(rng, procedures, agencies) -> str:
    """One random change through the ORM, as the screens and the lifecycle make them."""
    dossiers = db.session.scalars(select(Dossier)).all()
    d = rng.choice(dossiers)
    kind = rng.choice(
        [
            "late",
            "hours",
            "status",
            "resolve",
            "close",
            "accepted",
            "due",
            "agency",
            "channel",
            "new",
            "pay",
            "cancel",
            "paid_at",
            "unpay",
        ]
    )
    resolved = [
        d
        for d in dossiers
        if d.status in (9, 10) and d.resolved_at and FIRST <= d.resolved_at.date() <= TODAY
    ]
    if kind in ("late", "hours"):
        d = rng.choice(resolved)
        day = d.resolved_at.date()
    if kind == "late":  # on time becomes late, or late on time
        d.due_date = day - dt.timedelta(days=1) if d.due_date >= day else day
    elif kind == "hours":  # a limit in hours: its moment after the result, or before
        d.due_date, d.due_in_hours = day, True
        late = d.due_at is not None and d.due_at < d.resolved_at
        d.due_at = d.resolved_at + dt.timedelta(minutes=30 if late else -30)
    elif kind == "status":
        d.status = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    elif kind == "resolve":
        d.status, d.resolved_at = rng.choice([9, 10]), moment(rng)
    elif kind == "close":
        d.status, d.closed_at = rng.choice([7, 8]), moment(rng)
    elif kind == "accepted":
        d.accepted_at = moment(rng)
    elif kind == "due":
        d.due_date = moment(rng).date()
    elif kind == "agency":
        d.agency_id = rng.choice(agencies).id
    elif kind == "channel":
        d.channel = rng.choice(CHANNELS)
    elif kind == "new":
        db.session.add(random_dossier(rng, procedures))
    elif kind == "pay":
        d.payments.append(Payment(amount_vnd=70_000, method="cash", paid_at=moment(rng)))
    else:
        paid = db.session.scalars(select(Payment)).all()
        p = rng.choice(paid)
        if kind == "cancel":
            p.cancelled_at = None if p.cancelled_at else dt.datetime(2020, 1, 3)
        elif kind == "paid_at":
            p.paid_at = moment(rng)
        else:
            db.session.delete(p)
    db.session.flush()
    return kind


def test_kept_months_equal_counting_after_random_changes(app):
    with app.app_context():
        rng, agencies, procedures = seeded(16, 300)
        scopes = (None, [agencies[0].id], [agencies[1].id, agencies[2].id], [])
        for step in range(60):
            scope, last = scopes[step % 4], (TODAY, END_OF_YEAR)[step % 3 == 0]
            counted, pending = mf.figures(db.session, FIRST, last, scope)
            mf.keep(db.session, pending)
            assert counted == mf.count(db.session, FIRST, last, scope), (step, scope)
            kind = change(rng, procedures, agencies)
            counted, _ = mf.figures(db.session, FIRST, TODAY)
            assert counted == mf.count(db.session, FIRST, TODAY), kind


def test_whole_months_are_summed_as_their_days(app):
    """A whole month is read from report_month (kept by triggers on report_day), the days
    around it from report_day: after random changes, each month read whole equals the same
    month read as two runs of days (no whole month in either)."""
    with app.app_context():
        rng, agencies, procedures = seeded(11, 200)
        for _ in range(30):
            change(rng, procedures, agencies)
        whole = mf.count(db.session, FIRST, END_OF_YEAR)
        by_days: dict = {}
        for month in range(12):
            start = periods.add_months(FIRST, month)
            end = periods.add_months(start, 1) - dt.timedelta(days=1)
            for first, last in ((start, start), (start + dt.timedelta(days=1), end)):
                for key, value in mf.count(db.session, first, last).items():
                    by_days[key] = by_days.get(key, 0) + value
        assert whole and whole == by_days
        sent = statements_of(app, lambda: mf.count(db.session, FIRST, END_OF_YEAR))
        assert [s for s in sent if "FROM report_month" in s] and not [
            s for s in sent if "FROM report_day" in s
        ]


def test_a_removed_dossier_makes_its_months_stale(app):
    """A dossier removed from the database (not a screen's way: dossiers are withdrawn, not
    deleted; an import undone or a repair in the shell) leaves no count behind."""
    with app.app_context():
        seeded(17, 60)
        counted, pending = mf.figures(db.session, FIRST, TODAY)
        mf.keep(db.session, pending)
        gone = next(
            d
            for d in db.session.scalars(select(Dossier).order_by(Dossier.id))
            if not d.payments and d.accepted_at and FIRST <= d.accepted_at.date() <= TODAY
        )
        db.session.delete(gone)
        db.session.flush()
        assert mf.figures(db.session, FIRST, TODAY)[0] == mf.count(db.session, FIRST, TODAY)
        assert mf.figures(db.session, FIRST, TODAY)[0] != counted


def test_a_change_while_counting_is_not_kept(app):
    with app.app_context():
        rng, _, procedures = seeded(3, 50)
        counted, pending = mf.figures(db.session, FIRST, TODAY)
        known = {m for m, version, _ in pending if version is not None}  # changed through the ORM
        assert "2019-03" in known
        # Another request resolves a dossier in March before this one keeps its count.
        d = random_dossier(rng, procedures)
        d.status, d.accepted_at, d.resolved_at = (
            10,
            dt.datetime(2019, 3, 4),
            dt.datetime(2019, 3, 5),
        )
        db.session.add(d)
        db.session.flush()
        mf.keep(db.session, pending)
        again, pending = mf.figures(db.session, FIRST, TODAY)
        recounted = {m for m, _, _ in pending}
        assert "2019-03" in recounted and not (known - {"2019-03"}) & recounted
        assert again == mf.count(db.session, FIRST, TODAY) != counted


def test_kept_months_are_read_without_the_dossiers(app):
    with app.app_context():
        rng, _, procedures = seeded(5, 50)
        for _ in range(2):  # the version rows, then the figures
            mf.keep(db.session, mf.figures(db.session, FIRST, END_OF_YEAR)[1])
        sent = statements_of(app, lambda: mf.figures(db.session, FIRST, END_OF_YEAR))
        counting = ("dossier", "payment", "report_day", "report_month")
        assert len(sent) == 2 and not [s for s in sent if any(t in s for t in counting)]
        # Only the month not whole within the window is counted: one sum of its days' counts
        # and fees, neither the dossiers nor the payments read.
        sent = statements_of(app, lambda: mf.figures(db.session, FIRST, TODAY))
        assert len([s for s in sent if "FROM report_day" in s]) == 1
        assert not [s for s in sent if any(f"FROM {t}" in s for t in counting[:2] + counting[3:])]


def test_writes_past_the_orm_are_forgotten(app):
    """The bulk seed inserts past the ORM: its months are counted again after the ANALYZE that
    follows every bulk change."""
    with app.app_context():
        rng, agencies, procedures = seeded(7, 30)
        for _ in range(2):
            mf.keep(db.session, mf.figures(db.session, FIRST, END_OF_YEAR)[1])
        db.session.execute(
            insert(Dossier.__table__).values(
                applicant_name="Bulk",
                procedure_id=procedures[0].id,
                agency_id=agencies[0].id,
                channel="postal",
                accepted_at=dt.datetime(2019, 6, 3, 9),
                status=4,
                version=1,
            )
        )
        report_days.rebuild(db.session)  # as every bulk writer does (the seed, imports)
        assert mf.figures(db.session, FIRST, END_OF_YEAR)[0] != mf.count(
            db.session, FIRST, END_OF_YEAR
        )
        gather_statistics(db.session, ("dossier", "dossier_event"))  # run after every bulk change
        counted, pending = mf.figures(db.session, FIRST, END_OF_YEAR)
        assert counted == mf.count(db.session, FIRST, END_OF_YEAR) and len(pending) == 12
        mf.keep(db.session, pending)
        assert (
            db.session.scalar(
                select(FigureMonthRow.value).where(
                    FigureMonthRow.month == "2019-06",
                    FigureMonthRow.agency_id == agencies[0].id,
                    FigureMonthRow.figure == "received:postal",
                )
            )
            == counted[("2019-06", agencies[0].id, "received:postal")]
        )
