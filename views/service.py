"""The center's other daily systems: payments, the staff rating kiosk, evaluation forms, feedback,
the public postal service and courier runs. Rules live in domain/; these are declarations plus
small hooks."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import not_, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import (DateTimeLocalField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import TextInput

from domain import courier, evaluation, feedback as fb, payments, postal, ratings
from domain.calendar import load_calendar
from domain.formatting import format_number, format_percent, format_vnd
from domain.service import RuleError, cancel_record, local_now
from models import (Agency, CourierRun, Dossier, EvaluationForm, EvaluationIndicator, Feedback,
                    Payment, StaffRating, User, db, user_agency)
from views import labels
from views.exports import XlsxExportMixin
from views.base import (ALL_ROLES, AgencyScopedMixin, SearchAjaxLoader, SecureBaseView,
                        SecureForm, SecureModelView, db_options, has_role, own_agency_ids,
                        own_agency_options, parse_id, vnd_formatter)

WRITERS = ("admin", "staff")

# Vietnamese (translated) messages for the refusals of domain/ rules.
RULE_MESSAGES = {
    "amount_required": _l("Enter the amount in đồng."),
    "amount_not_a_number": _l("The amount must be a whole number of đồng, e.g. 135000 or "
                              "135.000."),
    "amount_fractional": _l("The amount must be a whole number of đồng: no decimals."),
    "amount_not_positive": _l("The amount must be greater than 0 đồng."),
    "amount_too_large": _l("The amount is too large; check the number."),
    "payment_method_unknown": _l("Unknown payment method."),
    "fee_item_other_procedure": _l("This fee item belongs to another procedure."),
    "cancel_reason_required": _l("Give the reason for the cancellation."),
    "already_cancelled": _l("This record is already cancelled."),
    "rating_staff_only": _l("Only counter staff can be rated at the kiosk."),
    "rating_level_unknown": _l("Choose one of the three buttons."),
    "rating_channel_unknown": _l("Unknown rating channel."),
    "rating_dossier_refused": _l("This dossier is not one of your agencies' dossiers."),
    "evaluation_form_set_unknown": _l("Unknown evaluation form."),
    "evaluation_channel_unknown": _l("Unknown channel."),
    "evaluation_no_indicators": _l("This form has no indicators yet."),
    "evaluation_answers_incomplete": _l("Give a score for every indicator."),
    "evaluation_score_out_of_range": _l("Indicator %(indicator)s: the score must be 0, 1 or 2."),
    "evaluation_dossier_other_agency": _l("The dossier belongs to another agency."),
    "feedback_answer_required": _l("An answered item needs the answer text."),
    "feedback_answer_before_receipt": _l("The answer date is before the receipt date."),
    "courier_too_many_codes": _l("At most %(limit)s codes at a time."),
    "courier_run_other_agency": _l("This run is for an agency that is not yours."),
    "courier_items_other_agency": _l("The run carries dossiers of another agency."),
}


def rule_message(error: RuleError) -> str:
    if error.key == "courier_codes_refused":
        parts = []
        if error.params.get("unknown"):
            parts.append(_("Unknown codes: %(codes)s.",
                           codes=", ".join(error.params["unknown"])))
        if error.params.get("other_agency"):
            parts.append(_("Codes of another agency's dossiers: %(codes)s.",
                           codes=", ".join(error.params["other_agency"])))
        return " ".join([_("No dossier was added.")] + parts)
    message = RULE_MESSAGES.get(error.key)
    if message is None:
        return str(error)
    params = {k: (", ".join(v) if isinstance(v, (list, tuple)) else v)
              for k, v in error.params.items()}
    return str(message) % params if params else str(message)



def user_object():
    return current_user._get_current_object()


# ---- choices read per request -----------------------------------------------------------------


@db_options
def staff_options():
    return (db.session.query(User.id, User.full_name).filter(User.role == "staff")
            .order_by(User.full_name).all())


def own_dossiers(model):
    """Dossiers a user may attach a record to: accepted ones (they have a code), of the user's
    own agencies for staff."""
    query = db.session.query(Dossier).filter(Dossier.code.is_not(None))
    ids = own_agency_ids()
    if ids is not None:
        query = query.filter(Dossier.agency_id.in_(ids or [-1]))
    return query


def own_agencies(model):
    query = db.session.query(Agency).filter(Agency.active.is_(True))
    ids = own_agency_ids()
    if ids is not None:
        query = query.filter(Agency.id.in_(ids or [-1]))
    return query


def _parse_day(value) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime((value or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


def period_from_request() -> tuple[dt.date, dt.date]:
    """?from=&to= (yyyy-mm-dd or dd/mm/yyyy); by default the current year up to today."""
    today = local_now().date()
    start = _parse_day(request.args.get("from")) or today.replace(month=1, day=1)
    end = _parse_day(request.args.get("to")) or today
    if end < start:
        start, end = end, start
    return start, end


# ---- shared pieces ----------------------------------------------------------------------------

class VndAmountField(IntegerField):
    """Whole đồng typed as 135000 or 135.000; negative, zero and fractional amounts are refused
    with a clear message (domain.payments.parse_amount_vnd)."""
    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = payments.parse_amount_vnd(valuelist[0])
        except RuleError as error:
            self.data = None
            raise ValueError(rule_message(error)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def _cancelled_formatter(view, context, model, name):
    if model.cancelled_at is None:
        return ""
    return Markup('<span class="badge badge-secondary" title="{}">{}</span>').format(
        model.cancel_reason or "", _("Cancelled"))


class CancelMixin:
    """No delete for money or ratings: "cancel with a reason" (a form, POST with CSRF)."""
    cancel_roles: tuple[str, ...] = ()

    def can_cancel(self) -> bool:
        return has_role(*self.cancel_roles)

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if self.can_cancel():
            actions = actions + [EndpointLinkRowAction(
                "fa fa-ban", ".cancel_view", title=str(_l("Cancel with a reason")))]
        return actions

    @expose("/cancel/", methods=("GET", "POST"))
    def cancel_view(self):
        if not self.can_cancel():
            abort(403)
        record = self.get_one(request.values.get("id"))
        if record is None:
            abort(404)
        error = None
        if request.method == "POST":
            try:
                cancel_record(record, request.form.get("reason"), local_now())
                db.session.commit()
            except RuleError as exc:
                db.session.rollback()
                error = rule_message(exc)
            else:
                flash(_("The record was cancelled."), "success")
                return redirect(self.get_url(".details_view", id=record.id))
        return self.render("admin/service/cancel.html", record=record, error=error,
                           return_url=self.get_url(".index_view")), (400 if error else 200)


class TotalsMixin:
    """A "Totals" page per screen: GROUP BY queries of domain/, scoped to the staff's agencies."""
    list_template = "admin/service/list.html"
    totals_title = None

    def totals_tables(self, start, end, agency_ids) -> list[dict]:
        raise NotImplementedError

    @expose("/totals/")
    def totals_view(self):
        start, end = period_from_request()
        tables = self.totals_tables(start, end, own_agency_ids())
        return self.render("admin/service/totals.html", tables=tables, start=start, end=end,
                           title=self.totals_title or self.name)


