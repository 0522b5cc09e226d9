"""Error pages in the user's language (Vietnamese by default) instead of Werkzeug's English.

An unexpected error is logged in full (traceback, SQL) with a short reference; the page shows
only that reference, which the user can quote to the administrator."""
from __future__ import annotations

import secrets

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: lambda: _("The request could not be understood. Go back, reload the page and try again."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("The page or record you asked for does not exist, or is not yours to see."),
    405: lambda: _("This action cannot be done this way."),
    413: lambda: _("The file is too large."),
}


# No 0/O or 1/I: a reference is read out over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))


def log_with_reference(exc: BaseException | None = None) -> str:
    """Log an error in full (with its traceback) under a new reference; return the reference."""
    reference = new_reference()
    current_app.logger.error("Error %s on %s %s", reference, request.method, request.path,
                             exc_info=exc if exc is not None else True)
    return reference


def _has_nul() -> bool:
    values = [request.path, *request.args.keys(), *request.form.keys()]
    values += [v for _, v in request.args.items(multi=True)]
    values += [v for _, v in request.form.items(multi=True)]
    return any("\x00" in v for v in values)


def _page(code: int, message: str, reference: str | None = None):
    return render_template("error.html", code=code, message=message,
                           reference=reference), code


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _page(400, _("The form has expired or did not come from this site. Reload the "
                            "page and try again."))

    @app.errorhandler(OverflowError)
    def _overflow(error):
        # A date at the end of the calendar (9999-12-31) plus a day: bad input, not a crash.
        return _page(400, _("A date is out of range. Check the dates and try again."))

    @app.before_request
    def _refuse_nul_bytes():
        # No screen takes a NUL: PostgreSQL refuses it in text ("cannot contain NUL") and it
        # has no business in a search, a name or a login. One check for every route.
        if _has_nul():
            return _page(400, _("The request contains a character that is not allowed (NUL). "
                                "Check what was typed or pasted and try again."))
        return None

    def _log_exception(exc_info):
        # Flask logs an unhandled error before the 500 page: with the reference the page shows.
        g.error_reference = new_reference()
        app.logger.error("Error %s on %s %s", g.error_reference, request.method, request.path,
                         exc_info=exc_info)

    app.log_exception = _log_exception

    @app.errorhandler(InternalServerError)
    def _internal(error):
        reference = g.get("error_reference") or log_with_reference(
            getattr(error, "original_exception", None) or error)
        return _page(500, _("Something went wrong on our side; nothing you did caused it. Go "
                            "back and try again; if it happens again, tell the administrator "
                            "the reference below."), reference)

    @app.errorhandler(HTTPException)
    def _http(error):
        message = MESSAGES.get(error.code)
        if message is None:
            return error
        return _page(error.code, message())

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
