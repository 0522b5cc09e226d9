"""Kiosk mode: the rating tablet beside a counter runs all day without a staff session.

A staff member (or an admin) starts kiosk mode for one counter officer on the tablet; the tablet
then holds a random token (in a cookie) that can only show that officer's rating screen and post
ratings. Only the token's SHA-256 is stored. The token lives `idle` after its last use and at
most `max_life` after the start, and is refused as soon as it is revoked or its officer can no
longer be rated (deactivated, no longer counter staff). Times are naive UTC."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select

from domain.service import RuleError
from models import KioskDevice

DEFAULT_IDLE_HOURS = 12  # a working day and more: it ends overnight when the tablet sleeps
DEFAULT_MAX_HOURS = 24


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_rateable(officer) -> bool:
    """Only an active counter officer (role staff) is rated at the kiosk."""
    return officer is not None and bool(officer.active) and officer.role == "staff"


def may_start(starter, officer) -> bool:
    """Admins start kiosk mode for any counter officer; staff for themselves or a colleague of
    one of their agencies."""
    if starter is None or not starter.active or not is_rateable(officer):
        return False
    if starter.role == "admin":
        return True
    if starter.role != "staff":
        return False
    return officer.id == starter.id or bool(set(officer.agency_ids) & set(starter.agency_ids))


def start(session, officer, starter, now: dt.datetime, idle: dt.timedelta, max_life: dt.timedelta):
    """A new kiosk device for `officer`: returns (device, token); the token is shown once (to
    the device's cookie) and never stored."""

    if not may_start(starter, officer):
        raise RuleError("kiosk_officer_refused")
    token = new_token()
    device = KioskDevice(
        token_hash=hash_token(token),
        officer=officer,
        started_by=starter,
        started_at=now,
        expires_at=min(now + idle, now + max_life),
    )
    session.add(device)
    return device, token


def find(session, token: str | None, now: dt.datetime):
    """The live device of this token, or None (unknown, revoked, expired, officer not
    rateable)."""

    if not token or len(token) > 200:
        return None
    device = session.scalar(select(KioskDevice).where(KioskDevice.token_hash == hash_token(token)))
    if device is None or device.revoked_at is not None or device.expires_at <= now:
        return None
    if not is_rateable(device.officer):
        return None
    return device


def renew(device, now: dt.datetime, idle: dt.timedelta, max_life: dt.timedelta) -> bool:
    """Push the expiry on after a use. Written at most about twice per `idle` (only when half
    of it has gone), so a busy kiosk does not write a row per tap."""
    cap = device.started_at + max_life
    target = min(now + idle, cap)
    if target <= device.expires_at or (target - device.expires_at < idle / 2 and target < cap):
        return False
    device.expires_at = target
    return True


def revoke(device, by, now: dt.datetime) -> None:
    if device.revoked_at is None:
        device.revoked_at = now
        device.revoked_by = by


def csrf_secret(secret: str, token: str) -> str:
    """The CSRF secret of a tablet in kiosk mode: derived from its token (which a page of
    another site cannot read), so its forms stay valid however long the tablet sleeps, where a
    session's secret would end with the session."""
    return hmac.new(
        secret.encode(), b"kiosk-csrf:" + hash_token(token).encode(), hashlib.sha256
    ).hexdigest()
