"""The center's other daily systems: payments, the staff rating kiosk, evaluation forms, feedback,
the public postal service and courier runs. Rules live in domain/; these are declarations plus
small hooks."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect,
                   render_template, request, session, url_for)
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _, lazy_gettext as _l, pgettext
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import not_, or_, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from app import commit_without_waiting
from domain import (clock, courier, evaluation, feedback as fb, form_submissions, kiosk, payments,
                    postal, ratings)
from domain.calendar import load_calendar
from domain.formatting import format_number, format_percent, format_vnd, parse_date
from domain.service import RuleError, cancel_record
from models import (Agency, CourierRun, Dossier, EvaluationForm, EvaluationIndicator, Feedback,
                    KioskDevice, Payment, StaffRating, User, db, user_agency, utcnow)
from views import labels
from views.exports import XlsxExportMixin
from views.fields import AMOUNT_MESSAGES, VnDateTimeField
from views.base import (ALL_ROLES, AgencyScopedMixin, OnceForm, SearchAjaxLoader,
                        SecureBaseView, SecureForm, SecureModelView, check_form_token,
                        claim_form_token, db_options, has_role, own_agency_ids,
                        own_agency_options, parse_id, record_form_result, vnd_formatter)

WRITERS = ("admin", "staff")

# Vietnamese (translated) messages for the refusals of domain/ rules.
RULE_MESSAGES = {
    **AMOUNT_MESSAGES,
    "payment_method_unknown": _l("Unknown payment method."),
    "fee_item_other_procedure": _l("This fee item belongs to another procedure."),
    "cancel_reason_required": _l("Give the reason for the cancellation."),
    "already_cancelled": _l("This record is already cancelled."),
    "rating_staff_only": _l("Only counter staff can be rated at the kiosk."),
    "rating_level_unknown": _l("Choose one of the three buttons."),
    "rating_channel_unknown": _l("Unknown rating channel."),
    "rating_dossier_refused": _l("This dossier is not one of your agencies' dossiers."),
    "kiosk_officer_refused": _l("Kiosk mode can only be started for a counter officer of your "
                                "agencies."),
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
    try:
        return parse_date(value)
    except ValueError:
        return None


def period_from_request() -> tuple[dt.date, dt.date]:
    """?from=&to= (dd/mm/yyyy or yyyy-mm-dd); by default the current year up to today."""
    today = clock.today()
    start = _parse_day(request.args.get("from")) or today.replace(month=1, day=1)
    end = _parse_day(request.args.get("to")) or today
    if end < start:
        start, end = end, start
    return start, end


# ---- shared pieces ----------------------------------------------------------------------------

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
                cancel_record(record, request.form.get("reason"), clock.now())
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
    form_args = {"amount_vnd": {"minimum": 1},  # VndField (views/fields.py): > 0 đồng
                 "paid_at": {"validators": [DataRequired()]},
                 "dossier": {"validators": [DataRequired()]},
                 "receipt_no": {"validators": [Optional(), Length(max=64)]}}
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
            form.paid_at.data = clock.now()
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
            {"title": _("By level"),
             "headers": [pgettext("satisfaction", "Level"), _("Ratings"), _("Share")],
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


KIOSK_COOKIE = "motcua_kiosk"


def _kiosk_periods() -> tuple[dt.timedelta, dt.timedelta]:
    """How long a kiosk credential lives after its last use, and at most after its start."""
    cfg = current_app.config
    return (dt.timedelta(hours=float(cfg.get("KIOSK_IDLE_HOURS", kiosk.DEFAULT_IDLE_HOURS))),
            dt.timedelta(hours=float(cfg.get("KIOSK_MAX_HOURS", kiosk.DEFAULT_MAX_HOURS))))


def kiosk_device():
    """The live kiosk device of this request's cookie, or None."""
    return kiosk.find(db.session, request.cookies.get(KIOSK_COOKIE), utcnow())


