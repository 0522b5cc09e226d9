"""The report's late list (reports.late_dossiers) on random data: its dossiers are those of the
late figures, and each item's officer and reason (read in its one statement: reports.last_events)
equal a walk through the dossier's events in order — events after the period, at the same
instant (ordered by id), without a user, of a user without a name, apologies without a reason."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from domain import reports
from models import Dossier, DossierEvent, User
from tests.factories import report_catalog

PERIOD = (dt.date(2019, 3, 1), dt.date(2019, 3, 31))


def expected_officer_and_reason(session, dossier_id: int, end: dt.datetime) -> tuple:
    """The dossier's events before `end` walked in order: the last user with a name (or a user
    name) and the last reason of an event that kept the status."""
    officer = reason = None
    events = session.execute(
        select(DossierEvent, User)
        .outerjoin(User, User.id == DossierEvent.user_id)
        .where(DossierEvent.dossier_id == dossier_id, DossierEvent.at < end)
        .order_by(DossierEvent.at, DossierEvent.id)
    )
    for event, user in events:
        if user is not None and (user.full_name or user.username):
            officer = user.full_name or user.username
        if event.from_status == event.to_status and event.reason:
            reason = event.reason
    return officer, reason


def random_late_data(session, rnd) -> None:
    _agencies, procedures = report_catalog(session)
    users = [
        User(username="u1", full_name="Cán bộ Một", role="staff", password_hash="x"),
        User(username="u2", full_name="", role="staff", password_hash="x"),
        User(username="u3", full_name="Cán bộ Ba", role="staff", password_hash="x"),
    ]
    session.add_all(users)
    session.flush()
    for n in range(60):
        proc = rnd.choice(procedures)
        accepted = dt.datetime(2019, 2, 1, 8) + dt.timedelta(days=rnd.randrange(50))
        status = rnd.choice((4, 4, 5, 9, 10))
        resolved = accepted + dt.timedelta(days=rnd.randrange(1, 40), hours=3)
        dossier = Dossier(
            code=f"L{n:03}",
            procedure_id=proc.id,
            agency_id=proc.agency_id,
            applicant_name="x",
            channel="direct",
            status=status,
            accepted_at=accepted,
            due_date=accepted.date() + dt.timedelta(days=rnd.randrange(-2, 10)),
            resolved_at=resolved if status in (9, 10) else None,
        )
        session.add(dossier)
        session.flush()
        at = accepted
        for _ in range(rnd.randrange(6)):
            if rnd.random() < 0.7:  # some events at the same instant: ordered by id
                at += dt.timedelta(days=rnd.randrange(0, 20))
            same = rnd.random() < 0.5
            session.add(
                DossierEvent(
                    dossier_id=dossier.id,
                    from_status=4 if same else rnd.choice((None, 2, 4)),
                    to_status=4,
                    at=at,
                    user_id=rnd.choice([None, *(u.id for u in users)]),
                    reason=rnd.choice((None, "", "Chậm do xác minh", f"lý do {n}")),
                )
            )
    session.flush()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_late_list_officer_and_reason_from_the_events(db_session, seed):
    session = db_session
    random_late_data(session, random.Random(seed))
    report = reports.build_report(session, *PERIOD)
    late = report["late_dossiers"]
    totals = report["totals"]
    assert len(late) == totals["resolved_late"] + totals["pending_overdue"] > 0
    assert sorted(d["id"] for d in late) == sorted(
        reports.late_dossier_ids_from_dossiers(session, *PERIOD)
    )
    end = dt.datetime.combine(PERIOD[1] + dt.timedelta(days=1), dt.time())
    got = {d["id"]: (d["officer"], d["reason"]) for d in late}
    assert got == {i: expected_officer_and_reason(session, i, end) for i in got}
    assert any(officer for officer, _ in got.values())
    assert any(reason for _, reason in got.values())
    assert "u2" in {officer for officer, _ in got.values()}  # a user without a name