def level_cells(row) -> list:
    return [format_number(row.very_satisfied), format_number(row.satisfied),
            format_number(row.unsatisfied), format_number(row.total)]


# ---- payments ---------------------------------------------------------------------------------

class PaymentView(XlsxExportMixin, TotalsMixin, CancelMixin, AgencyScopedMixin, SecureModelView):
    """Payments of fees and charges. Staff record them for their own agencies' dossiers; a
    payment is never edited or deleted: a mistake is cancelled with a reason, then re-entered."""
    read_roles = ALL_ROLES
    create_roles = WRITERS
    edit_roles = ()
    cancel_roles = WRITERS
    create_template = "admin/service/payment_create.html"
    totals_title = _l("Fees collected")
    column_labels = dict(labels.LABELS, **{"dossier.agency": labels.LABELS["agency"]})
    column_list = ("paid_at", "dossier", "dossier.agency", "amount_vnd", "method", "receipt_no",
                   "collected_by", "cancelled_at")
    column_details_list = ("paid_at", "dossier", "dossier.agency", "fee_item", "amount_vnd",
                           "method", "receipt_no", "collected_by", "cancelled_at",
                           "cancel_reason", "created_at")
    column_sortable_list = ("paid_at", "amount_vnd", "method", "receipt_no")
    column_default_sort = ("paid_at", True)
    column_searchable_list = ("dossier.search_text", "receipt_no")
    column_filters = (IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
                      "method", "paid_at", "amount_vnd", "cancelled_at")
    column_choices = {"method": labels.choices(labels.PAYMENT_METHODS)}
    column_formatters = {"amount_vnd": vnd_formatter, "cancelled_at": _cancelled_formatter}
    column_formatters_detail = {"amount_vnd": vnd_formatter}
    simple_list_pager = True
    form_columns = ("dossier", "amount_vnd", "method", "paid_at", "receipt_no")
    form_choices = {"method": labels.choices(labels.PAYMENT_METHODS)}
    form_overrides = {"amount_vnd": VndAmountField}
    form_args = {"paid_at": {"validators": [DataRequired()]},
                 "dossier": {"validators": [DataRequired()]},
                 "receipt_no": {"validators": [Optional(), Length(max=64)]}}
    form_widget_args = {"amount_vnd": {"inputmode": "numeric", "autocomplete": "off"}}
    form_ajax_refs = {"dossier": SearchAjaxLoader("dossier", Dossier, query_factory=own_dossiers,
                                                  order_by=Dossier.id.desc())}

    def get_query(self):
        return super().get_query().options(
            joinedload(Payment.dossier).joinedload(Dossier.agency),
            joinedload(Payment.collected_by))

    def agency_criterion(self, agency_ids):
        return Payment.dossier.has(Dossier.agency_id.in_(agency_ids))

    def _dossier_from_args(self):
        dossier_id = parse_id(request.args.get("dossier_id"))
        if not dossier_id:
            return None
        return own_dossiers(Dossier).filter(Dossier.id == dossier_id).one_or_none()

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.paid_at.data = local_now()
            form.method.data = "bank_transfer"
            dossier = self._dossier_from_args()
            if dossier is not None:
                form.dossier.data = dossier
                proposed = payments.fee_proposal(db.session, dossier).proposed_vnd
                form.amount_vnd.data = proposed or None
        return form

    def on_model_change(self, form, model, is_created):
        if not is_created:
            raise ValidationError(_("A payment cannot be changed; cancel it with a reason."))
        with db.session.no_autoflush:
            allowed = model.dossier is not None and own_dossiers(Dossier).filter(
                Dossier.id == model.dossier.id).one_or_none() is not None
        if not allowed:
            raise ValidationError(str(RULE_MESSAGES["rating_dossier_refused"]))
        try:
            model.amount_vnd = payments.parse_amount_vnd(model.amount_vnd)
        except RuleError as error:
            raise ValidationError(rule_message(error)) from None
        model.collected_by = user_object()

    @expose("/proposal/")
    def proposal_view(self):
        """The amount to propose for a dossier (JSON), from its procedure's fee items."""
        if not self.can_create:
            abort(403)
        dossier = self._dossier_from_args()
        if dossier is None:
            abort(404)
        return jsonify(payments.fee_proposal(db.session, dossier).as_dict())

    def totals_tables(self, start, end, agency_ids):
        rows = payments.payment_totals(db.session, start, end, agency_ids)
        by_agency: dict = {}
        by_method: dict = {}
        by_month: dict = {}
        for r in rows:
            by_agency.setdefault(r.agency_name, [0, 0])
            by_method.setdefault(r.method, [0, 0])
            by_month.setdefault((r.year, r.month), [0, 0])
            for bucket in (by_agency[r.agency_name], by_method[r.method],
                           by_month[(r.year, r.month)]):
                bucket[0] += r.count
                bucket[1] += r.amount_vnd
        total = [sum(v[0] for v in by_agency.values()), sum(v[1] for v in by_agency.values())]
        head = [_("Number of payments"), _("Amount (VND)")]
        foot = [_("Total"), format_number(total[0]), format_vnd(total[1])]

        def table(title, first, items):
            return {"title": title, "headers": [first] + head, "foot": foot,
                    "rows": [[k, format_number(v[0]), format_vnd(v[1])] for k, v in items]}
        return [
            table(_("By agency"), _("Agency"), by_agency.items()),
            table(_("By method"), _("Method"),
                  [(labels.PAYMENT_METHODS.get(k, k), v) for k, v in by_method.items()]),
            table(_("By month"), _("Month"),
                  [(f"{m:02d}/{y}", v) for (y, m), v in sorted(by_month.items())]),
            {"title": _("By agency, month and method"),
             "headers": [_("Agency"), _("Month"), _("Method")] + head,
             "rows": [[r.agency_name, f"{r.month:02d}/{r.year}",
                       labels.PAYMENT_METHODS.get(r.method, r.method), format_number(r.count),
                       format_vnd(r.amount_vnd)] for r in rows]},
        ]