def _set_kiosk_cookie(response, token, expires_at):
    # Sent to the kiosk pages only; SameSite=Strict: no other site can post with it.
    response.set_cookie(KIOSK_COOKIE, token, expires=expires_at.replace(tzinfo=dt.UTC),
                        path="/kiosk/", secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Strict")


def _officer_dossier_id(officer, value):
    """An optional dossier of the officer's own agencies: its id, None, or False (refused)."""
    if value in (None, ""):
        return None
    value = parse_id(value)
    if value is None:
        return False
    found = db.session.scalar(select(Dossier.id).where(
        Dossier.id == value, Dossier.agency_id.in_(officer.agency_ids or [-1])))
    return found if found is not None else False


def _rate(officer, form):
    """Record the tap of the rating screen for `officer`: None, or (error message, status)."""
    # A forged officer id is refused: the kiosk only ever rates its own officer.
    forged = form.get("staff_id")
    if forged not in (None, "", str(officer.id)):
        return _("This kiosk can only rate the officer logged in."), 403
    dossier_id = _officer_dossier_id(officer, form.get("dossier_id"))
    if dossier_id is False:
        return str(RULE_MESSAGES["rating_dossier_refused"]), 400
    try:
        # A double tap rates once: the form's token is taken in the rating's transaction.
        form_submissions.claim(db.session, form_submissions.clean_token(form.get("form_token")),
                               officer.id)
        ratings.record_rating(db.session, officer, form.get("level"), clock.now(),
                              dossier_id=dossier_id)
        db.session.commit()
    except form_submissions.AlreadySubmitted:
        db.session.rollback()  # the citizen sees the same thanks; nothing is counted twice
    except RuleError as error:
        db.session.rollback()
        return rule_message(error), 400
    return None


class KioskStartForm(SecureForm):
    officer = SelectField(_l("Officer rated at this kiosk"), coerce=int)


def kiosk_officers():
    """Whom the user may start kiosk mode for (domain.kiosk.may_start): active counter staff;
    for a staff member, of their own agencies."""
    query = db.session.query(User).filter(User.role == "staff", User.active.is_(True))
    ids = own_agency_ids()
    if ids is not None:
        query = query.filter(or_(User.id == current_user.id, User.agencies.any(
            Agency.id.in_(ids))))
    return query.order_by(User.full_name).all()


class RatingKioskView(SecureBaseView):
    """The rating kiosk facing the citizen: the officer's name and three buttons.

    On the officer's own computer it rates the logged-in officer. On a tablet beside the
    counter, a staff member starts kiosk mode instead (/kiosk/start/): the tablet leaves the
    staff session and keeps a long-lived kiosk credential that shows only that officer's
    rating screen (/kiosk/device/, see `screen` below); ending it needs a staff login."""
    read_roles = ("staff", "admin")

    def inaccessible_callback(self, name, **kwargs):
        # A tablet in kiosk mode that opens /kiosk/ is shown its rating screen.
        if name == "index" and not current_user.is_authenticated \
                and kiosk_device() is not None:
            return redirect(url_for("kiosk.screen"))
        return super().inaccessible_callback(name, **kwargs)

    def _page(self, dossier_id=None, thanks=False, error=None, status=200):
        return self.render("admin/service/kiosk.html", levels=labels.RATING_LEVELS,
                           officer=current_user, action_url=url_for(".index"),
                           dossier_id=dossier_id, thanks=thanks, error=error), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if current_user.role != "staff":  # an admin is not rated: kiosk mode is theirs to start
            if request.method == "POST":
                abort(403)
            return redirect(url_for(".start_view"))
        if request.method == "GET":
            dossier_id = _officer_dossier_id(current_user, request.args.get("dossier_id"))
            return self._page(dossier_id=dossier_id or None,
                              thanks=bool(request.args.get("thanks")))
        refused = _rate(user_object(), request.form)
        if refused:
            return self._page(error=refused[0], status=refused[1])
        return redirect(url_for(".index", thanks=1))

    @expose("/start/", methods=("GET", "POST"))
    def start_view(self):
        officers = kiosk_officers()
        form = KioskStartForm()
        form.officer.choices = [(u.id, f"{u.full_name} ({u.counter_no})" if u.counter_no
                                 else u.full_name) for u in officers]
        if request.method == "GET" and current_user.role == "staff":
            form.officer.data = current_user.id
        error = None
        if form.validate_on_submit():
            officer = db.session.get(User, form.officer.data)
            idle, max_life = _kiosk_periods()
            try:
                device, token = kiosk.start(db.session, officer, user_object(), utcnow(), idle,
                                            max_life)
                user_object().close_session()  # the staff login on the tablet ends with it
                db.session.commit()
            except RuleError as exc:
                db.session.rollback()
                error = rule_message(exc)
            else:
                # The tablet keeps the kiosk credential only (as views/auth.py's logout).
                logout_user()
                session.clear()
                response = redirect(url_for("kiosk.screen"))
                _set_kiosk_cookie(response, token, device.expires_at)
                return response
        elif request.method == "POST":
            error = str(RULE_MESSAGES["kiosk_officer_refused"])
        return self.render("admin/service/kiosk_start.html", form=form, error=error,
                           idle_hours=_kiosk_periods()[0].total_seconds() // 3600), (
            400 if error else 200)

    @expose("/end/", methods=("GET", "POST"))
    def end_view(self):
        device = kiosk_device()
        if request.method == "POST":
            if device is not None:
                kiosk.revoke(device, user_object(), utcnow())
                db.session.commit()
                flash(_("Kiosk mode has ended on this device."), "success")
            response = redirect(url_for("admin.index"))
            response.delete_cookie(KIOSK_COOKIE, path="/kiosk/")
            return response
        return self.render("admin/service/kiosk_end.html", device=device)


class KioskDeviceView(SecureModelView):
    """Tablets in kiosk mode: admins see them and end one from here (a lost tablet, an officer
    who left); nothing is created or edited here."""
    read_roles = ("admin",)
    create_roles = edit_roles = ()
    action_roles = ("admin",)
    column_labels = dict(labels.LABELS, officer=_l("Officer"), started_by=_l("Started by"),
                         started_at=_l("Started at"), expires_at=_l("Expires at"),
                         revoked_at=_l("Ended at"), revoked_by=_l("Ended by"))
    column_list = ("officer", "started_by", "started_at", "expires_at", "revoked_at",
                   "revoked_by")
    column_details_list = column_list
    column_sortable_list = ("started_at", "expires_at", "revoked_at")
    column_default_sort = ("started_at", True)
    column_searchable_list = ("officer.search_text",)
    column_filters = ("started_at", "expires_at", "revoked_at")
    utc_columns = ("started_at", "expires_at", "revoked_at")
    simple_list_pager = True

    def get_query(self):
        return super().get_query().options(joinedload(KioskDevice.officer),
                                           joinedload(KioskDevice.started_by),
                                           joinedload(KioskDevice.revoked_by))

    @action("revoke", _l("End kiosk mode"), _l("End kiosk mode on the selected tablets?"))
    def action_revoke(self, ids):
        now = utcnow()
        devices = db.session.scalars(select(KioskDevice).where(KioskDevice.id.in_(
            [int(i) for i in ids if str(i).isdigit()]))).all()
        for device in devices:
            kiosk.revoke(device, user_object(), now)
        db.session.commit()
        flash(_("Kiosk mode has ended on %(n)s tablets.", n=len(devices)), "success")


kiosk_bp = Blueprint("kiosk", __name__)


@kiosk_bp.url_value_preprocessor
def _kiosk_csrf_secret(endpoint, values):
    """A tablet in kiosk mode has no lasting session: its CSRF secret comes from its kiosk
    credential, set before the CSRF check (url_value_preprocessors run before every
    before_request function, CSRFProtect's included). Forms are checked as everywhere."""
    token = request.cookies.get(KIOSK_COOKIE)
    if token:
        session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = \
            kiosk.csrf_secret(current_app.config["SECRET_KEY"], token)


def _screen(device, error=None, status=200, thanks=False):
    return render_template("admin/service/kiosk.html", levels=labels.RATING_LEVELS,
                           officer=device.officer, action_url=url_for("kiosk.screen"),
                           kiosk_mode=True, thanks=thanks, error=error), status


@kiosk_bp.route("/kiosk/device/", methods=("GET", "POST"))
def screen():
    """The rating screen of a tablet in kiosk mode: its officer's name and three buttons,
    nothing else. Its credential is the kiosk cookie, not a login: neither the idle timeout
    nor any other page applies to it."""
    device = kiosk_device()
    if device is None:
        return render_template("admin/service/kiosk_off.html"), 403
    db.session.info["actor"] = (device.officer_id, request.remote_addr)  # audit: the officer
    idle, max_life = _kiosk_periods()
    renewed = kiosk.renew(device, utcnow(), idle, max_life)
    if renewed:  # a screen shown (GET) does not wait for SQLite's write lock: renewed next time
        renewed = commit_without_waiting(db.session)
    if request.method == "POST":
        refused = _rate(device.officer, request.form)
        response = make_response(_screen(device, *refused) if refused else
                                 redirect(url_for(".screen", thanks=1)))
    else:
        response = make_response(_screen(device, thanks=bool(request.args.get("thanks"))))
    if renewed:
        _set_kiosk_cookie(response, request.cookies[KIOSK_COOKIE], device.expires_at)
    response.headers["Cache-Control"] = "no-store"  # an ended kiosk is not shown from a cache
    return response


@kiosk_bp.errorhandler(CSRFError)
def _kiosk_csrf_error(error):
    # A page from before a new secret key, or a post from elsewhere: nothing is recorded; the
    # tablet shows its screen again (with a valid form) instead of an error page.
    device = kiosk_device()
    if device is None:
        return render_template("admin/service/kiosk_off.html"), 400
    return _screen(device, error=_("The page was out of date: please tap your choice again."),
                   status=400)


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

        class EntryForm(OnceForm):
            dossier_code = StringField(_l("Dossier code"), validators=[Optional(),
                                                                       Length(max=40)])
            agency = SelectField(_l("Agency"), coerce=int, validators=[Optional()],
                                 choices=[(0, "")] + [(a.id, a.name) for a in
                                                      own_agencies(Agency).order_by(
                                                          Agency.sort_order, Agency.name)])
            submitted_at = VnDateTimeField(_l("Submitted at"), validators=[DataRequired()],
                                           default=clock.now)
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
        check_form_token(form)
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
        claim_form_token(form)
        record = evaluation.record_evaluation(db.session, form_set, scores, agency_id,
                                              form.submitted_at.data, dossier=dossier,
                                              channel=form.channel.data)
        db.session.flush()
        record_form_result(form, self.get_url(".details_view", id=record.id))
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
        criterion = fb.overdue_criterion(clock.today())
        return query.filter(criterion if value == "1" else not_(criterion))

    def operation(self):
        return _l("equals")


def _overdue_formatter(view, context, model, name):
    if fb.is_overdue(model, clock.today()):
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
    form_args = {"received_at": {"validators": [DataRequired()], "default": clock.now}}
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
            fb.apply_answer(model, user_object(), clock.now())
        except RuleError as error:
            raise ValidationError(rule_message(error)) from None

    def totals_tables(self, start, end, agency_ids):
        s = fb.feedback_summary(db.session, start, end, agency_ids, today=clock.today())
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
    form_args = {"run_date": {"validators": [DataRequired()], "default": clock.today},
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
    admin.add_view(KioskDeviceView(KioskDevice, db, name=_l("Kiosk tablets"), category=category,
                                   endpoint="kiosk_device"))
    admin.app.register_blueprint(kiosk_bp)  # the rating screen of a tablet in kiosk mode
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
