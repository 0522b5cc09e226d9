"""The intake page does not receive a dossier twice by accident (domain/intake_duplicates.py).

- The same form sent again (its one-time token already used: a double click, a resend) creates
  nothing and is sent to the dossier its first send created, with a message naming its code.
- A new form for the same applicant and procedure as a dossier accepted a moment ago (the
  browser's Back button brings the last citizen's details back, with a new token) is shown
  again, nothing saved and everything typed kept, with a warning naming that dossier and a
  checkbox: ticked, the next send receives the second dossier."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import g, request, session
from flask_babel import gettext
from markupsafe import Markup

from domain import clock
from domain import intake_duplicates as dup
from domain.form_submissions import AlreadySubmitted
from domain.formatting import format_datetime
from models import Dossier, Procedure, db
from views.access import parse_id
from views.forms import check_form_token

CONFIRM = "confirm_duplicate"  # the checkbox "Vẫn tiếp nhận hồ sơ mới"


def _dossier_id(url: str | None) -> int | None:
    """The dossier of a first send's page (views/base.py created_url: .../details/?id=N)."""
    if not url:
        return None
    return parse_id((parse_qs(urlsplit(url).query).get("id") or [None])[0])


class IntakeDuplicatesMixin:
    # ---- the same form sent again ---------------------------------------------------------------
    def create_form(self, obj=None):
        try:
            return super().create_form(obj)  # OnceCreateMixin checks the token
        except AlreadySubmitted as exc:
            raise self.named_submission(exc) from None

    def handle_view_exception(self, exc):
        if isinstance(exc, AlreadySubmitted):  # taken by a concurrent send in the meantime
            db.session.rollback()
            exc = self.named_submission(exc)
        return super().handle_view_exception(exc)

    def named_submission(self, exc: AlreadySubmitted) -> AlreadySubmitted:
        """The refusal of a repeated send, saying which dossier the first send received
        (answered by views/errors.py: to that dossier's page)."""
        dossier_id = _dossier_id(exc.result_url)
        code = db.session.get(Dossier, dossier_id).code if dossier_id is not None else None
        if code:
            link = Markup('<a href="{}" id="flash-sent-dossier">{}</a>').format(
                self.get_url(".details_view", id=dossier_id), code
            )
            exc.message = Markup(
                gettext(
                    "This form has already been sent: it received dossier %(code)s. No "
                    "second dossier was created.",
                    code=link,
                )
            )
        return exc

    # ---- the same applicant and procedure a moment ago ------------------------------------------
    def held_as_duplicate(self, form) -> bool:
        """True (the form is shown again with a warning) when a dossier of this procedure was
        accepted for the same applicant within the window and the clerk has not confirmed."""
        procedure = form.procedure.data
        if request.form.get(CONFIRM) == "1" or not isinstance(procedure, Procedure):
            return False
        applicant = dup.Applicant(form.id_number.data, form.applicant_name.data, form.phone.data)
        found = dup.recent_duplicates(db.session, procedure.id, applicant, clock.now())
        if not found:
            return False
        try:  # the dossier found may be this very form's, sent twice at once and just saved
            check_form_token(form)
        except AlreadySubmitted as exc:
            raise self.named_submission(exc) from None
        g.intake_duplicates = found
        return True

    def intake_duplicates(self) -> dict | None:
        """What the page's warning shows (templates/dossiers/intake.html), None without one."""
        found = g.get("intake_duplicates")
        if not found:
            return None
        return {
            "minutes": int(dup.RECENT_WINDOW.total_seconds() // 60),
            "confirm": CONFIRM,
            "dossiers": [
                {
                    "code": d.code,
                    "url": self.get_url(".details_view", id=d.id),
                    "at": format_datetime(d.accepted_at),
                    "name": d.applicant_name,
                }
                for d in found
            ],
        }

    def render(self, template, **kwargs):
        if g.get("intake_duplicates"):
            # Flask-Admin's "check the fields marked with errors" does not fit a form held by
            # the warning alone (no field is wrong): it is taken back before the page shows it.
            failed = ("danger", gettext("Failed to create record."))
            flashes = session.get("_flashes") or []
            if failed in flashes:
                session["_flashes"] = [f for f in flashes if f != failed]
        return super().render(template, **kwargs)
