"""Dossiers (design §3, §4, §5, §7): intake at the counter, the list, the dossier page with its
history and one button per allowed transition, batch actions, the supervision list (đôn đốc),
the printed forms (Mẫu 01–05) and the register (Mẫu 06, .xlsx).

Row-level access everywhere through AgencyScopedMixin (staff: their own agencies' dossiers);
managers read only; nobody deletes a dossier. The rules themselves live in domain/lifecycle.py."""
from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import textwrap

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from domain import lifecycle as lc, periods
from domain.calendar import load_calendar
from domain.formatting import format_date, format_number
from domain.spreadsheets import new_workbook, write_row
from domain.text import search_words
from models import Agency, Dossier, DossierDocument, DossierEvent, Procedure, db, utcnow
from views import labels
from views.exports import XlsxExportMixin
from views.fields import VnDateField
from views.listing import BoundedCountMixin
from views.base import (ALL_ROLES, AgencyScopedMixin, SearchAjaxLoader, SecureForm,
                        SecureModelView, db_options, own_agency_ids, own_agency_options,
                        period_message)

EDITORS = ("admin", "staff")
PROCEDURE_CODE_START = re.compile(r"^\d{1,2}\.\d{1,6}$")  # a code d.dddddd, or its start
PRINT_FORMS = ("01", "02", "03", "04", "05")
REGISTER_BATCH = 1000
CONFLICT_MESSAGE = _l("Someone else changed this dossier while you were editing it. Nothing was "
                      "saved: reload the page to see their changes, then make yours again.")

ACTION_LABELS = {
    "accept": _l("Accept"), "refuse": _l("Refuse"), "transfer": _l("Transfer to agency"),
    "request_supplement": _l("Request supplement"),
    "supplement_received": _l("Supplement received"), "await_payment": _l("Await payment"),
    "payment_received": _l("Payment received"), "resolve": _l("Result received"),
    "return": _l("Return the result"), "withdraw": _l("Withdraw"), "stop": _l("Stop processing"),
    "reschedule": _l("Reschedule with apology"),
}



def intake_procedures(model):
    """Procedures offered at intake: active ones of the clerk's own agencies."""
    query = db.session.query(model).filter(model.active.is_(True))
    ids = own_agency_ids()
    return query if ids is None else query.filter(model.agency_id.in_(ids))



@db_options
def procedure_options():
    query = db.session.query(Procedure.id, Procedure.code + " – " + Procedure.name) \
        .order_by(Procedure.code)
    ids = own_agency_ids()
    return (query if ids is None else query.filter(Procedure.agency_id.in_(ids))).all()


def status_label(code) -> str:
    return str(labels.DOSSIER_STATUSES.get(code, code))


def error_message(exc: lc.LifecycleError) -> str:
    params = dict(exc.params)
    if "status" in params:
        params["status"] = status_label(params["status"])
    if "action" in params:
        params["action"] = str(ACTION_LABELS.get(params["action"], params["action"]))
    return gettext(exc.msgid, **params)


def today() -> dt.date:
    return lc.now_local().date()


def _overdue_criterion():
    return and_(Dossier.status.in_(lc.RUNNING_STATUSES), Dossier.due_date < today())


def _due_soon_criterion():
    start = today()
    horizon = load_calendar(db.session).nth_working_day_after(start, 2)
    return and_(Dossier.status.in_(lc.RUNNING_STATUSES), Dossier.due_date >= start,
                Dossier.due_date <= horizon)


