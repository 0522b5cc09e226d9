"""`flask notify send` (issue 15 point 4): a real SMTP server (aiosmtpd) on 127.0.0.1 receives
the e-mail; a refusing server gets retries with back-off, then the notice is dead; a server that
never answers costs the worker its timeout and never the clerk's request; SMS and Zalo against
a local HTTP stub; two workers at once never send a notice twice."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
import time
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from domain import lifecycle as lc
from domain import lookup
from domain import notify_send as ns
from models import Agency, Dossier, Notice, Procedure, User, db
from tests.factories import login

pytestmark = pytest.mark.commits  # workers in threads commit on their own connections

UNIT = "000.00.20.H37"
AT = dt.datetime(2026, 11, 2, 9, 0)
LATER = AT + dt.timedelta(hours=1)  # the acceptance notices are due
BASE = "https://dichvucong.example.vn"


# ---- real servers -------------------------------------------------------------------------
class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content, policy=email_policy),
            )
        )
        return "250 OK"


class Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


@pytest.fixture
def smtp_server():

    servers = []

    def start(handler):
        probe = socket.socket()  # a free port (aiosmtpd checks its own port once started)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        return port

    yield start
    for controller in servers:
        controller.stop()


@pytest.fixture
def hanging_server():
    """Accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted, stop = [], threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def http_stub():
    """A provider's API: records each POST (path, headers, JSON); answers `status`."""
    calls, answer = [], {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            calls.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", calls, answer
    server.shutdown()
    thread.join(2)


# ---- data ---------------------------------------------------------------------------------
def accepted_dossier(app, email="hoa.tran@example.com", phone=None) -> int:
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        procedure = db.session.scalar(
            select(Procedure).where(Procedure.code == "1.000001")
        ) or Procedure(
            code="1.000001", agency=agency, processing_days=5, name="Cấp đổi giấy phép lái xe"
        )
        dossier = Dossier(
            procedure=procedure,
            applicant_name="Trần Thị Hoà",
            id_number="020190001234",
            phone=phone,
            email=email,
        )
        lc.accept_dossier(db.session, dossier, staff, AT, UNIT)
        db.session.commit()
        return dossier.id


def run(app, now=LATER, **config):
    app.config.update({"PUBLIC_BASE_URL": BASE, **config})
    with app.app_context():
        try:
            return ns.send_due(db.session, app.config, lambda: now)
        finally:
            db.session.remove()


def outbox(app, **where):
    with app.app_context():
        rows = db.session.scalars(select(Notice).filter_by(**where).order_by(Notice.id)).all()
        db.session.expunge_all()
        return rows


def smtp_config(port, **extra):
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_FROM": "Trung tâm PVHCC <motcua@example.vn>",
        "SMTP_TIMEOUT": "2",
        **extra,
    }


# ---- tests --------------------------------------------------------------------------------
def test_the_acceptance_email_reaches_a_real_smtp_server_with_the_lookup_link(
    app, users, smtp_server
):
    inbox = Inbox()
    port = smtp_server(inbox)
    dossier_id = accepted_dossier(app)
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        code = dossier.code
        secret, _count = lookup.issue_secret(db.session, dossier, AT)  # the receipt is printed
        db.session.commit()
    assert run(app, now=AT + dt.timedelta(minutes=1), **smtp_config(port))["sent"] == 0  # not yet
    assert run(app, **smtp_config(port)) == {"sent": 1, "failed": 0, "dead": 0, "skipped": 0}
    ((sender, recipients, message),) = inbox.messages
    assert sender == "motcua@example.vn" and recipients == ["hoa.tran@example.com"]
    assert message["Subject"] == f"Hồ sơ {code} đã được tiếp nhận"
    assert message["To"] == "hoa.tran@example.com"
    body = message.get_content()
    assert f"đã tiếp nhận hồ sơ {code}" in body and "Cấp đổi giấy phép lái xe" in body
    link = f"{BASE}/tra-cuu/?code={code}&secret={lookup.display_secret(secret)}"
    assert link in body
    assert "020190001234" not in body and "Trần Thị Hoà" not in body
    (notice,) = outbox(app)
    assert notice.status == "sent" and notice.sent_at == LATER and notice.attempts == 1
    # what was sent is kept, the secret erased and masked
    assert notice.lookup_secret is None and secret not in notice.body
    assert "secret=%2A%2A%2A%2A%2A-%2A%2A%2A%2A%2A" in notice.body
    assert run(app, **smtp_config(port))["sent"] == 0 and len(inbox.messages) == 1