# ---- staff ratings ----------------------------------------------------------------------------

class RatingAgencyFilter(BaseSQLAFilter):
    """Ratings of the officers of one agency."""

    def apply(self, query, value, alias=None):
        return query.filter(StaffRating.staff_id.in_(
            select(user_agency.c.user_id).where(user_agency.c.agency_id == int(value))))

    def operation(self):
        return _l("equals")

    def validate(self, value):
        return parse_id(value) is not None


class StaffRatingView(XlsxExportMixin, TotalsMixin, CancelMixin, SecureModelView):
    """Ratings from the kiosk: managers and admins read them; only admins cancel one (with a
    reason); nobody edits or deletes them."""
    read_roles = ("admin", "manager")
    create_roles = edit_roles = ()
    cancel_roles = ("admin",)
    totals_title = _l("Staff ratings")
    column_labels = labels.LABELS
    column_list = ("rated_at", "staff", "level", "dossier", "channel", "cancelled_at")
    column_details_list = column_list + ("cancel_reason", "created_at")
    column_sortable_list = ("rated_at", "level", ("staff", "staff.full_name"))
    column_default_sort = ("rated_at", True)
    column_searchable_list = ("staff.search_text",)
    column_filters = (IntEqualFilter(StaffRating.staff_id, _l("Officer"), options=staff_options),
                      RatingAgencyFilter(StaffRating.staff_id, _l("Agency"),
                                         options=own_agency_options),
                      "level", "channel", "rated_at", "cancelled_at")
    column_choices = {"level": labels.choices(labels.RATING_LEVELS),
                      "channel": labels.choices(labels.RATING_CHANNELS)}
    column_formatters = {"cancelled_at": _cancelled_formatter}
    simple_list_pager = True

    def get_query(self):
        return super().get_query().options(joinedload(StaffRating.staff),
                                           joinedload(StaffRating.dossier))

    def totals_tables(self, start, end, agency_ids):
        head = [labels.RATING_LEVELS["very_satisfied"], labels.RATING_LEVELS["satisfied"],
                labels.RATING_LEVELS["unsatisfied"], _("Total")]
        counts = ratings.rating_counts(db.session, start, end)
        return [
            {"title": _("By level"), "headers": [_("Level"), _("Ratings"), _("Share")],
             "rows": [[labels.RATING_LEVELS[k], format_number(counts[k]),
                       format_percent(counts[k], counts["total"])]
                      for k in ("very_satisfied", "satisfied", "unsatisfied")],
             "foot": [_("Total"), format_number(counts["total"]), ""]},
            {"title": _("By officer"), "headers": [_("Officer")] + head,
             "rows": [[r.label] + level_cells(r)
                      for r in ratings.rating_counts_by_officer(db.session, start, end)]},
            {"title": _("By agency (of the officer)"), "headers": [_("Agency")] + head,
             "rows": [[r.label] + level_cells(r)
                      for r in ratings.rating_counts_by_agency(db.session, start, end)]},
        ]


