"""The buttons of the dossier page (one per allowed transition) and the batch actions of the
list: each calls domain/lifecycle.py; a concurrent change is refused, never overwritten — by a
button as by the edit form (DossierVersionMixin)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from domain import clock, printed_forms
from domain import lifecycle as lc
from domain.calendar import load_calendar
from domain.formatting import format_date
from models import Dossier, db, utcnow
from views import labels
from views.base import SecureForm
from views.dossier_columns import _children_changed, error_message, request_calendar, status_label
from views.fields import VnDateField

CONFLICT_MESSAGE = _l(
    "Someone else changed this dossier while you were editing it. Nothing was "
    "saved: reload the page to see their changes, then make yours again."
)


class TransitionForm(SecureForm):
    id = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    requested_items = TextAreaField(
        _l("What to supplement"), validators=[Optional(), Length(max=2000)]
    )
    return_channel = SelectField(
        _l("Return channel"),
        choices=labels.choices(labels.RETURN_CHANNELS),
        validators=[Optional()],
        validate_choice=False,
    )
    postal_tracking_no = StringField(
        _l("Postal tracking no."), validators=[Optional(), Length(max=64)]
    )
    new_due_date = VnDateField(_l("New due date"), validators=[Optional()])


def accept(dossier, user) -> None:
    """Accept a dossier (intake form or the "accept" button): its code and due date."""
    lc.accept_dossier(
        db.session,
        dossier,
        user,
        clock.now(),
        current_app.settings.receiving_unit_code,
        request_calendar(),
    )


def _transition(dossier, action_name, user, form) -> None:
    lc.transition(
        db.session,
        dossier,
        action_name,
        user,
        clock.now(),
        reason=form.reason.data,
        calendar=request_calendar(),
        return_channel=form.return_channel.data or None,
        postal_tracking_no=form.postal_tracking_no.data or None,
        new_due_date=form.new_due_date.data,
        requested_items=form.requested_items.data,
    )


def _flash_errors(form) -> None:
    for field, errors in form.errors.items():
        label = getattr(getattr(form, field, None), "label", None)
        flash(f"{label.text if label else field}: {' '.join(map(str, errors))}", "error")


def _warn_if_apology_late(dossier) -> None:
    if printed_forms.apology_is_late(dossier, clock.today(), load_calendar(db.session)):
        flash(
            gettext(
                "Issued late: the apology must be issued at the latest 1 working day "
                "before the due date (%(due)s).",
                due=format_date(dossier.due_date),
            ),
            "warning",
        )


class DossierVersionMixin:
    """DossierView's edit form carries the version its editor saw: a save after someone
    else's change is refused (CONFLICT_MESSAGE), never written over it."""

    def versioned(self, form_class):
        # Flask-Admin re-reads the row on save, so the version column alone would never see
        # the other person's change.
        form_class.form_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        # (unless the form is refilled after an expired session: the version it was typed on)
        if request.method != "POST" and obj is not None and not form.form_version.data:
            form.form_version.data = obj.version
        return form

    @staticmethod
    def check_version(form, model) -> None:
        posted = form.form_version.data
        if not posted or str(posted) != str(model.version):
            raise ValidationError(str(CONFLICT_MESSAGE))
        if _children_changed(model):
            # The received documents live in their own rows: a change to them alone would
            # leave the dossier row, hence its version, untouched, and a second editor's
            # stale form would overwrite them. Touching the row moves the version (and the
            # UPDATE ... WHERE version = n refuses a save that raced this one).
            model.updated_at = utcnow()

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleDataError):
            flash(str(CONFLICT_MESSAGE), "error")
            return True
        return super().handle_view_exception(exc)


class DossierTransitionsMixin:
    """DossierView's transitions (POST /transition/) and batch actions."""

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        if not self.can_edit:
            abort(403)
        form = TransitionForm(request.form)
        valid = form.validate()
        dossier = self.get_one(form.id.data)
        if dossier is None:
            abort(404)
        back = redirect(url_for(".details_view", id=dossier.id))
        if not valid:
            _flash_errors(form)
            return back
        if str(dossier.version) != form.version.data:
            flash(str(CONFLICT_MESSAGE), "error")
            return back
        action_name = form.action.data
        user = current_user._get_current_object()
        try:
            if action_name == "accept":
                accept(dossier, user)
            else:
                _transition(dossier, action_name, user, form)
            db.session.commit()
        except lc.LifecycleError as exc:
            db.session.rollback()
            flash(error_message(exc), "error")
            return back
        except StaleDataError:
            db.session.rollback()
            flash(str(CONFLICT_MESSAGE), "error")
            return back
        done = gettext(
            "Dossier %(code)s: %(status)s.",
            code=dossier.code or dossier.id,
            status=status_label(dossier.status),
        )
        if action_name == "reschedule":  # what changed is the date, not the status
            done += " " + gettext(
                "New return date: %(date)s.", date=format_date(dossier.rescheduled_due_date)
            )
        flash(done, "success")
        if action_name == "accept":
            return redirect(url_for(".details_view", id=dossier.id, receipt=1))
        if action_name == "reschedule":
            _warn_if_apology_late(dossier)
        return back

    # ---- batch actions ----------------------------------------------------------------------
    def _batch(self, ids, action_name):
        try:
            wanted = {int(i) for i in ids}
        except (TypeError, ValueError):
            abort(400)
        dossiers = self.get_query().filter(Dossier.id.in_(wanted)).all() if wanted else []
        if len(dossiers) != len(wanted):
            # A tampered id (another agency's dossier): refuse the whole batch.
            flash(
                gettext("Some of the selected dossiers were not found. Nothing was changed."),
                "error",
            )
            return
        for dossier in dossiers:
            try:
                lc.check_transition(dossier, action_name)
            except lc.LifecycleError as exc:
                flash(
                    gettext(
                        "Dossier %(code)s: %(error)s Nothing was changed.",
                        code=dossier.code,
                        error=error_message(exc),
                    ),
                    "error",
                )
                return
        try:
            lc.transition_many(
                db.session, dossiers, action_name, current_user._get_current_object(), clock.now()
            )
            db.session.commit()
        except (lc.LifecycleError, StaleDataError):
            db.session.rollback()
            flash(str(CONFLICT_MESSAGE), "error")
            return
        flash(gettext("%(count)s dossiers updated.", count=len(dossiers)), "success")

    @action(
        "transfer",
        _l("Transfer to agency"),
        _l("Transfer the selected dossiers to their agencies?"),
    )
    def action_transfer(self, ids):
        self._batch(ids, "transfer")

    @action(
        "result_received",
        _l("Result received"),
        _l("Mark the results of the selected dossiers as received?"),
    )
    def action_result_received(self, ids):
        self._batch(ids, "resolve")
