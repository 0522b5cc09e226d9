"""What the service screens share: the translated refusals of domain/ rules, the choices and
scoping read per request, the report period of a totals page, "cancel with a reason" and the
"Totals" page."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import is_form_submitted
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from domain import clock, periods
from domain.dossier_search import search_terms
from domain.formatting import format_number
from domain.periods import Period, PeriodError
from domain.service import RuleError, cancel_record
from domain.sql import scoped
from models import Agency, Dossier, User, db
from views.base import SearchAjaxLoader, db_options, has_role, own_agency_ids, period_message
from views.fields import AMOUNT_MESSAGES

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
    "kiosk_officer_refused": _l(
        "Kiosk mode can only be started for a counter officer of your agencies."
    ),
    "evaluation_form_set_unknown": _l("Unknown evaluation form."),
    "evaluation_channel_unknown": _l("Unknown channel."),
    "evaluation_no_indicators": _l("This form has no indicators yet."),
    "evaluation_answers_incomplete": _l("Give a score for every indicator."),
    "evaluation_score_out_of_range": _l("Indicator %(indicator)s: the score must be 0, 1 or 2."),
    "evaluation_dossier_other_agency": _l("The dossier belongs to another agency."),
    "evaluation_agency_required": _l("Choose one of your agencies (or give the dossier code)."),
    "feedback_answer_required": _l("An answered item needs the answer text."),
    "feedback_answer_before_receipt": _l("The answer date is before the receipt date."),
    "feedback_agency_required": _l(
        "Choose one of your agencies, or the dossier the feedback is about."
    ),
    "feedback_agency_not_own": _l("Choose one of your agencies."),
    "date_in_future": _l("The date and time cannot be later than now (%(now)s)."),
    "courier_too_many_codes": _l("At most %(limit)s codes at a time."),
    "courier_run_other_agency": _l("This run is for an agency that is not yours."),
    "courier_items_other_agency": _l("The run carries dossiers of another agency."),
    # The queue (views/queue.py, views/queue_devices.py).
    "queue_group_inactive": _l("This service group no longer gives tickets."),
    "queue_counter_inactive": _l("This counter is closed."),
    "queue_counter_taken": _l("Another clerk works at this counter."),
    "queue_ticket_not_here": _l("This ticket is not being served at your counter."),
    "queue_transfer_refused": _l("Choose another open counter or an active service group."),
    "queue_dossier_unknown": _l("No dossier of your agencies has this code."),
    "queue_busy": _l("The queue is busy: try again."),
    "queue_page_stale": _l(
        "The page was out of date: the current ticket has changed. Check it and try again."
    ),
    "queue_device_refused": _l("Only staff and admins start a ticket kiosk or a hall display."),
}


def rule_message(error: RuleError) -> str:
    if error.key == "courier_codes_refused":
        parts = []
        if error.params.get("unknown"):
            parts.append(_("Unknown codes: %(codes)s.", codes=", ".join(error.params["unknown"])))
        if error.params.get("other_agency"):
            parts.append(
                _(
                    "Codes of another agency's dossiers: %(codes)s.",
                    codes=", ".join(error.params["other_agency"]),
                )
            )
        return " ".join([_("No dossier was added.")] + parts)
    message = RULE_MESSAGES.get(error.key)
    if message is None:
        return str(error)
    params = {
        k: (", ".join(v) if isinstance(v, (list, tuple)) else v) for k, v in error.params.items()
    }
    return str(message) % params if params else str(message)


def show_refusals(form, refusals: list[RuleError]) -> None:
    """Each refusal under its field (RuleError.field), unless the field already says what is
    wrong with it; one about no field of the form in the banner."""
    for error in refusals:
        field = getattr(form, error.field, None) if error.field else None
        if field is None:
            flash(rule_message(error), "error")
        elif not field.errors:
            field.errors = [rule_message(error)]


class FieldRefusalsMixin:
    """A create or edit form's domain rules checked together with its own validators: every
    refusal at once, each under its field, nothing saved. The view names them in
    `form_refusals(form)` (calls of domain/ functions on the values the fields read). Not for
    the list's action form, which Flask-Admin validates here too."""

    def form_refusals(self, form) -> list[RuleError]:
        return []

    def validate_form(self, form):
        valid = super().validate_form(form)
        record_forms = (f"{self.endpoint}.create_view", f"{self.endpoint}.edit_view")
        if not is_form_submitted() or request.endpoint not in record_forms:
            return valid
        refusals = self.form_refusals(form)
        show_refusals(form, refusals)
        return valid and not refusals


