"""Payments of fees and charges (thu phí, lệ phí)."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from domain import clock, payments
from domain.formatting import format_number, format_vnd
from domain.service import RuleError
from models import Dossier, Payment, db
from views import labels
from views.base import (
    ALL_ROLES,
    AgencyScopedMixin,
    SecureModelView,
    own_agency_options,
    parse_id,
    vnd_formatter,
)
from views.exports import XlsxExportMixin
from views.listing import KeysetPagingMixin
from views.service.common import (
    RULE_MESSAGES,
    WRITERS,
    CancelMixin,
    FieldRefusalsMixin,
    TotalsMixin,
    cancelled_formatter,
    own_dossier_loader,
    own_dossiers,
    rule_message,
    user_object,
)


class PaymentView(
    KeysetPagingMixin,
    XlsxExportMixin,
    TotalsMixin,
    CancelMixin,
    FieldRefusalsMixin,
    AgencyScopedMixin,
    SecureModelView,
):
    """Payments of fees and charges. Staff record them for their own agencies' dossiers; a
    payment is never edited or deleted: a mistake is cancelled with a reason, then re-entered."""

    read_roles = ALL_ROLES
    create_roles = WRITERS
    edit_roles = ()
    cancel_roles = WRITERS
    create_template = "admin/service/payment_create.html"
    totals_title = _l("Fees collected")
    column_labels = dict(labels.LABELS, **{"dossier.agency": labels.LABELS["agency"]})
    column_list = (
        "paid_at",
        "dossier",
        "dossier.agency",
        "amount_vnd",
        "method",
        "receipt_no",
        "collected_by",
        "cancelled_at",
    )
    column_details_list = (
        "paid_at",
        "dossier",
        "dossier.agency",
        "fee_item",
        "amount_vnd",
        "method",
        "receipt_no",
        "collected_by",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    )
    column_sortable_list = ("paid_at", "amount_vnd", "method", "receipt_no")
    column_default_sort = ("paid_at", True)
    column_searchable_list = ("dossier.search_text", "receipt_no")
    column_filters = (
        IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
        "method",
        "paid_at",
        "amount_vnd",
        "cancelled_at",
    )
    column_choices = {"method": labels.choices(labels.PAYMENT_METHODS)}
    column_formatters = {"amount_vnd": vnd_formatter, "cancelled_at": cancelled_formatter}
    column_formatters_detail = {"amount_vnd": vnd_formatter}
    simple_list_pager = True
    form_columns = ("dossier", "amount_vnd", "method", "paid_at", "receipt_no")
    form_choices = {"method": labels.choices(labels.PAYMENT_METHODS)}
    form_args = {
        "amount_vnd": {"minimum": 1},  # VndField (views/fields.py): > 0 đồng
        "paid_at": {"validators": [DataRequired()]},
        "dossier": {"validators": [DataRequired()]},
        "receipt_no": {"validators": [Optional(), Length(max=64)]},
    }
    form_ajax_refs = {"dossier": own_dossier_loader()}

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                joinedload(Payment.dossier).joinedload(Dossier.agency),
                joinedload(Payment.collected_by),
            )
        )

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

    def form_refusals(self, form):
        return payments.payment_refusals(form.paid_at.data, clock.now())

    def create_model(self, form):
        """Flask-Admin's create_model, the row made by domain/payments.record_payment (the
        payment rules in one place) instead of form.populate_obj."""
        try:
            payment = self._record_payment(form)
            self._on_model_change(form, payment, True)  # the form's one-time token (views/base.py)
            db.session.commit()
        except Exception as ex:
            if not self.handle_view_exception(ex):
                raise
            db.session.rollback()
            return False
        self.after_model_change(form, payment, True)
        return payment

    def _record_payment(self, form):
        with db.session.no_autoflush:
            dossier = (
                form.dossier.data
                and own_dossiers(Dossier).filter(Dossier.id == form.dossier.data.id).one_or_none()
            )
        if dossier is None:
            raise ValidationError(str(RULE_MESSAGES["rating_dossier_refused"]))
        try:
            return payments.record_payment(
                db.session,
                dossier,
                form.amount_vnd.data,
                form.method.data,
                form.paid_at.data,
                collected_by=user_object(),
                receipt_no=form.receipt_no.data,
            )
        except RuleError as error:
            raise ValidationError(rule_message(error)) from None

    def on_model_change(self, form, model, is_created):
        if not is_created:
            raise ValidationError(_("A payment cannot be changed; cancel it with a reason."))

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
        by_agency = payments.add_up(rows, lambda r: r.agency_name)
        by_method = payments.add_up(rows, lambda r: r.method)
        by_month = payments.add_up(rows, lambda r: (r.year, r.month))
        total = [sum(v[0] for v in by_agency.values()), sum(v[1] for v in by_agency.values())]
        head = [_("Number of payments"), _("Amount (VND)")]
        foot = [_("Total"), format_number(total[0]), format_vnd(total[1])]

        def table(title, first, items):
            return {
                "title": title,
                "headers": [first] + head,
                "foot": foot,
                "rows": [[k, format_number(v[0]), format_vnd(v[1])] for k, v in items],
            }

        return [
            table(_("By agency"), _("Agency"), by_agency.items()),
            table(
                _("By method"),
                _("Method"),
                [(labels.PAYMENT_METHODS.get(k, k), v) for k, v in by_method.items()],
            ),
            table(
                _("By month"),
                _("Month"),
                [(f"{m:02d}/{y}", v) for (y, m), v in sorted(by_month.items())],
            ),
            {
                "title": _("By agency, month and method"),
                "headers": [_("Agency"), _("Month"), _("Method")] + head,
                "rows": [
                    [
                        r.agency_name,
                        f"{r.month:02d}/{r.year}",
                        labels.PAYMENT_METHODS.get(r.method, r.method),
                        format_number(r.count),
                        format_vnd(r.amount_vnd),
                    ]
                    for r in rows
                ],
            },
        ]
