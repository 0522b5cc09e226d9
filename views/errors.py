"""Error pages in the user's language (Vietnamese by default) instead of Werkzeug's English."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: lambda: _("The request could not be understood. Go back, reload the page and try again."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("The page or record you asked for does not exist, or is not yours to see."),
    405: lambda: _("This action cannot be done this way."),
    413: lambda: _("The file is too large."),
}


def _page(code: int, message: str):
    return render_template("error.html", code=code, message=message), code


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        from views import idle
        kept = idle.expired_form_response()  # an ended session: keep the input, log in again
        if kept is not None:
            return kept
        return _page(400, _("The form has expired or did not come from this site. Reload the "
                            "page and try again."))

    @app.errorhandler(OverflowError)
    def _overflow(error):
        # A date at the end of the calendar (9999-12-31) plus a day: bad input, not a crash.
        return _page(400, _("A date is out of range. Check the dates and try again."))

    @app.errorhandler(HTTPException)
    def _http(error):
        message = MESSAGES.get(error.code)
        if message is None:
            return error
        return _page(error.code, message())