class RatingKioskView(SecureBaseView):
    """The tablet facing the citizen at the counter: the officer's name and three buttons. It
    rates the logged-in officer only and shows nothing else."""
    read_roles = ("staff",)

    def _dossier_id(self, value):
        """An optional dossier of the officer's own agencies (anything else is refused)."""
        if value in (None, ""):
            return None
        value = parse_id(value)
        if value is None:
            return False
        found = db.session.scalar(select(Dossier.id).where(
            Dossier.id == value, Dossier.agency_id.in_(current_user.agency_ids or [-1])))
        return found if found is not None else False

    def _page(self, dossier_id=None, thanks=False, error=None, status=200):
        return self.render("admin/service/kiosk.html", levels=labels.RATING_LEVELS,
                           dossier_id=dossier_id, thanks=thanks, error=error), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "GET":
            dossier_id = self._dossier_id(request.args.get("dossier_id"))
            return self._page(dossier_id=dossier_id or None,
                              thanks=bool(request.args.get("thanks")))
        # A forged officer id is refused: the kiosk only ever rates the logged-in officer.
        forged = request.form.get("staff_id")
        if forged not in (None, "", str(current_user.id)):
            return self._page(error=_("This kiosk can only rate the officer logged in."),
                              status=403)
        dossier_id = self._dossier_id(request.form.get("dossier_id"))
        if dossier_id is False:
            return self._page(error=str(RULE_MESSAGES["rating_dossier_refused"]), status=400)
        try:
            ratings.record_rating(db.session, user_object(), request.form.get("level"),
                                  local_now(), dossier_id=dossier_id)
            db.session.commit()
        except RuleError as error:
            db.session.rollback()
            return self._page(error=rule_message(error), status=400)
        return redirect(url_for(".index", thanks=1))


# ---- evaluation forms -------------------------------------------------------------------------

def _score_formatter(view, context, model, name):
    return evaluation.score_label(model.score, model.max_score)


def _answers_formatter(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(a.indicator.code)}</td><td>{escape(a.indicator.name)}</td>"
        f"<td>{a.score}/{a.indicator.max_score}</td></tr>"
        for a in sorted(model.answers, key=lambda a: (a.indicator.sort_order, a.indicator_id)))
    return Markup(f'<table class="table table-sm mb-0">{rows}</table>')


FORM_SETS = {evaluation.CITIZEN_2019: _l("Citizen form 2019 (out of 8)"),
             evaluation.NATIONAL: _l("National indicators (out of 18)")}