def test_a_refusing_server_gets_retries_with_back_off_then_the_notice_is_dead(
    app, users, smtp_server
):
    port = smtp_server(Refusing())
    accepted_dossier(app)
    config = smtp_config(port, NOTIFY_MAX_ATTEMPTS="3", NOTIFY_RETRY_SECONDS="60")
    assert run(app, **config)["failed"] == 1
    (notice,) = outbox(app)
    assert notice.status == "failed" and notice.attempts == 1
    assert notice.next_attempt_at == LATER + dt.timedelta(seconds=60)
    assert "550" in notice.last_error
    assert run(app, now=LATER + dt.timedelta(seconds=59), **config)["failed"] == 0  # not due
    second = LATER + dt.timedelta(seconds=60)
    assert run(app, now=second, **config)["failed"] == 1
    (notice,) = outbox(app)
    assert notice.attempts == 2 and notice.next_attempt_at == second + dt.timedelta(seconds=120)
    assert run(app, now=second + dt.timedelta(seconds=120), **config)["dead"] == 1
    (notice,) = outbox(app)
    assert notice.status == "dead" and notice.attempts == 3
    assert notice.attempt_log.count("\n") == 3 and "dead after 3 attempts" in notice.attempt_log
    assert run(app, now=second + dt.timedelta(days=1), **config) == {
        "sent": 0,
        "failed": 0,
        "dead": 0,
        "skipped": 0,
    }


def test_the_back_off_doubles_up_to_a_ceiling():
    assert [ns.retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert ns.retry_delay(30, 60) == ns.MAX_DELAY


def test_a_hanging_server_costs_the_worker_its_timeout_never_the_clerk(app, users, hanging_server):
    accepted_dossier(app)
    app.config.update(smtp_config(hanging_server, SMTP_TIMEOUT="1"))
    result = {}

    def worker():
        started = time.monotonic()
        result["counts"] = run(app, **smtp_config(hanging_server, SMTP_TIMEOUT="1"))
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=worker)
    thread.start()
    # Meanwhile a clerk accepts a dossier through the screen: not blocked by the worker.
    clerk = app.test_client()
    assert login(clerk, "staff1").status_code == 302
    with app.app_context():
        procedure_id = db.session.scalar(select(Procedure.id))
    started = time.monotonic()
    response = clerk.post(
        "/dossier/new/",
        data={
            "procedure": str(procedure_id),
            "applicant_name": "Lê Văn Tám",
            "applicant_kind": "citizen",
            "email": "tam.le@example.com",
            "channel": "direct",
        },
    )
    clerk_seconds = time.monotonic() - started
    thread.join(30)
    assert not thread.is_alive()
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert clerk_seconds < 1.0
    assert result["counts"]["failed"] == 1 and 0.9 < result["seconds"] < 10
    notice = outbox(app, recipient="hoa.tran@example.com")[0]
    assert notice.status == "failed" and "timed out" in notice.last_error.lower()
    (new,) = outbox(app, recipient="tam.le@example.com")  # the clerk's intake queued its notice
    assert new.status == "queued" and new.event == "accepted"


