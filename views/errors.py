"""Error pages in the user's language (Vietnamese by default) instead of Werkzeug's English.

An unexpected error is logged in full (traceback, SQL) with a short reference; the page shows
only that reference, which the user can quote to the administrator."""

from __future__ import annotations

import secrets

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from domain.form_submissions import AlreadySubmitted
from domain.formatting import format_size
from models import db
from transactions import database_busy
from views import idle

MESSAGES = {
    400: lambda: _("The request could not be understood. Go back, reload the page and try again."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("The page or record you asked for does not exist, or is not yours to see."),
    405: lambda: _("This action cannot be done this way."),
    413: lambda: _(
        "The file is too large: at most %(limit)s per send. Nothing was stored.",
        limit=format_size(current_app.settings.upload_max_bytes),
    ),
}


BUSY_MESSAGE = _l("The system is busy, please try again.")
BUSY_RETRY_SECONDS = 5


def _busy_page():
    """503 that keeps the form: the posted fields go back in a "send again" form (the form token
    comes along, so a send that did get through is not repeated). Passwords are never echoed,
    files cannot be: then only "back to the form" (the browser keeps what was typed)."""
    # An empty file input (the intake's optional scans) sends a part with no file name: nothing
    # is lost by re-sending without it.
    chosen = any(f.filename for _, f in request.files.items(multi=True))
    fields, complete = [], request.method == "POST" and not chosen
    if request.method == "POST":
        for name, value in request.form.items(multi=True):
            if "password" in name.lower():
                complete = False
                continue
            fields.append((name, value))
    referrer = request.referrer or ""
    back = referrer if referrer.startswith(request.host_url) else request.full_path
    # Rendered without the context processors: they would load the user from the database,
    # which is what is busy.
    html = current_app.jinja_env.get_template("busy.html").render(
        fields=fields,
        resend=complete and bool(fields),
        action=request.full_path.rstrip("?"),
        back_url=back,
        method=request.method,
        get_locale=get_locale,
    )
    return html, 503, {"Retry-After": str(BUSY_RETRY_SECONDS), "Cache-Control": "no-store"}


# No 0/O or 1/I: a reference is read out over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))


def log_with_reference(exc: BaseException | None = None) -> str:
    """Log an error in full (with its traceback) under a new reference; return the reference."""
    reference = new_reference()
    current_app.logger.error(
        "Error %s on %s %s",
        reference,
        request.method,
        request.path,
        exc_info=exc if exc is not None else True,
    )
    return reference


def _has_nul() -> bool:
    # (no form without a body's content type: werkzeug parses none, the form is empty)
    form = request.form if request.want_form_data_parsed else {}
    values = [request.path, *request.args.keys(), *form.keys()]
    values += [v for _, v in request.args.items(multi=True)]
    if form:
        values += [v for _, v in form.items(multi=True)]
    return any("\x00" in v for v in values)


def _page(code: int, message: str, reference: str | None = None):
    return render_template("error.html", code=code, message=message, reference=reference), code


def _csrf(error):
    kept = idle.expired_form_response()  # an ended session: keep the input, log in again
    if kept is not None:
        return kept
    return _page(
        400,
        _("The form has expired or did not come from this site. Reload the page and try again."),
    )


def _overflow(error):
    # A date at the end of the calendar (9999-12-31) plus a day: bad input, not a crash.
    return _page(400, _("A date is out of range. Check the dates and try again."))


def _already_submitted(error):
    db.session.rollback()
    flash(
        error.message
        or _("This form has already been sent; here is what it recorded. Nothing more was saved."),
        "warning",
    )
    return redirect(error.result_url or url_for("admin.index"))


def _operational(error):
    if not database_busy(error):
        raise error
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the session is discarded at the end of the request
        pass
    # The user could not be loaded (the database is what is busy): answer as anonymous,
    # or the response hooks would try to load them again.
    g._login_user = current_app.login_manager.anonymous_user()
    return _busy_page()


def _refuse_nul_bytes():
    # No screen takes a NUL: PostgreSQL refuses it in text ("cannot contain NUL") and it
    # has no business in a search, a name or a login. One check for every route.
    if _has_nul():
        return _page(
            400,
            _(
                "The request contains a character that is not allowed (NUL). "
                "Check what was typed or pasted and try again."
            ),
        )
    return None


def _log_exception(exc_info):
    # Flask logs an unhandled error before the 500 page: with the reference the page shows.
    g.error_reference = new_reference()
    current_app.logger.error(
        "Error %s on %s %s", g.error_reference, request.method, request.path, exc_info=exc_info
    )


def _internal(error):
    reference = g.get("error_reference") or log_with_reference(
        getattr(error, "original_exception", None) or error
    )
    return _page(
        500,
        _(
            "Something went wrong on our side; nothing you did caused it. Go "
            "back and try again; if it happens again, tell the administrator "
            "the reference below."
        ),
        reference,
    )


def _http(error):
    message = MESSAGES.get(error.code)
    if message is None:
        return error
    return _page(error.code, message())


def register(app) -> None:
    for error, handler in (
        (CSRFError, _csrf),
        (OverflowError, _overflow),
        (AlreadySubmitted, _already_submitted),
        (OperationalError, _operational),
        (InternalServerError, _internal),
        (HTTPException, _http),
    ):
        app.register_error_handler(error, handler)
    app.before_request(_refuse_nul_bytes)
    app.log_exception = _log_exception
