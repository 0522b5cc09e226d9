"""Notices to applicants (issue 15 point 4), the queueing side: which changes queue which notice,
in the same transaction as the change, on the channels the applicant gave; the acceptance
notice's look-up link; templates rendered in a sandbox with the whitelisted variables only."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy.exc
from sqlalchemy import func, select

from domain import lifecycle as lc
from domain import lookup
from domain import notifications as nt
from domain.feedback import apply_answer
from domain.status import Status
from models import Agency, Dossier, Feedback, Notice, NoticeTemplate, Procedure, User, db
from tests.support import make_app, reset_schema

pytestmark = pytest.mark.commits  # real commits: a failing one, and a fresh database

UNIT = "000.00.20.H37"
AT = dt.datetime(2026, 11, 2, 9, 0)
ID_NUMBER = "020190001234"


def new_dossier(email="hoa.tran@example.com", phone="0912 345 678", procedure=None):
    if procedure is None:
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(
            code="1.000001", agency=agency, processing_days=5, name="Cấp đổi giấy phép lái xe"
        )
        db.session.add(procedure)
    staff = db.session.scalar(select(User).where(User.username == "staff1"))
    dossier = Dossier(
        procedure=procedure,
        applicant_name="Trần Thị Hoà",
        id_number=ID_NUMBER,
        phone=phone,
        email=email,
        address="12 Lê Lợi",
    )
    lc.accept_dossier(db.session, dossier, staff, AT, UNIT)
    return dossier, staff


def notices(**where):
    return db.session.scalars(select(Notice).filter_by(**where).order_by(Notice.id)).all()


def test_acceptance_queues_one_notice_per_channel_given(app, users):
    with app.app_context():
        dossier, _ = new_dossier()
        db.session.commit()
        queued = notices(dossier_id=dossier.id)
        assert [(n.event, n.channel, n.recipient) for n in queued] == [
            ("accepted", "email", "hoa.tran@example.com"),
            ("accepted", "sms", "0912345678"),
            ("accepted", "zalo", "0912345678"),
        ]
        assert all(n.status == "queued" and n.attempts == 0 for n in queued)
        # due after the receipt had time to be printed (its secret goes into the link)
        assert queued[0].next_attempt_at == AT + nt.ACCEPT_DELAY
        assert queued[0].context["code"] == dossier.code
        assert queued[0].context["due_date"] == dossier.due_date.strftime("%d/%m/%Y")
        assert queued[0].context["procedure"] == "Cấp đổi giấy phép lái xe"
        assert ID_NUMBER not in str(queued[0].context)
        assert "Trần Thị Hoà" not in str(queued[0].context)


@pytest.mark.parametrize(
    "email, phone, channels",
    [
        (None, None, []),
        ("", "  ", []),
        ("not-an-email", "12", []),
        ("a@b.vn", None, ["email"]),
        (None, "+84 912 345 678", ["sms", "zalo"]),
    ],
)
def test_no_address_no_notice_for_that_channel(app, users, email, phone, channels):
    with app.app_context():
        dossier, _ = new_dossier(email=email, phone=phone)
        db.session.commit()
        assert [n.channel for n in notices(dossier_id=dossier.id)] == channels


def test_life_cycle_events_queue_their_notices(app, users):
    with app.app_context():
        dossier, staff = new_dossier(phone=None)
        at = AT + dt.timedelta(days=1)
        lc.transition(db.session, dossier, "transfer", staff, at)
        lc.transition(db.session, dossier, "request_supplement", staff, at, reason="Bản sao")
        lc.transition(db.session, dossier, "supplement_received", staff, at)
        lc.transition(
            db.session,
            dossier,
            "reschedule",
            staff,
            at,
            reason="Chờ ý kiến",
            new_due_date=dossier.due_date + dt.timedelta(days=7),
        )
        lc.transition(db.session, dossier, "resolve", staff, at)
        lc.transition(db.session, dossier, "return", staff, at)
        db.session.commit()
        assert [n.event for n in notices(dossier_id=dossier.id)] == [
            "accepted",
            "supplement_requested",
            "rescheduled",
            "result_ready",
        ]
        apology = notices(event="rescheduled")[0]
        assert apology.context["due_date"] == dossier.rescheduled_due_date.strftime("%d/%m/%Y")
        assert apology.next_attempt_at == at


def test_a_failing_change_leaves_no_notice(app, users):
    """The notice is written in the change's transaction: when the commit fails, neither the
    change nor the notice is there."""
    with app.app_context():
        dossier, staff = new_dossier()
        db.session.commit()
        dossier_id = dossier.id
        lc.transition(db.session, dossier, "transfer", staff, AT)
        lc.transition(db.session, dossier, "resolve", staff, AT)
        assert len(notices(event="result_ready")) == 3  # flushed, in this transaction
        dossier.status = 99  # refused by the status check constraint at the commit
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert notices(event="result_ready") == []
        assert db.session.get(Dossier, dossier_id).status == Status.ACCEPTED


def test_a_refused_transition_queues_nothing(app, users):
    with app.app_context():
        dossier, staff = new_dossier()
        db.session.commit()
        with pytest.raises(lc.LifecycleError):  # not from "accepted": nothing was changed
            lc.transition(db.session, dossier, "request_supplement", staff, AT, reason="x")
        db.session.commit()
        assert [n.event for n in notices(dossier_id=dossier.id)] == ["accepted"] * 3


def test_feedback_answer_queues_a_notice_to_the_contact_once(app, users):

    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        item = Feedback(
            channel="email",
            received_at=AT,
            sender="Ông Bình",
            contact="binh@example.vn",
            subject="Thái độ",
            content="...",
            due_date=dt.date(2026, 11, 16),
            status="new",
        )
        db.session.add(item)
        item.answer = "Đã chấn chỉnh."
        apply_answer(item, staff, AT + dt.timedelta(days=2), db.session)
        db.session.commit()
        apply_answer(item, staff, AT + dt.timedelta(days=3), db.session)  # edited again
        db.session.commit()
        queued = notices(feedback_id=item.id)
        assert [(n.event, n.channel, n.recipient) for n in queued] == [
            ("feedback_answered", "email", "binh@example.vn")
        ]
        assert queued[0].context["received_on"] == "02/11/2026"


def test_printing_the_receipt_gives_the_waiting_acceptance_notice_its_secret(app, users):

    with app.app_context():
        dossier, _ = new_dossier(phone=None)
        db.session.commit()
        first, _count = lookup.issue_secret(db.session, dossier, AT)
        second, _count = lookup.issue_secret(db.session, dossier, AT)  # a reprint
        db.session.commit()
        notice = notices(dossier_id=dossier.id)[0]
        assert notice.lookup_secret == second != first
        link = nt.lookup_link("https://dichvucong.example.vn/", dossier.code, second)
        assert link == (
            "https://dichvucong.example.vn/tra-cuu/?code="
            + dossier.code
            + "&secret="
            + lookup.display_secret(second)
        )
        assert lookup.find(db.session, dossier.code, lookup.display_secret(second)) is not None


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ code.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ id_number }}",
        "{{ applicant_name }}",
        "{{ config }}",
        "{% for x in range(10**9) %}{% endfor %}",
        "{{ code",
        "x" * (nt.MAX_TEMPLATE_LENGTH + 1),
        "{{ code * 1000000000 }}",
        "{{ code|center(1000000000) }}",
        "{% for a in code %}{% for b in code %}{% endfor %}{% endfor %}",
        "{% set x = code %}",
        "{{ lipsum() }}",
        "{{ code.format_map({}) }}",
        "{{ self.__init__ }}",
        "{{ code|attr('__class__') }}",
    ],
)
def test_unsafe_or_unknown_templates_are_refused(text):
    with pytest.raises(nt.NoticeTemplateError):
        nt.check_template(text)


def test_the_default_templates_render_in_vietnamese():
    for subject, body in nt.DEFAULT_TEMPLATES.values():
        nt.check_template(subject)
        nt.check_template(body)
    subject, body = nt.DEFAULT_TEMPLATES[("accepted", "email")]
    text = nt.render(body, nt.SAMPLE_CONTEXT)
    assert "đã tiếp nhận hồ sơ 000.00.01.H01-250701-0001" in text
    assert "Ngày hẹn trả kết quả: 15/07/2025" in text
    assert "Tra cứu tình trạng hồ sơ: https://motcua.example.vn/tra-cuu/" in text
    assert (
        nt.render(subject, nt.SAMPLE_CONTEXT) == "Hồ sơ 000.00.01.H01-250701-0001 đã được tiếp nhận"
    )


def test_the_migration_seeds_the_templates_and_ensure_templates_restores_them(app, tmp_path):

    fresh = make_app(f"sqlite:///{tmp_path / 'fresh.db'}")
    reset_schema(fresh)
    with fresh.app_context():
        rows = db.session.scalars(select(NoticeTemplate)).all()
        assert {(r.event, r.channel): (r.subject, r.body) for r in rows} == nt.DEFAULT_TEMPLATES
        db.session.remove()
    with app.app_context():  # the tests empty the tables: the defaults stand in
        assert (
            nt.template_texts(db.session, "accepted", "sms")
            == nt.DEFAULT_TEMPLATES[("accepted", "sms")]
        )
        assert nt.ensure_templates(db.session) == len(nt.DEFAULT_TEMPLATES) == 15
        db.session.commit()
        assert db.session.scalar(select(func.count(NoticeTemplate.id))) == 15
        assert nt.ensure_templates(db.session) == 0
