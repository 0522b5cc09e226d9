"""Dossier look-up for citizens (issue 15, /tra-cuu/): the dossier code and the look-up secret of
the receipt (domain/lookup.py) show where the dossier stands — and nothing about the applicant.

A GET form, on purpose: the QR code of the receipt is a URL that must open the answer directly,
and a look-up changes nothing; there is no session on this path (views/public_access.py), hence
no CSRF token to check and nothing a forged request could do. Because the secret travels in the
URL, the answer is never cached and sends no Referer.

Guessing: every look-up that finds nothing (unknown code, wrong secret: one and the same answer)
counts against the client address, on this page and the API together, in the storage of the
login limits (Redis when REDIS_URL is set). Past LOOKUP_LIMIT_PER_ADDRESS the answer is 429."""

from __future__ import annotations

import math
import time

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from domain import lookup
from models import db
from views.auth import limiter
from views.public_access import public_prefix

bp = Blueprint("lookup", __name__, url_prefix="/tra-cuu")


def _address_key() -> str:
    return "lookup:" + (get_remote_address() or "")


def _failed(response) -> bool:
    return g.get("lookup_failed", False)


def retry_after(limit: RequestLimit) -> int:
    # reset_at is rounded up to the second: never say more than the window itself.
    return max(1, min(limit.limit.get_expiry(), limit.reset_at - int(time.time())))


def lookup_limit(on_breach):
    """The one count of failed look-ups per address, shared by the page and the API."""
    return limiter.shared_limit(
        lambda: current_app.settings.lookup_limit_per_address,
        scope="dossier-lookup",
        key_func=_address_key,
        deduct_when=_failed,
        on_breach=on_breach,
    )


def find_dossier(code: str | None, secret: str | None):
    """The dossier, or None (and the failure counted)."""
    dossier = lookup.find(db.session, code, secret)
    if dossier is None:
        g.lookup_failed = True
    return dossier


def public_status(dossier) -> dict:
    return lookup.public_status(dossier, current_app.settings.reporting_unit_name, translate=_)


def lookup_url(code: str, secret: str | None = None) -> str:
    """The page's address for a receipt's QR code: PUBLIC_BASE_URL when the site is reached
    under another name than the staff's, else this request's host."""
    args = {"code": code, **({"secret": lookup.display_secret(secret)} if secret else {})}
    base = current_app.settings.public_base_url.rstrip("/")
    if base:
        return base + url_for("lookup.index", **args)
    return url_for("lookup.index", _external=True, **args)


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _too_many(limit: RequestLimit):
    wait = retry_after(limit)
    minutes = math.ceil(wait / 60)
    message = ngettext(
        "Too many look-ups found nothing. Try again in %(num)d minute.",
        "Too many look-ups found nothing. Try again in %(num)d minutes.",
        minutes,
    )
    response = current_app.make_response(
        (
            render_template(
                "public/lookup.html",
                code="",
                secret="",
                status=None,
                searched=False,
                refused=message,
            ),
            429,
        )
    )
    response.headers["Retry-After"] = str(wait)
    return _private(response)


@bp.get("/")
@lookup_limit(_too_many)
def index():
    code = request.args.get("code", "")[: lookup.MAX_CODE_LENGTH + 1].strip()
    secret = request.args.get("secret", "")[: lookup.MAX_SECRET_INPUT]
    searched = bool(code or secret)
    status = None
    if searched:
        dossier = find_dossier(code, secret)
        status = public_status(dossier) if dossier else None
    html = render_template(
        "public/lookup.html",
        code=code,
        secret=secret,
        status=status,
        searched=searched,
        refused=None,
    )
    return _private(current_app.make_response((html, 404 if searched and not status else 200)))


def register(app) -> None:
    public_prefix(app, bp.url_prefix)
    app.register_blueprint(bp)