class EvaluationFormView(XlsxExportMixin, TotalsMixin, CancelMixin, AgencyScopedMixin, SecureModelView):
    """Evaluation forms (phiếu đánh giá): staff enter the forms of their agencies; a wrong form is
    cancelled with a reason, never edited or deleted."""

    def agency_criterion(self, agency_ids):
        return EvaluationForm.agency_id.in_(agency_ids)
    read_roles = ALL_ROLES
    create_roles = WRITERS
    edit_roles = ()
    cancel_roles = WRITERS
    totals_title = _l("Evaluation forms")
    column_labels = labels.LABELS
    column_list = ("submitted_at", "form_set", "agency", "dossier", "score", "channel",
                   "cancelled_at")
    column_details_list = ("submitted_at", "form_set", "agency", "dossier", "score", "answers",
                           "channel", "cancelled_at", "cancel_reason", "created_at")
    column_sortable_list = ("submitted_at", "score", ("agency", "agency.sort_order"))
    column_default_sort = ("submitted_at", True)
    column_searchable_list = ("dossier.search_text",)
    column_filters = (IntEqualFilter(EvaluationForm.agency_id, _l("Agency"), options=own_agency_options),
                      "form_set", "score", "max_score", "channel", "submitted_at",
                      "cancelled_at")
    column_choices = {"form_set": labels.choices(FORM_SETS),
                      "channel": labels.choices(labels.EVALUATION_CHANNELS)}
    column_formatters = {"score": _score_formatter, "cancelled_at": _cancelled_formatter}
    column_formatters_detail = {"score": _score_formatter, "answers": _answers_formatter}
    simple_list_pager = True

    def get_query(self):
        return super().get_query().options(joinedload(EvaluationForm.agency),
                                           joinedload(EvaluationForm.dossier))

    def get_one(self, id):
        model = super().get_one(id)
        if model is not None and request.endpoint and request.endpoint.endswith("details_view"):
            model = self.get_query().options(selectinload(EvaluationForm.answers)).filter(
                EvaluationForm.id == model.id).one()
        return model

    def _entry_form(self, form_set):
        indicators = evaluation.indicators_of(db.session, form_set)

        class EntryForm(SecureForm):
            dossier_code = StringField(_l("Dossier code"), validators=[Optional(),
                                                                       Length(max=40)])
            agency = SelectField(_l("Agency"), coerce=int, validators=[Optional()],
                                 choices=[(0, "")] + [(a.id, a.name) for a in
                                                      own_agencies(Agency).order_by(
                                                          Agency.sort_order, Agency.name)])
            submitted_at = DateTimeLocalField(_l("Submitted at"), validators=[DataRequired()],
                                              format="%Y-%m-%dT%H:%M", default=local_now)
            channel = SelectField(_l("Channel"), default="paper",
                                  choices=labels.choices(labels.EVALUATION_CHANNELS))

        for indicator in indicators:
            setattr(EntryForm, f"ind_{indicator.id}", RadioField(
                f"{indicator.code}. {indicator.name}", coerce=int,
                choices=[(i, str(i)) for i in range(indicator.max_score + 1)],
                validators=[InputRequired(message=_l("Give a score for every indicator."))]))
        return EntryForm(), indicators

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form_set = request.values.get("form_set", evaluation.CITIZEN_2019)
        if form_set not in FORM_SETS:
            abort(404)
        form, indicators = self._entry_form(form_set)
        error = None
        if form.validate_on_submit():
            try:
                self._save(form, form_set, indicators)
            except RuleError as exc:
                db.session.rollback()
                error = rule_message(exc)
            else:
                flash(_("The evaluation form was saved."), "success")
                if "_add_another" in request.form:
                    return redirect(self.get_url(".create_view", form_set=form_set))
                return redirect(self.get_url(".index_view"))
        elif request.method == "POST":
            error = _("Check the form: some answers are missing or wrong.")
        return self.render("admin/service/evaluation_create.html", form=form, form_set=form_set,
                           form_sets=FORM_SETS, indicators=indicators, error=error,
                           return_url=self.get_url(".index_view")), (400 if error else 200)

    def _save(self, form, form_set, indicators):
        dossier = None
        code = (form.dossier_code.data or "").strip()
        if code:
            dossier = own_dossiers(Dossier).filter(Dossier.code == code).one_or_none()
            if dossier is None:
                raise RuleError("rating_dossier_refused")
            agency_id = dossier.agency_id
        else:
            agency_id = form.agency.data
            allowed = own_agency_ids()
            if not agency_id or (allowed is not None and agency_id not in allowed):
                raise RuleError("evaluation_agency_required")
        scores = {i.id: getattr(form, f"ind_{i.id}").data for i in indicators}
        evaluation.record_evaluation(db.session, form_set, scores, agency_id,
                                     form.submitted_at.data, dossier=dossier,
                                     channel=form.channel.data)
        db.session.commit()

    def totals_tables(self, start, end, agency_ids):
        by_score = evaluation.evaluation_counts_by_score(db.session, start, end, agency_ids)
        total = sum(r.count for r in by_score)
        return [
            {"title": _("By score"), "headers": [_("Score"), _("Forms"), _("Share")],
             "rows": [[r.label, format_number(r.count), format_percent(r.count, total)]
                      for r in by_score],
             "foot": [_("Total"), format_number(total), ""]},
            {"title": _("By agency"),
             "headers": [_("Agency"), _("Forms"), _("Points"), _("Average")],
             "rows": [[name, format_number(n), f"{format_number(pts)}/{format_number(mx)}",
                       format_percent(pts, mx)]
                      for _id, name, n, pts, mx in evaluation.evaluation_counts_by_agency(
                          db.session, start, end, agency_ids)]},
        ]