class _FlagFilter(BaseSQLAFilter):
    """A yes/no filter on a criterion computed when the list is shown (today, the calendar)."""

    def __init__(self, criterion, name):
        super().__init__(Dossier.id, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self.criterion = criterion

    def apply(self, query, value, alias=None):
        return query.filter(self.criterion() if value == "1" else not_(self.criterion()))

    def operation(self):
        return _l("equals")


def _status_formatter(view, context, model, name):
    return status_label(model.status)


def _choice_formatter(mapping):
    return lambda view, context, model, name: str(mapping.get(getattr(model, name), "") or "")


def _due_formatter(view, context, model, name):
    due = model.due_date
    if due is None:
        return ""
    text = format_date(due)
    if model.rescheduled_due_date:
        text += f" → {format_date(model.rescheduled_due_date)}"
    if model.status in lc.RUNNING_STATUSES and due < today():
        return Markup('<span class="badge badge-danger">{}</span>').format(text)
    return text


def _procedure_formatter(view, context, model, name):
    """The procedure as its code and a short name; the whole name on hover (the list stays one
    line per dossier even for a 200-character name)."""
    procedure = model.procedure
    if procedure is None:
        return ""
    short = textwrap.shorten(procedure.name or "", width=60, placeholder=" …")
    return Markup('<span title="{}">{} – {}</span>').format(procedure.name, procedure.code,
                                                              short)


def request_calendar():
    """The working calendar, loaded once per request (lists compute days per row)."""
    if "motcua_calendar" not in g:
        g.motcua_calendar = load_calendar(db.session)
    return g.motcua_calendar


def working_days_left(model) -> int:
    return request_calendar().working_days_left(today(), model.due_date)


def _code_link(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for("dossier.details_view", id=model.id), model.code or f"#{model.id}")


def _children_changed(dossier) -> bool:
    """Whether the form added, changed or removed a row hanging off the dossier (documents)."""
    session = db.session
    changed = [*session.new, *session.deleted,
               *(o for o in session.dirty if session.is_modified(o))]
    return any(getattr(o, "dossier", None) is dossier for o in changed if o is not dossier)


class TransitionForm(SecureForm):
    id = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    return_channel = SelectField(_l("Return channel"), choices=labels.choices(
        labels.RETURN_CHANNELS), validators=[Optional()], validate_choice=False)
    postal_tracking_no = StringField(_l("Postal tracking no."),
                                     validators=[Optional(), Length(max=64)])
    new_due_date = VnDateField(_l("New due date"), validators=[Optional()])


class DossierView(BoundedCountMixin, XlsxExportMixin, AgencyScopedMixin, SecureModelView):
    """Counter staff take dossiers in and move them along; managers read; nobody deletes."""
    agency_column = Dossier.agency_id
    read_roles = ALL_ROLES
    create_roles = edit_roles = EDITORS
    action_roles = EDITORS
    delete_roles = ()

    column_labels = labels.LABELS
    column_list = ("code", "applicant_name", "procedure", "agency", "channel", "status",
                   "accepted_at", "due_date")
    column_list_narrow = ("code", "status", "due_date")  # what a phone shows
    column_details_list = (
        "code", "status", "procedure", "agency", "applicant_name", "applicant_kind", "id_number",
        "phone", "email", "address", "channel", "submitted_at", "accepted_at", "due_date",
        "rescheduled_due_date", "resolved_at", "returned_at", "return_channel",
        "postal_tracking_no", "closed_at", "received_by", "note", "documents")
    column_sortable_list = ("code", "applicant_name", "status", "accepted_at", "due_date")
    column_default_sort = [("accepted_at", True), ("id", True)]
    column_searchable_list = ("search_text",)
    simple_list_pager = True  # a million dossiers: no COUNT(*) per page
    column_filters = (
        IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
        IntEqualFilter(Dossier.procedure_id, _l("Procedure"), options=procedure_options),
        FilterEqual(Dossier.channel, _l("Channel"), options=labels.choices(labels.CHANNELS)),
        IntEqualFilter(Dossier.status, _l("Status"),
                    options=[(str(k), v) for k, v in labels.DOSSIER_STATUSES.items()]),
        "accepted_at", "due_date",
        _FlagFilter(_overdue_criterion, _l("Overdue now")),
        _FlagFilter(_due_soon_criterion, _l("Due within 2 working days")),
    )
    column_formatters = {
        "code": _code_link, "status": _status_formatter, "due_date": _due_formatter,
        "channel": _choice_formatter(labels.CHANNELS),
        "procedure": _procedure_formatter,
        "agency": lambda v, c, m, n: str(m.agency) if m.agency else "",
    }
    column_formatters_detail = {
        "status": _status_formatter,
        "channel": _choice_formatter(labels.CHANNELS),
        "return_channel": _choice_formatter(labels.RETURN_CHANNELS),
        "applicant_kind": _choice_formatter(labels.APPLICANT_KINDS),
        "documents": lambda v, c, m, n: "; ".join(
            f"{d.name} ({labels.DOCUMENT_KINDS.get(d.kind, d.kind)}, {d.copies})"
            for d in m.documents),
    }

    # Intake (create) and correction (edit) forms.
    form_columns = ("procedure", "applicant_name", "applicant_kind", "id_number", "phone",
                    "email", "address", "channel", "return_channel", "note", "documents")
    form_edit_columns = ("applicant_name", "applicant_kind", "id_number", "phone", "email",
                         "address", "return_channel", "postal_tracking_no", "note", "documents")
    form_choices = {"applicant_kind": labels.choices(labels.APPLICANT_KINDS),
                    "channel": labels.choices(labels.CHANNELS),
                    "return_channel": labels.choices(labels.RETURN_CHANNELS)}
    form_args = {
        "applicant_name": {"validators": [DataRequired(), Length(max=255)]},
        "email": {"validators": [Optional(), Email()]},
        "return_channel": {"validators": [Optional()], "default": "counter"},
    }
    form_ajax_refs = {"procedure": SearchAjaxLoader("procedure", Procedure,
                                                    query_factory=intake_procedures,
                                                    order_by=Procedure.code)}
    inline_models = [(DossierDocument, {
        "form_columns": ("id", "name", "kind", "copies"),
        "column_labels": labels.LABELS,
        "form_choices": {"kind": labels.choices(labels.DOCUMENT_KINDS)},
    })]
    inline_item_labels = {"documents": {"one": _l("Document"), "new": _l("New document"),
                                        "add": _l("Add a document")}}
    details_template = "dossiers/details.html"
    count_messages = (_l("%(count)s dossiers"), _l("More than %(count)s dossiers"))

    # ---- search: the accent-free search_text, or the procedure's code ----------------------
    def search_placeholder(self):
        return str(_l("Code, applicant, phone, procedure code…"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Every word must match: a procedure code or its beginning ("1.004616", "1.0046")
        finds that procedure's dossiers — looked up in the small procedure table, then matched
        by the indexed procedure_id (milliseconds among a million dossiers); any other word
        the dossier's accent-free search_text (code, applicant, ID number, phone, tracking no.)."""
        for word in search_words(search):
            if PROCEDURE_CODE_START.match(word):
                criterion = Dossier.procedure_id.in_(select(Procedure.id).where(
                    Procedure.code.startswith(word, autoescape=True)))
            else:
                criterion = Dossier.search_text.contains(word, autoescape=True)
            query = query.filter(criterion)
            if count_query is not None:
                count_query = count_query.filter(criterion)
        return query, count_query, joins, count_joins

    # ---- access (a dossier outside the user's agencies: 404, see AgencyScopedMixin) --------
    def get_one_query(self):
        return self.get_query().options(
            joinedload(Dossier.procedure), joinedload(Dossier.agency),
            joinedload(Dossier.received_by), selectinload(Dossier.documents),
            selectinload(Dossier.pauses), selectinload(Dossier.payments),
            selectinload(Dossier.events).joinedload(DossierEvent.user),
        )

    # ---- forms ------------------------------------------------------------------------------
    def get_edit_form(self):
        create_columns = self.form_columns
        self.form_columns = self.form_edit_columns
        try:
            form_class = self.scaffold_form()
        finally:
            self.form_columns = create_columns
        # The version the editor saw travels with the form: Flask-Admin re-reads the row on
        # save, so the version column alone would never see the other person's change.
        form_class.form_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        # (unless the form is refilled after an expired session: the version it was typed on)
        if request.method != "POST" and obj is not None and not form.form_version.data:
            form.form_version.data = obj.version
        return form

    def on_model_change(self, form, model, is_created):
        from wtforms.validators import ValidationError
        if is_created:
            try:
                lc.accept_dossier(db.session, model, current_user._get_current_object(),
                                  lc.now_local(), current_app.config["RECEIVING_UNIT_CODE"])
            except lc.LifecycleError as exc:
                raise ValidationError(error_message(exc)) from exc
            ids = own_agency_ids()
            if ids is not None and model.agency_id not in ids:
                raise ValidationError(gettext("Not a valid choice"))
        else:
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

    def get_save_return_url(self, model, is_created=False):
        if is_created:
            return self.get_url(".details_view", id=model.id, receipt=1)
        return self.get_url(".details_view", id=model.id)

    def after_model_change(self, form, model, is_created):
        if is_created:
            text = gettext("Dossier %(code)s accepted; due date %(due)s.", code=model.code,
                           due=format_date(model.due_date))
            flash(Markup('{} <a href="{}" target="_blank" id="flash-receipt">{}</a>').format(
                text, self.get_url(".print_view", form_no="01", id=model.id),
                gettext("Print the receipt")), "success")

    # ---- the dossier page -------------------------------------------------------------------
    def page_context(self, model) -> dict:
        """What the dossier page shows besides the fields (used by the template)."""
        actions = lc.allowed_actions(model) if self.can_edit else []
        return {"actions": [(a, ACTION_LABELS[a]) for a in actions],
                "status_label": status_label, "labels": labels,
                "form": TransitionForm(formdata=None),
                "print_forms": self.available_forms(model)}

    @staticmethod
    def available_forms(model) -> list[tuple[str, str]]:
        forms = [("01", _l("Receipt (form 01)"))]
        kinds = {p.kind for p in model.pauses}
        if "supplement" in kinds:
            forms.append(("02", _l("Supplement request (form 02)")))
        if model.status in (lc.REFUSED, lc.STOPPED):
            forms.append(("03", _l("Refusal (form 03)")))
        if model.rescheduled_due_date:
            forms.append(("04", _l("Apology (form 04)")))
        forms.append(("05", _l("Control sheet (form 05)")))
        return forms

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
            for field, errors in form.errors.items():
                label = getattr(getattr(form, field, None), "label", None)
                flash(f"{label.text if label else field}: {' '.join(map(str, errors))}", "error")
            return back
        if str(dossier.version) != form.version.data:
            flash(str(CONFLICT_MESSAGE), "error")
            return back
        action_name = form.action.data
        user = current_user._get_current_object()
        try:
            if action_name == "accept":
                lc.accept_dossier(db.session, dossier, user, lc.now_local(),
                                  current_app.config["RECEIVING_UNIT_CODE"])
            else:
                lc.transition(db.session, dossier, action_name, user, lc.now_local(),
                              reason=form.reason.data,
                              return_channel=form.return_channel.data or None,
                              postal_tracking_no=form.postal_tracking_no.data or None,
                              new_due_date=form.new_due_date.data)
            db.session.commit()
        except lc.LifecycleError as exc:
            db.session.rollback()
            flash(error_message(exc), "error")
            return back
        except StaleDataError:
            db.session.rollback()
            flash(str(CONFLICT_MESSAGE), "error")
            return back
        flash(gettext("Dossier %(code)s: %(status)s.", code=dossier.code or dossier.id,
                      status=status_label(dossier.status)), "success")
        if action_name == "accept":
            return redirect(url_for(".details_view", id=dossier.id, receipt=1))
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
            flash(gettext("Some of the selected dossiers were not found. Nothing was changed."),
                  "error")
            return
        for dossier in dossiers:
            try:
                lc.check_transition(dossier, action_name)
            except lc.LifecycleError as exc:
                flash(gettext("Dossier %(code)s: %(error)s Nothing was changed.",
                              code=dossier.code, error=error_message(exc)), "error")
                return
        try:
            lc.transition_many(db.session, dossiers, action_name,
                               current_user._get_current_object(), lc.now_local())
            db.session.commit()
        except (lc.LifecycleError, StaleDataError):
            db.session.rollback()
            flash(str(CONFLICT_MESSAGE), "error")
            return
        flash(gettext("%(count)s dossiers updated.", count=len(dossiers)), "success")

    @action("transfer", _l("Transfer to agency"),
            _l("Transfer the selected dossiers to their agencies?"))
    def action_transfer(self, ids):
        self._batch(ids, "transfer")

    @action("result_received", _l("Result received"),
            _l("Mark the results of the selected dossiers as received?"))
    def action_result_received(self, ids):
        self._batch(ids, "resolve")

    # ---- printed forms ----------------------------------------------------------------------
    @expose("/print/<form_no>/")
    def print_view(self, form_no):
        if form_no not in PRINT_FORMS:
            abort(404)
        dossier = self.get_one(request.args.get("id"))
        if dossier is None:
            abort(404)
        context = {"d": dossier, "status_label": status_label, "labels": labels,
                   "center": lc.CENTER_UNIT, "today": lc.now_local()}
        if form_no == "02":
            pauses = [p for p in dossier.pauses if p.kind == "supplement"]
            if not pauses:
                abort(404)
            context["pause"] = pauses[-1]
        if form_no == "03":
            events = [e for e in dossier.events if e.to_status in (lc.REFUSED, lc.STOPPED)]
            if not events:
                abort(404)
            context["event"] = events[-1]
        if form_no == "04":
            events = [e for e in dossier.events
                      if e.from_status == e.to_status == lc.PROCESSING]
            if not events or not dossier.rescheduled_due_date:
                abort(404)
            context["event"] = events[-1]
        if form_no == "05":
            context["outcome"] = self.outcome(dossier)
        return self.render(f"forms/mau{form_no}.html", **context)

    @staticmethod
    def outcome(dossier):
        if dossier.resolved_at is None or dossier.due_date is None:
            return None
        done = dossier.resolved_at.date()
        if done < dossier.due_date:
            return _l("Early")
        return _l("On time") if done == dossier.due_date else _l("Late")

    # ---- exports: the current list (XlsxExportMixin), and the register Mẫu 06 -------------
    export_formatters = {
        "status": lambda m: str(labels.DOSSIER_STATUSES.get(m.status, m.status)),
        "channel": lambda m: str(labels.CHANNELS.get(m.channel, m.channel)),
    }
    extra_list_links = (("register_view", _l("Register (form 06)")),)

    @expose("/register/")
    def register_view(self):
        if request.args.get("from") or request.args.get("to"):
            try:
                period = periods.parse_range(request.args.get("from"), request.args.get("to"))
            except periods.PeriodError as error:
                flash(gettext("Enter a valid date range.") + " " + period_message(error), "error")
            else:
                return self._register_file(period)
        default = periods.month_to_date(today())
        return self.render("dossiers/register.html", start=default.start, end=default.end)

    REGISTER_HEADER = (
        _l("No."), _l("Dossier code"), _l("Procedure"), _l("Applicant"),
        _l("Address / phone"), _l("Agency"), _l("Accepted at"), _l("Due date"),
        _l("Sent to agency"), _l("Result received"), _l("Returned at"), _l("Return channel"))

    def _register_file(self, period: periods.Period):
        start, end = period.start, period.end
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        book = new_workbook(path)
        sheet = book.add_worksheet(gettext("Register"))
        bold = book.add_format({"bold": True})
        stamp = book.add_format({"num_format": "hh:mm dd/mm/yyyy"})
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        formats = {6: stamp, 7: day, 8: stamp, 9: stamp, 10: stamp}
        write_row(sheet, 0, [gettext("REGISTER OF DOSSIERS (form 06)")], {0: bold})
        write_row(sheet, 1, [gettext("From %(start)s to %(end)s", start=format_date(start),
                                     end=format_date(end))])
        write_row(sheet, 3, [str(h) for h in self.REGISTER_HEADER],
                  {i: bold for i in range(len(self.REGISTER_HEADER))})
        for col, width in enumerate((6, 28, 40, 28, 30, 24, 16, 12, 16, 16, 16, 14)):
            sheet.set_column(col, col, width)
        row, number = 4, 0
        limit = current_app.config.get("EXPORT_MAX_ROWS", 200000)
        base = (self._scope(db.session.query(Dossier))
                .options(joinedload(Dossier.procedure), joinedload(Dossier.agency))
                .filter(*period.contains(Dossier.accepted_at))
                .order_by(Dossier.accepted_at, Dossier.id))
        last = None
        while number < limit:
            query = base
            if last is not None:  # keyset pagination: constant cost per batch
                query = query.filter(or_(Dossier.accepted_at > last[0],
                                         and_(Dossier.accepted_at == last[0],
                                              Dossier.id > last[1])))
            batch = query.limit(min(REGISTER_BATCH, limit - number)).all()
            if not batch:
                break
            sent = dict(db.session.execute(
                select(DossierEvent.dossier_id, func.min(DossierEvent.at))
                .where(DossierEvent.dossier_id.in_([d.id for d in batch]),
                       DossierEvent.to_status == lc.PROCESSING,
                       DossierEvent.from_status == lc.ACCEPTED)
                .group_by(DossierEvent.dossier_id)).all())
            for d in batch:
                number += 1
                contact = ", ".join(x for x in (d.address, d.phone) if x)
                write_row(sheet, row, [
                    number, d.code, f"{d.procedure.code} – {d.procedure.name}", d.applicant_name,
                    contact, d.agency.name, d.accepted_at, d.due_date, sent.get(d.id),
                    d.resolved_at, d.returned_at,
                    str(labels.RETURN_CHANNELS.get(d.return_channel, "") or "")], formats)
                row += 1
            last = (batch[-1].accepted_at, batch[-1].id)
            for d in batch:  # keep memory flat on big registers (the catalog rows stay)
                db.session.expunge(d)
        if number >= limit and base.offset(limit).limit(1).first() is not None:
            write_row(sheet, row + 1, [gettext(
                "Only the first %(count)s dossiers are listed: choose a shorter date range.",
                count=limit)], {0: bold})
        book.close()
        name = f"so-theo-doi-ho-so-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        stream = open(path, "rb")
        os.unlink(path)  # the open handle keeps the data until it is sent
        return send_file(stream, as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")


class DossierDueView(DossierView):
    """Supervision (đôn đốc): running dossiers overdue or due within two working days, the
    most urgent first. Staff see their own agencies'; managers and admins all."""
    create_roles = edit_roles = ()
    action_roles = ()
    column_list = ("code", "applicant_name", "phone", "procedure", "agency", "status",
                   "accepted_at", "due_date", "days_left")
    column_sortable_list = ("code", "accepted_at", "due_date")
    column_default_sort = [("due_date", False), ("id", False)]
    column_filters = DossierView.column_filters[:2]
    column_labels = dict(labels.LABELS, days_left=_l("Working days left"))
    export_formatters = dict(DossierView.export_formatters, days_left=working_days_left)
    extra_list_links = ()

    def get_query(self):
        return super().get_query().filter(_due_within_horizon())

    def get_count_query(self):
        return super().get_count_query().filter(_due_within_horizon())

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            for d in rows:  # pure computation over the page already loaded, no query per row
                d._days_left = working_days_left(d)
        return count, rows

    column_formatters = dict(DossierView.column_formatters, days_left=lambda v, c, m, n: (
        Markup('<span class="badge badge-danger">{}</span>').format(
            gettext("overdue by %(n)s working days", n=format_number(-m._days_left)))
        if m.due_date < today()
        else Markup('<span class="badge badge-warning">{}</span>').format(gettext("due today"))
        if m._days_left == 0 else escape(format_number(m._days_left))))


def _due_within_horizon():
    horizon = load_calendar(db.session).nth_working_day_after(today(), 2)
    return and_(Dossier.status.in_(lc.RUNNING_STATUSES), Dossier.due_date <= horizon)


def register(admin):
    category = _l("Dossiers")
    admin.add_view(DossierView(Dossier, db, name=_l("Dossiers"), category=category,
                               endpoint="dossier"))
    admin.add_view(DossierDueView(Dossier, db, name=_l("Overdue and nearly due"),
                                  category=category, endpoint="dossier_due",
                                  url="/dossier_due"))
