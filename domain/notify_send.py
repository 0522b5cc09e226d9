"""Sending the outbox (issue 15 point 4): the work of `flask notify send`, never of a clerk's
request.

Safe on several hosts at once: a worker claims due notices with an UPDATE … WHERE the notice is
still due (status queued/failed, or a claim older than STALE_CLAIM left by a crashed worker) and
keeps only the rows its UPDATE changed (rowcount 1); on PostgreSQL the candidates are read with
SELECT … FOR UPDATE SKIP LOCKED so workers take different rows without waiting, on SQLite the
CLI's transactions BEGIN IMMEDIATE (app.py), one claimer at a time. The claim is committed
before anything is sent, and no transaction is open while a channel talks to its server.

Channels are a small registry (CHANNELS: name → factory(config) → channel or None when not
configured): "email" over SMTP, "sms" and "zalo" as HTTP providers taking a JSON POST. Every
network call has a timeout. A failure schedules a retry after base × 2**(attempts-1) (at most
MAX_DELAY); after NOTIFY_MAX_ATTEMPTS (default 5) the notice is "dead". A notice whose channel
is not configured is marked "skipped" ("no channel configured") when it falls due: when a
provider is connected later, old notices are not sent in a burst; an admin may resend them."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import and_, or_, select, update

from domain import notifications as nt
from domain.formatting import format_datetime
from models import Notice

STALE_CLAIM = dt.timedelta(minutes=15)
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BASE_DELAY = 60  # seconds: 1, 2, 4, 8 … minutes
MAX_DELAY = dt.timedelta(hours=6)
DEFAULT_TIMEOUT = 10  # seconds, per network operation
MAX_ERROR = 500


class ChannelError(Exception):
    """The provider refused or could not be reached."""


# ---- channels -----------------------------------------------------------------------------
@dataclass
class SmtpChannel:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def send(self, notice_id: int, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message["Message-ID"] = make_msgid(f"motcua-outbox-{notice_id}")
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:  # OSError: refused, timeout, TLS
            raise ChannelError(f"SMTP: {type(error).__name__}: {error}") from None


@dataclass
class HttpChannel:
    """A provider's HTTP API (or a small gateway in front of it) taking
    {"to", "text", "subject", "reference", "channel"} as JSON with a bearer token."""

    name: str
    url: str
    token: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def send(self, notice_id: int, recipient: str, subject: str, body: str) -> None:
        payload = json.dumps(
            {
                "channel": self.name,
                "to": recipient,
                "text": body,
                "subject": subject,
                "reference": f"motcua-outbox-{notice_id}",
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
        except OSError as error:  # URLError, HTTPError (4xx/5xx), timeouts
            raise ChannelError(
                f"{self.name.upper()} HTTP: {type(error).__name__}: {error}"
            ) from None


def _timeout(config) -> float:
    return float(config.get("SMTP_TIMEOUT") or DEFAULT_TIMEOUT)


def _smtp(config):
    if not config.get("SMTP_HOST"):
        return None
    return SmtpChannel(
        host=config["SMTP_HOST"],
        port=int(config.get("SMTP_PORT") or 25),
        sender=config.get("SMTP_FROM") or config.get("SMTP_USER") or "",
        user=config.get("SMTP_USER") or "",
        password=config.get("SMTP_PASSWORD") or "",
        starttls=str(config.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes", "on"),
        timeout=_timeout(config),
    )


def _http(name: str):
    prefix = name.upper()

    def factory(config):
        if not config.get(f"{prefix}_API_URL"):
            return None
        return HttpChannel(
            name=name,
            url=config[f"{prefix}_API_URL"],
            token=config.get(f"{prefix}_API_TOKEN") or "",
            timeout=float(config.get("NOTIFY_HTTP_TIMEOUT") or DEFAULT_TIMEOUT),
        )

    return factory


CHANNELS = {"email": _smtp, "sms": _http("sms"), "zalo": _http("zalo")}


def register_channel(name: str, factory) -> None:
    """Another provider: factory(config) returns an object with send(notice_id, recipient,
    subject, body) raising ChannelError, or None when not configured."""
    CHANNELS[name] = factory


def configured_channels(config) -> dict:
    return {
        name: channel
        for name, factory in CHANNELS.items()
        if (channel := factory(config)) is not None
    }


# ---- the worker ---------------------------------------------------------------------------
def retry_delay(attempts: int, base_seconds: float = DEFAULT_BASE_DELAY) -> dt.timedelta:
    return min(dt.timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_DELAY)


def _due(now: dt.datetime):
    return or_(
        and_(Notice.status.in_(("queued", "failed")), Notice.next_attempt_at <= now),
        and_(Notice.status == "sending", Notice.claimed_at < now - STALE_CLAIM),
    )


def skip_unconfigured(session, channels, now: dt.datetime) -> int:
    """Due notices of a channel nobody configured: "skipped". The caller commits."""
    result = session.execute(
        update(Notice)
        .where(_due(now), Notice.channel.not_in(list(channels) or [""]))
        .values(status="skipped", last_error="no channel configured", lookup_secret=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim(session, channels, now: dt.datetime, limit: int = 50) -> list[int]:
    """Take up to `limit` due notices for this worker; committed before returning."""
    candidates = (
        select(Notice.id)
        .where(_due(now), Notice.channel.in_(list(channels) or [""]))
        .order_by(Notice.next_attempt_at, Notice.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = []
    for notice_id in session.scalars(candidates).all():
        result = session.execute(
            update(Notice)
            .where(Notice.id == notice_id, _due(now))
            .values(status="sending", claimed_at=now, attempts=Notice.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(notice_id)
    session.commit()
    return claimed


@dataclass
class Outgoing:
    id: int
    channel: str
    recipient: str
    attempts: int
    subject: str
    body: str
    shown_subject: str  # what is kept: the secret masked
    shown_body: str


def prepare(session, notice_id: int, base_url: str) -> Outgoing:
    """Render a claimed notice with the current templates; plain data, so that nothing touches
    the database while it is sent."""
    notice = session.get(Notice, notice_id)
    subject_text, body_text = nt.template_texts(session, notice.event, notice.channel)
    code = (notice.context or {}).get("code")
    rendered = []
    for secret in (notice.lookup_secret, nt.MASKED_SECRET if notice.lookup_secret else None):
        context = dict(notice.context or {}, lookup_link=nt.lookup_link(base_url, code, secret))
        rendered.append((nt.render(subject_text, context), nt.render(body_text, context)))
    return Outgoing(
        notice.id, notice.channel, notice.recipient, notice.attempts, *rendered[0], *rendered[1]
    )


def _log_line(now, outcome: str) -> str:
    return f"{format_datetime(now)} — {outcome}\n"


def record(
    session,
    outgoing: Outgoing,
    error: str | None,
    now: dt.datetime,
    max_attempts: int,
    base_delay: float,
) -> str:
    """Write the outcome of one attempt; returns the new status. The caller commits."""
    notice = session.get(Notice, outgoing.id)
    notice.subject, notice.body = outgoing.shown_subject, outgoing.shown_body
    if error is None:
        notice.status, notice.sent_at, notice.last_error = "sent", now, None
        notice.lookup_secret = None
        outcome = "sent"
    else:
        notice.last_error = error[:MAX_ERROR]
        if outgoing.attempts >= max_attempts:
            notice.status, notice.lookup_secret = "dead", None
            outcome = f"dead after {outgoing.attempts} attempts: {notice.last_error}"
        else:
            notice.status = "failed"
            notice.next_attempt_at = now + retry_delay(outgoing.attempts, base_delay)
            outcome = (
                f"failed (attempt {outgoing.attempts}), retry at "
                f"{format_datetime(notice.next_attempt_at)}: {notice.last_error}"
            )
    notice.attempt_log = (notice.attempt_log or "") + _log_line(now, outcome)
    return notice.status


def send_due(session, config, now_fn, limit: int = 50) -> dict:
    """One run of the worker: skip what no channel can send, claim, send, record.
    `now_fn()` gives the local time (the domain clock). Returns counts by outcome."""
    channels = configured_channels(config)
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
    base_delay = float(config.get("NOTIFY_RETRY_SECONDS") or DEFAULT_BASE_DELAY)
    base_url = config.get("PUBLIC_BASE_URL") or ""
    counts = {"sent": 0, "failed": 0, "dead": 0, "skipped": 0}
    counts["skipped"] = skip_unconfigured(session, channels, now_fn())
    session.commit()
    for notice_id in claim(session, channels, now_fn(), limit):
        try:
            outgoing = prepare(session, notice_id, base_url)
        except nt.NoticeTemplateError as error:
            outgoing, error_text = None, f"template: {error}"
        else:
            error_text = None
        session.commit()  # no transaction (no SQLite write lock) while the channel talks
        if outgoing is not None:
            try:
                channels[outgoing.channel].send(
                    outgoing.id, outgoing.recipient, outgoing.subject, outgoing.body
                )
            except ChannelError as error:
                error_text = str(error)
        else:
            notice = session.get(Notice, notice_id)
            outgoing = Outgoing(
                notice.id, notice.channel, notice.recipient, notice.attempts, "", "", "", ""
            )
        status = record(session, outgoing, error_text, now_fn(), max_attempts, base_delay)
        session.commit()
        counts[status] = counts.get(status, 0) + 1
    return counts


def resend(session, notices, now: dt.datetime) -> int:
    """An admin's "resend": failed, dead or skipped notices become due now, with a fresh count
    of attempts. The caller commits."""
    count = 0
    for notice in notices:
        if notice.status in ("failed", "dead", "skipped"):
            notice.status, notice.attempts, notice.next_attempt_at = "queued", 0, now
            notice.attempt_log = (notice.attempt_log or "") + _log_line(now, "resend requested")
            count += 1
    return count