RULE_MESSAGES["evaluation_agency_required"] = _l("Choose one of your agencies (or give the "
                                                 "dossier code).")


class EvaluationIndicatorView(XlsxExportMixin, SecureModelView):
    """The indicators are data: admins correct names, order or retire one (never delete: old
    answers point to it). New sets come from `flask evaluation indicators`."""
    read_roles = ("admin", "manager")
    create_roles = edit_roles = ("admin",)
    column_labels = labels.LABELS
    column_list = ("form_set", "sort_order", "code", "name", "max_score", "active")
    column_default_sort = [("form_set", False), ("sort_order", False)]
    column_searchable_list = ()
    column_filters = ("form_set", "active")
    column_choices = {"form_set": labels.choices(FORM_SETS)}
    form_columns = ("form_set", "code", "name", "max_score", "sort_order", "active")
    form_choices = {"form_set": labels.choices(FORM_SETS)}
    form_args = {"max_score": {"validators": [InputRequired(), NumberRange(min=1, max=2)]}}


# ---- feedback ---------------------------------------------------------------------------------

class OverdueFilter(BaseSQLAFilter):
    """Open feedback past its due date (yes) or not (no), as of today."""

    def apply(self, query, value, alias=None):
        criterion = fb.overdue_criterion(local_now().date())
        return query.filter(criterion if value == "1" else not_(criterion))

    def operation(self):
        return _l("equals")


def _overdue_formatter(view, context, model, name):
    if fb.is_overdue(model, local_now().date()):
        return Markup('<span class="badge badge-danger">{}</span>').format(_("Overdue"))
    on_time = fb.answered_on_time(model)
    if on_time is False:
        return Markup('<span class="badge badge-warning">{}</span>').format(_("Answered late"))
    return ""


class FeedbackView(XlsxExportMixin, TotalsMixin, AgencyScopedMixin, SecureModelView):
    """Phản ánh, kiến nghị: due 10 working days after receipt (FEEDBACK_DUE_DAYS)."""

    def agency_criterion(self, agency_ids):
        return Feedback.agency_id.in_(agency_ids)
    read_roles = ALL_ROLES
    create_roles = edit_roles = WRITERS
    totals_title = _l("Feedback")
    column_labels = dict(labels.LABELS, overdue=_l("Overdue"))
    column_list = ("received_at", "channel", "sender", "subject", "agency", "status",
                   "due_date", "overdue", "answered_at")
    column_details_list = ("received_at", "channel", "sender", "contact", "subject", "content",
                           "agency", "dossier", "due_date", "status", "overdue", "answer",
                           "answered_at", "handled_by", "created_at", "updated_at")
    column_sortable_list = ("received_at", "channel", "status", "due_date", "answered_at")
    column_default_sort = ("received_at", True)
    column_filters = (OverdueFilter(Feedback.due_date, _l("Overdue"),
                                    options=(("1", _l("Yes")), ("0", _l("No")))),
                      IntEqualFilter(Feedback.agency_id, _l("Agency"), options=own_agency_options),
                      "channel", "status", "received_at", "due_date", "answered_at")
    column_choices = {"channel": labels.choices(labels.FEEDBACK_CHANNELS),
                      "status": labels.choices(labels.FEEDBACK_STATUSES)}
    column_formatters = {"overdue": _overdue_formatter}
    column_formatters_detail = {"overdue": _overdue_formatter}
    simple_list_pager = True
    form_columns = ("channel", "received_at", "sender", "contact", "subject", "content",
                    "agency", "dossier", "status", "answer", "answered_at")
    form_choices = {"channel": labels.choices(labels.FEEDBACK_CHANNELS),
                    "status": labels.choices(labels.FEEDBACK_STATUSES)}
    form_args = {"received_at": {"validators": [DataRequired()], "default": local_now}}
    form_ajax_refs = {
        "agency": SearchAjaxLoader("agency", Agency, query_factory=own_agencies),
        "dossier": SearchAjaxLoader("dossier", Dossier, query_factory=own_dossiers,
                                    order_by=Dossier.id.desc()),
    }

    def get_query(self):
        return super().get_query().options(joinedload(Feedback.agency))

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the calendar query must not flush a half-built row
            self._check_and_complete(form, model, is_created)

    def _check_and_complete(self, form, model, is_created):
        allowed = own_agency_ids()
        agency_id = model.agency.id if model.agency is not None else None
        if allowed is not None and agency_id not in allowed:
            raise ValidationError(_("Choose one of your agencies."))
        if model.dossier is not None and agency_id is not None \
                and model.dossier.agency_id != agency_id:
            raise ValidationError(str(RULE_MESSAGES["evaluation_dossier_other_agency"]))
        if is_created or form.received_at.object_data != model.received_at:
            days = int(current_app.config.get("FEEDBACK_DUE_DAYS", fb.DEFAULT_DUE_DAYS))
            model.due_date = fb.feedback_due_date(load_calendar(db.session), model.received_at,
                                                  days)
        try:
            fb.apply_answer(model, user_object(), local_now())
        except RuleError as error:
            raise ValidationError(rule_message(error)) from None

    def totals_tables(self, start, end, agency_ids):
        s = fb.feedback_summary(db.session, start, end, agency_ids, today=local_now().date())
        return [{"title": _("Feedback received in the period"),
                 "headers": [_("Figure"), _("Count")],
                 "rows": [[_("Received"), format_number(s["received"])],
                          [_("Answered"), format_number(s["answered"])],
                          [_("Answered on time"), format_number(s["answered_on_time"])],
                          [_("Share answered on time"),
                           format_percent(s["answered_on_time"], s["answered"])],
                          [_("Open and overdue today"), format_number(s["overdue"])]]}]