def test_sms_and_zalo_are_posted_as_json_with_the_token(app, users, http_stub):
    url, calls, answer = http_stub
    accepted_dossier(app, email=None, phone="0912.345.678")
    counts = run(
        app,
        SMS_API_URL=url + "/sms",
        SMS_API_TOKEN="sms-token-1",
        ZALO_API_URL=url + "/zalo",
        ZALO_API_TOKEN="zalo-token-2",
    )
    assert counts["sent"] == 2
    by_path = {path: (headers, payload) for path, headers, payload in calls}
    headers, payload = by_path["/sms"]
    assert headers["Authorization"] == "Bearer sms-token-1"
    assert headers["Content-Type"].startswith("application/json")
    assert payload["to"] == "0912345678" and payload["channel"] == "sms"
    assert "đã tiếp nhận hồ sơ" in payload["text"] and payload["reference"].startswith(
        "motcua-outbox-"
    )
    headers, payload = by_path["/zalo"]
    assert headers["Authorization"] == "Bearer zalo-token-2" and payload["channel"] == "zalo"
    assert [n.status for n in outbox(app)] == ["sent", "sent"]


def test_a_provider_error_is_retried(app, users, http_stub):
    url, calls, answer = http_stub
    answer["status"] = 503
    accepted_dossier(app, email=None, phone="0912345678")
    counts = run(app, SMS_API_URL=url + "/sms", ZALO_API_URL=url + "/zalo")
    assert counts["failed"] == 2 and len(calls) == 2
    assert all("503" in n.last_error and n.status == "failed" for n in outbox(app))


def test_without_settings_nothing_is_sent_and_the_notices_say_why(app, users):
    accepted_dossier(app, phone="0912345678")
    assert run(app, now=AT)["skipped"] == 0  # not due yet: still queued
    assert [n.status for n in outbox(app)] == ["queued"] * 3
    assert run(app)["skipped"] == 3
    assert {(n.status, n.last_error) for n in outbox(app)} == {("skipped", "no channel configured")}


def test_resend_makes_a_dead_notice_due_again(app, users, smtp_server):
    port = smtp_server(Refusing())
    accepted_dossier(app)
    run(app, **smtp_config(port, NOTIFY_MAX_ATTEMPTS="1"))
    assert outbox(app)[0].status == "dead"
    inbox = Inbox()
    good = smtp_server(inbox)
    with app.app_context():
        assert ns.resend(db.session, db.session.scalars(select(Notice)).all(), LATER) == 1
        db.session.commit()
    assert run(app, **smtp_config(good))["sent"] == 1 and len(inbox.messages) == 1


def test_two_workers_at_once_never_send_a_notice_twice(app, users, smtp_server):
    inbox = Inbox()
    port = smtp_server(inbox)
    for n in range(12):
        accepted_dossier(app, email=f"nguoi{n}@example.com")
    config = smtp_config(port)
    app.config.update({"PUBLIC_BASE_URL": BASE, **config})
    barrier, results, errors = threading.Barrier(3), [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                results.append(ns.send_due(db.session, app.config, lambda: LATER, limit=5))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    recipients = sorted(r for _sender, rcpts, _m in inbox.messages for r in rcpts)
    assert len(recipients) == len(set(recipients))  # none twice
    assert sum(r["sent"] for r in results) == len(recipients)
    run(app, **config)  # whatever is left
    recipients = sorted(r for _sender, rcpts, _m in inbox.messages for r in rcpts)
    assert recipients == sorted(f"nguoi{n}@example.com" for n in range(12))
    assert {n.status for n in outbox(app)} == {"sent"}


def test_the_claim_takes_a_notice_once(app, users):
    """The claim's UPDATE … WHERE still due: a second claimer of the same row gets nothing."""
    accepted_dossier(app)
    with app.app_context():
        first = ns.claim(db.session, {"email": None}, LATER)
        second = ns.claim(db.session, {"email": None}, LATER)
        stale = ns.claim(
            db.session, {"email": None}, LATER + ns.STALE_CLAIM + dt.timedelta(seconds=1)
        )  # a crashed worker's claim is taken back
        db.session.remove()
    assert len(first) == 1 and second == [] and stale == first


def test_the_cli_command_sends(app, users, smtp_server):
    inbox = Inbox()
    port = smtp_server(inbox)
    with app.app_context():
        dossier_id = accepted_dossier(app)
        db.session.execute(Notice.__table__.update().values(next_attempt_at=AT))
        db.session.commit()
    app.config.update(smtp_config(port))
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "đã gửi / sent 1" in result.output and "email" in result.output
    assert len(inbox.messages) == 1 and dossier_id