def user_object():
    return current_user._get_current_object()


# ---- choices read per request -----------------------------------------------------------------


@db_options
def staff_options():
    return (
        db.session.query(User.id, User.full_name)
        .filter(User.role == "staff")
        .order_by(User.full_name)
        .all()
    )


def own_dossiers(model):
    """Dossiers a user may attach a record to: accepted ones (they have a code), of the user's
    own agencies for staff."""
    query = db.session.query(Dossier).filter(Dossier.code.is_not(None))
    return scoped(query, Dossier.agency_id, own_agency_ids())


def own_dossier_loader() -> SearchAjaxLoader:
    """The dossier picker of a record's form (a payment, a feedback): the user's own accepted
    dossiers, newest first, found by code, name or phone as in the dossier list."""
    return SearchAjaxLoader(
        "dossier",
        Dossier,
        query_factory=own_dossiers,
        order_by=Dossier.id.desc(),
        search_terms=search_terms,
    )


def own_agencies(model):
    query = db.session.query(Agency).filter(Agency.active.is_(True))
    return scoped(query, Agency.id, own_agency_ids())


def period_from_request() -> Period:
    """?from=&to= (dd/mm/yyyy or yyyy-mm-dd); by default the current year up to today, and one
    missing end is the default's. A refused period (an impossible date, the end before the
    start) is flashed and the default shown."""
    default = periods.year_to_date(clock.today())
    try:
        return periods.from_dates(request.args.get("from"), request.args.get("to"), default)
    except PeriodError as error:
        flash(
            _("The period is not valid; the current year is shown.") + " " + period_message(error),
            "error",
        )
        return default


# ---- shared pieces ----------------------------------------------------------------------------


def cancelled_formatter(view, context, model, name):
    if model.cancelled_at is None:
        return ""
    return Markup('<span class="badge badge-secondary" title="{}">{}</span>').format(
        model.cancel_reason or "", _("Cancelled")
    )


class CancelMixin:
    """No delete for money or ratings: "cancel with a reason" (a form, POST with CSRF)."""

    cancel_roles: tuple[str, ...] = ()

    def can_cancel(self) -> bool:
        return has_role(*self.cancel_roles)

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if self.can_cancel():
            actions = actions + [
                EndpointLinkRowAction(
                    "fa fa-ban", ".cancel_view", title=str(_l("Cancel with a reason"))
                )
            ]
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
        return self.render(
            "admin/service/cancel.html",
            record=record,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            error=error,
            return_url=self.get_url(".index_view"),
        ), (400 if error else 200)


class TotalsMixin:
    """A "Totals" page per screen: GROUP BY queries of domain/, scoped to the staff's agencies."""

    list_template = "admin/service/list.html"
    totals_title = None

    def totals_tables(self, start, end, agency_ids) -> list[dict]:
        raise NotImplementedError

    @expose("/totals/")
    def totals_view(self):
        period = period_from_request()
        tables = self.totals_tables(period.start, period.end, own_agency_ids())
        return self.render(
            "admin/service/totals.html",
            tables=tables,
            start=period.start,
            end=period.end,
            title=self.totals_title or self.name,
        )


def level_cells(row) -> list:
    return [
        format_number(row.very_satisfied),
        format_number(row.satisfied),
        format_number(row.unsatisfied),
        format_number(row.total),
    ]