# ---- public postal service --------------------------------------------------------------------

class PostalDossierView(XlsxExportMixin, TotalsMixin, AgencyScopedMixin, SecureModelView):
    """Dossiers received by post or returned by post (read-only; the dossier screen changes
    them)."""

    def agency_criterion(self, agency_ids):
        return Dossier.agency_id.in_(agency_ids)
    read_roles = ALL_ROLES
    create_roles = edit_roles = ()
    totals_title = _l("Public postal service")
    column_labels = labels.LABELS
    column_list = ("code", "applicant_name", "agency", "channel", "accepted_at",
                   "return_channel", "returned_at", "postal_tracking_no", "status")
    column_details_list = ("code", "applicant_name", "address", "phone", "agency", "procedure",
                           "channel", "accepted_at", "due_date", "return_channel",
                           "returned_at", "postal_tracking_no", "status")
    column_sortable_list = ("code", "accepted_at", "returned_at")
    column_default_sort = ("accepted_at", True)
    column_filters = (IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
                      "channel", "return_channel", "accepted_at", "returned_at",
                      "postal_tracking_no")
    column_choices = {"channel": labels.choices(labels.CHANNELS),
                      "return_channel": labels.choices(labels.RETURN_CHANNELS),
                      "status": labels.choices(labels.DOSSIER_STATUSES)}
    simple_list_pager = True

    def get_query(self):
        return super().get_query().filter(postal.postal_criterion()).options(
            joinedload(Dossier.agency))

    def get_count_query(self):
        return super().get_count_query().filter(postal.postal_criterion())

    def totals_tables(self, start, end, agency_ids):
        rows = postal.postal_counts(db.session, start, end, agency_ids)
        return [{"title": _("Public postal service by agency"),
                 "headers": [_("Agency"), _("Received by post"), _("Returned by post"),
                             _("Returned without tracking number")],
                 "rows": [[r.agency_name, format_number(r.received_by_post),
                           format_number(r.returned_by_post),
                           format_number(r.returned_without_tracking)] for r in rows],
                 "foot": [_("Total"), format_number(sum(r.received_by_post for r in rows)),
                          format_number(sum(r.returned_by_post for r in rows)),
                          format_number(sum(r.returned_without_tracking for r in rows))]}]


# ---- courier runs -----------------------------------------------------------------------------

def _items_formatter(view, context, model, name):
    return Markup("<br>").join(escape(item.dossier.code or f"#{item.dossier_id}")
                               for item in model.items)


def _item_count_formatter(view, context, model, name):
    return format_number(len(model.items))


