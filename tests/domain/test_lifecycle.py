"""domain/lifecycle.py: intake, the transition table of §3, pauses moving the due date (§5),
apologies, refusals that change nothing, and the audit trail of transitions."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from domain import deadlines
from domain import lifecycle as lc
from domain.status import Status
from models import AuditLog, Dossier, DossierEvent, DossierPause, Procedure, db
from tests.factories import create_agency, create_user

UNIT = "000.00.20.H37"
T = dt.datetime


@pytest.fixture
def world(db_session):
    agency = create_agency()
    clerk = create_user("clerk", "staff", [agency])
    proc = Procedure(code="1.000001", name="Cấp giấy phép lái xe", agency=agency, processing_days=3)
    same_day = Procedure(
        code="1.000002",
        name="Chứng thực bản sao",
        agency=agency,
        processing_days=0,
        four_on_spot=True,
    )
    db_session.add_all([proc, same_day])
    db_session.commit()
    return {"agency": agency, "proc": proc, "same_day": same_day, "clerk": clerk}


def _intake(world, at=dt.datetime(2019, 1, 26, 9, 30), proc="proc"):
    dossier = Dossier(procedure=world[proc], applicant_name="Nguyễn Văn A", channel="direct")
    lc.accept_dossier(db.session, dossier, world["clerk"], at, UNIT)
    db.session.commit()
    return dossier


def _step(world, dossier, action, at, **kwargs):
    """The clerk moves the dossier along (domain.lifecycle.transition)."""
    lc.transition(db.session, dossier, action, world["clerk"], at, **kwargs)


def _events(dossier):
    return db.session.scalars(
        select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.id)
    ).all()


def test_intake_sets_code_clock_due_date_agency_and_event(world):
    d1 = _intake(world)
    d2 = _intake(world, at=T(2019, 1, 26, 10, 0))
    assert d1.code == f"{UNIT}-190126-0001" and d2.code == f"{UNIT}-190126-0002"
    assert d1.status == Status.ACCEPTED and d1.accepted_at == T(2019, 1, 26, 9, 30)
    assert d1.due_date == dt.date(2019, 1, 31)  # §5 example: Saturday + 3 -> Thursday
    assert d1.agency_id == world["agency"].id and d1.received_by_id == world["clerk"].id
    (event,) = _events(d1)
    assert (event.from_status, event.to_status, event.user_id) == (None, 2, world["clerk"].id)


def test_full_path_with_pause_moves_the_due_date(world):
    d = _intake(world)  # due 31/01/2019
    _step(world, d, "transfer", T(2019, 1, 28, 10, 30))
    _step(world, d, "request_supplement", T(2019, 1, 28, 15, 0), reason="Thiếu bản sao CMND")
    assert d.status == Status.AWAITING_SUPPLEMENT
    _step(world, d, "supplement_received", T(2019, 1, 30, 8, 0))
    db.session.commit()
    # Pause 28/01 -> 30/01: two working days (29, 30); 31/01 + 2 over Tết -> 11/02.
    assert d.due_date == dt.date(2019, 2, 11)
    (pause,) = db.session.scalars(select(DossierPause).where(DossierPause.dossier_id == d.id))
    assert (pause.kind, pause.started_on, pause.ended_on) == (
        "supplement",
        dt.date(2019, 1, 28),
        dt.date(2019, 1, 30),
    )
    _step(world, d, "await_payment", T(2019, 2, 11, 9, 0), reason="Nộp lệ phí")
    _step(world, d, "payment_received", T(2019, 2, 11, 16, 0))
    assert d.due_date == dt.date(2019, 2, 11)  # same-day pause: nothing moves
    _step(world, d, "resolve", T(2019, 2, 11, 16, 30))
    _step(
        world,
        d,
        "return",
        T(2019, 2, 12, 8, 0),
        return_channel="postal",
        postal_tracking_no="EL123456789VN",
    )
    db.session.commit()
    assert d.status == Status.RETURNED and d.return_channel == "postal"
    assert d.postal_tracking_no == "EL123456789VN"
    assert d.resolved_at == T(2019, 2, 11, 16, 30) and d.returned_at == T(2019, 2, 12, 8, 0)
    assert [(e.from_status, e.to_status) for e in _events(d)] == [
        (None, 2),
        (2, 4),
        (4, 5),
        (5, 4),
        (4, 6),
        (6, 4),
        (4, 9),
        (9, 10),
    ]
    transfer = _events(d)[1]
    assert transfer.to_unit == world["agency"].name and transfer.from_unit == lc.CENTER_UNIT


def test_same_day_resolution_from_accepted(world):
    d = _intake(world, at=T(2019, 3, 4, 8, 0), proc="same_day")
    assert d.due_date == dt.date(2019, 3, 4)
    _step(world, d, "resolve", T(2019, 3, 4, 10, 0))
    assert d.status == Status.RESOLVED


DISALLOWED = [
    (Status.ACCEPTED, "supplement_received"),
    (Status.ACCEPTED, "return"),
    (Status.ACCEPTED, "stop"),
    (Status.RESOLVED, "withdraw"),
    (Status.RETURNED, "resolve"),
    (Status.REFUSED, "transfer"),
    (Status.PROCESSING, "transfer"),
    (Status.AWAITING_SUPPLEMENT, "resolve"),
    (Status.PROCESSING, "accept"),
    (Status.PROCESSING, "no_such_action"),
]
NEEDS_REASON = [
    ("request_supplement", Status.PROCESSING),
    ("await_payment", Status.PROCESSING),
    ("withdraw", Status.ACCEPTED),
    ("stop", Status.PROCESSING),
    ("reschedule", Status.PROCESSING),
    ("refuse", Status.SUBMITTED),
]


def test_disallowed_transition_changes_nothing(world):
    d = _intake(world)
    for status, action in DISALLOWED:
        d.status = status
        db.session.commit()
        before = (d.status, d.due_date, d.version, len(_events(d)))
        with pytest.raises(lc.LifecycleError) as info:
            _step(world, d, action, T(2019, 2, 1, 9, 0), reason="x")
        assert info.value.msgid, (status, action)
        db.session.rollback()
        assert (d.status, d.due_date, d.version, len(_events(d))) == before, (status, action)


def test_reason_is_required(world):
    d = _intake(world)
    for action, status in NEEDS_REASON:
        d.status = status
        db.session.commit()
        with pytest.raises(lc.LifecycleError, match="reason"):
            _step(world, d, action, T(2019, 2, 1), reason="  ", new_due_date=dt.date(2019, 3, 1))
        db.session.rollback()
        assert d.status == status and not d.pauses, action


def test_withdraw_and_stop_close_the_dossier(world):
    d = _intake(world)
    _step(world, d, "transfer", T(2019, 1, 28, 9, 0))
    _step(world, d, "await_payment", T(2019, 1, 28, 10, 0), reason="Chờ nộp thuế")
    _step(world, d, "stop", T(2019, 1, 29, 10, 0), reason="Không nộp thuế")
    db.session.commit()
    assert d.status == Status.STOPPED and d.closed_at == T(2019, 1, 29, 10, 0)
    assert d.pauses[0].ended_on == dt.date(2019, 1, 29)
    assert _events(d)[-1].reason == "Không nộp thuế"
    assert lc.allowed_actions(d) == []


def test_online_submission_accepted_later_or_refused(world):
    s1 = Dossier(
        procedure=world["proc"],
        agency_id=world["agency"].id,
        applicant_name="B",
        channel="online",
        status=Status.SUBMITTED,
        submitted_at=T(2019, 2, 2, 22, 0),
    )
    s2 = Dossier(
        procedure=world["proc"],
        agency_id=world["agency"].id,
        applicant_name="C",
        channel="online",
        status=Status.SUBMITTED,
        submitted_at=T(2019, 2, 2, 22, 5),
    )
    db.session.add_all([s1, s2])
    db.session.commit()
    # A supplement may be asked before acceptance (Mẫu 02 of TT 03/2025, issue 13).
    assert set(lc.allowed_actions(s1)) == {"accept", "refuse", "withdraw", "request_supplement"}
    lc.accept_dossier(db.session, s1, world["clerk"], T(2019, 2, 11, 8, 0), UNIT)
    _step(world, s2, "refuse", T(2019, 2, 11, 8, 5), reason="Không thuộc thẩm quyền")
    db.session.commit()
    assert s1.code == f"{UNIT}-190211-0001" and s1.due_date == dt.date(2019, 2, 14)
    assert [(e.from_status, e.to_status) for e in _events(s1)] == [(1, 2)]
    assert s2.status == Status.REFUSED and s2.code is None and s2.closed_at is not None
    with pytest.raises(lc.LifecycleError):
        lc.accept_dossier(db.session, s2, world["clerk"], T(2019, 2, 11, 9, 0), UNIT)


def test_reschedule_once_while_processing(world):
    d = _intake(world)
    with pytest.raises(lc.LifecycleError):  # not yet processing
        _step(
            world, d, "reschedule", T(2019, 1, 30), reason="Trễ", new_due_date=dt.date(2019, 2, 14)
        )
    _step(world, d, "transfer", T(2019, 1, 28, 9, 0))
    with pytest.raises(lc.LifecycleError):  # not after the due date
        _step(
            world, d, "reschedule", T(2019, 1, 30), reason="Trễ", new_due_date=dt.date(2019, 1, 31)
        )
    _step(world, d, "reschedule", T(2019, 1, 30), reason="Trễ", new_due_date=dt.date(2019, 2, 14))
    db.session.commit()
    assert d.rescheduled_due_date == dt.date(2019, 2, 14) and d.due_date == dt.date(2019, 1, 31)
    assert deadlines.effective_due_date(d) == dt.date(2019, 2, 14)
    assert "reschedule" not in lc.allowed_actions(d)
    with pytest.raises(lc.LifecycleError, match="already"):
        _step(
            world, d, "reschedule", T(2019, 2, 1), reason="Lại", new_due_date=dt.date(2019, 2, 20)
        )


def test_return_by_post_needs_a_tracking_number(world):
    d = _intake(world, proc="same_day")
    _step(world, d, "resolve", T(2019, 1, 28, 9, 0))
    with pytest.raises(lc.LifecycleError, match="tracking"):
        _step(world, d, "return", T(2019, 1, 28, 10, 0), return_channel="postal")
    assert d.status == Status.RESOLVED


def test_transition_many_is_all_or_nothing(world):
    a, b = _intake(world), _intake(world)
    _step(world, b, "transfer", T(2019, 1, 28, 9, 0))
    db.session.commit()
    with pytest.raises(lc.LifecycleError):
        lc.transition_many(db.session, [a, b], "transfer", world["clerk"], T(2019, 1, 28, 9, 5))
    db.session.rollback()
    assert a.status == Status.ACCEPTED and len(_events(a)) == 1


def test_transitions_write_audit_rows(world):
    db.session.info["actor"] = (world["clerk"].id, "10.0.0.7")
    try:
        d = _intake(world)
        _step(world, d, "transfer", T(2019, 1, 28, 9, 0))
        db.session.commit()
        rows = db.session.scalars(
            select(AuditLog)
            .where(AuditLog.table_name == "dossier", AuditLog.row_id == d.id)
            .order_by(AuditLog.id)
        ).all()
        assert [r.action for r in rows] == ["insert", "update"]
        assert rows[1].changes["status"] == [2, 4] and rows[1].user_id == world["clerk"].id
        assert rows[1].ip == "10.0.0.7"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.table_name == "dossier_event")
            )
            == 2
        )
    finally:
        db.session.info.pop("actor", None)
