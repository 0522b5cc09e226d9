"""What the browsers turned into devices share: the rating kiosk's tablets
(views/service/rating_kiosk.py), the ticket kiosks and hall displays (views/queue_devices.py).

A staff member starts the device; the staff login on it ends there and the device keeps a
long-lived random token in a cookie (only its SHA-256 is stored, domain/kiosk.py). Its pages
have no session: their CSRF secret is derived from that token. Admins list the devices and end
one (a stolen tablet, a TV moved)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from domain import kiosk
from models import db, utcnow
from views import labels
from views.access import selected_rows

# The columns every list of devices shows.
COLUMN_LABELS = dict(
    labels.LABELS,
    started_by=_l("Started by"),
    started_at=_l("Started at"),
    expires_at=_l("Expires at"),
    revoked_at=_l("Ended at"),
)


def set_cookie(response, name: str, path: str, token: str, expires_at: dt.datetime) -> None:
    """The device's credential: sent to its own pages only; SameSite=Strict: no other site can
    post with it."""
    response.set_cookie(
        name,
        token,
        expires=expires_at.replace(tzinfo=dt.UTC),
        path=path,
        secure=current_app.session_interface.get_cookie_secure(current_app),
        httponly=True,
        samesite="Strict",
    )


def leave_staff_session() -> None:
    """The device keeps its credential only (as views/auth.py's logout): called once the
    device's start is committed."""
    logout_user()
    session.clear()


def use_csrf_secret_of(token: str) -> None:
    """A device's page has no lasting session: its CSRF secret comes from its token, set
    before the CSRF check (url_value_preprocessors run before every before_request function,
    CSRFProtect's included). Forms are checked as everywhere."""
    session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = kiosk.csrf_secret(
        current_app.secret_key, token
    )


def revoke_selected(model, ids) -> int:
    """End the devices chosen in a list (its batch action); how many were chosen."""
    now = utcnow()
    devices = selected_rows(model, ids)
    for device in devices:
        kiosk.revoke(device, current_user._get_current_object(), now)
    db.session.commit()
    return len(devices)


def no_store(response):
    """A device's page is never shown from a cache: an ended device shows nothing."""
    response.headers["Cache-Control"] = "no-store"
    return response