class CourierRunView(XlsxExportMixin, TotalsMixin, AgencyScopedMixin, SecureModelView):
    """Runs of the post office between the center and an agency (10:30 and 16:00). Dossiers are
    added by typing or scanning their codes: unknown or other-agency codes refuse the batch."""
    simple_list_pager = True

    def agency_criterion(self, agency_ids):
        return CourierRun.agency_id.in_(agency_ids)
    read_roles = ALL_ROLES
    create_roles = edit_roles = WRITERS
    totals_title = _l("Courier runs")
    column_labels = dict(labels.LABELS, codes=_l("Dossier codes (one per line)"),
                         item_count=_l("Dossiers"))
    simple_list_pager = True
    column_list = ("run_date", "slot", "direction", "agency", "item_count", "created_by")
    column_details_list = ("run_date", "slot", "direction", "agency", "items", "note",
                           "created_by", "created_at")
    column_sortable_list = ("run_date", "slot", "direction", ("agency", "agency.sort_order"))
    column_default_sort = [("run_date", True), ("slot", True)]
    column_searchable_list = ("agency.search_text",)
    column_filters = (IntEqualFilter(CourierRun.agency_id, _l("Agency"), options=own_agency_options),
                      "run_date", "slot", "direction")
    column_choices = {"direction": labels.choices(labels.COURIER_DIRECTIONS)}
    column_formatters = {"item_count": _item_count_formatter}
    column_formatters_detail = {"items": _items_formatter}
    form_columns = ("run_date", "slot", "direction", "agency", "note", "codes")
    form_choices = {"slot": [(s, s) for s in ("10:30", "16:00")],
                    "direction": labels.choices(labels.COURIER_DIRECTIONS)}
    form_extra_fields = {"codes": TextAreaField(
        _l("Dossier codes (one per line)"),
        description=_l("Type or scan the codes, one per line. Unknown codes or codes of "
                       "another agency refuse the whole list."),
        render_kw={"rows": 8, "autocomplete": "off"})}
    form_args = {"run_date": {"validators": [DataRequired()], "default": lambda: local_now().date()},
                 "agency": {"validators": [DataRequired()]}}
    form_ajax_refs = {"agency": SearchAjaxLoader("agency", Agency, query_factory=own_agencies)}

    def get_query(self):
        return super().get_query().options(joinedload(CourierRun.agency),
                                           joinedload(CourierRun.created_by),
                                           selectinload(CourierRun.items))

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = user_object()
        agency_id = model.agency.id if model.agency is not None else None
        allowed = own_agency_ids()
        if allowed is not None and agency_id not in allowed:
            raise ValidationError(str(RULE_MESSAGES["courier_run_other_agency"]))
        with db.session.no_autoflush:
            clash = db.session.scalar(select(CourierRun.id).where(
                CourierRun.run_date == model.run_date, CourierRun.slot == model.slot,
                CourierRun.direction == model.direction, CourierRun.agency_id == agency_id,
                CourierRun.id != (model.id or -1)))
            if clash is not None:
                raise ValidationError(_("There is already a run for this date, slot, direction "
                                        "and agency: add the dossiers to it."))
            try:
                added = courier.add_codes_to_run(db.session, model, form.codes.data,
                                                 allowed_agency_ids=allowed)
            except RuleError as error:
                raise ValidationError(rule_message(error)) from None
        if added:
            flash(_("%(n)s dossiers added to the run.", n=len(added)), "info")

    def totals_tables(self, start, end, agency_ids):
        rows = courier.courier_counts(db.session, start, end, agency_ids)
        table: dict = {}
        for r in rows:
            table.setdefault(r.agency_name, {"to_agency": [0, 0], "to_center": [0, 0]})
            table[r.agency_name][r.direction] = [r.runs, r.dossiers]
        totals = {d: sum(v[d][1] for v in table.values()) for d in ("to_agency", "to_center")}
        return [{"title": _("Courier runs by agency"),
                 "headers": [_("Agency"), _("Runs to the agency"), _("Dossiers to the agency"),
                             _("Runs to the center"), _("Dossiers to the center")],
                 "rows": [[name, format_number(v["to_agency"][0]),
                           format_number(v["to_agency"][1]), format_number(v["to_center"][0]),
                           format_number(v["to_center"][1])] for name, v in table.items()],
                 "foot": [_("Total"), "", format_number(totals["to_agency"]), "",
                          format_number(totals["to_center"])]}]


def register(admin):
    category = _l("Services")
    admin.add_view(PaymentView(Payment, db, name=_l("Payments"), category=category,
                               endpoint="payment"))
    admin.add_view(RatingKioskView(name=_l("Rating kiosk"), category=category,
                                   endpoint="rating_kiosk", url="/kiosk"))
    admin.add_view(StaffRatingView(StaffRating, db, name=_l("Staff ratings"), category=category,
                                   endpoint="staff_rating"))
    admin.add_view(EvaluationFormView(EvaluationForm, db, name=_l("Evaluation forms"),
                                      category=category, endpoint="evaluation_form"))
    admin.add_view(EvaluationIndicatorView(EvaluationIndicator, db, name=_l("Evaluation indicators"),
                                           category=category, endpoint="evaluation_indicator"))
    admin.add_view(FeedbackView(Feedback, db, name=_l("Feedback"), category=category,
                                endpoint="feedback"))
    admin.add_view(PostalDossierView(Dossier, db, name=_l("Public postal service"),
                                     category=category, endpoint="postal"))
    admin.add_view(CourierRunView(CourierRun, db, name=_l("Courier runs"), category=category,
                                  endpoint="courier_run"))
