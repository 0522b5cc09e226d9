"""Courier runs of the post office between the center and the agencies."""

from __future__ import annotations

from flask import flash
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import TextAreaField
from wtforms.validators import DataRequired, ValidationError

from domain import clock, courier
from domain.formatting import format_number
from domain.service import RuleError
from models import Agency, CourierRun, db
from views import labels
from views.base import (
    ALL_ROLES,
    AgencyScopedMixin,
    SearchAjaxLoader,
    SecureModelView,
    own_agency_ids,
    own_agency_options,
)
from views.exports import XlsxExportMixin
from views.service.common import (
    RULE_MESSAGES,
    WRITERS,
    TotalsMixin,
    own_agencies,
    rule_message,
    user_object,
)


def _items_formatter(view, context, model, name):
    return Markup("<br>").join(
        escape(item.dossier.code or f"#{item.dossier_id}") for item in model.items
    )


def _item_count_formatter(view, context, model, name):
    return format_number(model.item_count)  # kept by the database (domain/courier_count.py)


class CourierRunView(XlsxExportMixin, TotalsMixin, AgencyScopedMixin, SecureModelView):
    """Runs of the post office between the center and an agency (10:30 and 16:00). Dossiers are
    added by typing or scanning their codes: unknown or other-agency codes refuse the batch."""

    simple_list_pager = True

    def agency_criterion(self, agency_ids):
        return CourierRun.agency_id.in_(agency_ids)

    read_roles = ALL_ROLES
    create_roles = edit_roles = WRITERS
    totals_title = _l("Courier runs")
    column_labels = dict(
        labels.LABELS, codes=_l("Dossier codes (one per line)"), item_count=_l("Dossiers")
    )
    simple_list_pager = True
    column_list = ("run_date", "slot", "direction", "agency", "item_count", "created_by")
    column_details_list = (
        "run_date",
        "slot",
        "direction",
        "agency",
        "items",
        "note",
        "created_by",
        "created_at",
    )
    column_sortable_list = ("run_date", "slot", "direction", ("agency", "agency.sort_order"))
    column_default_sort = [("run_date", True), ("slot", True)]
    column_searchable_list = ("agency.search_text",)
    column_filters = (
        IntEqualFilter(CourierRun.agency_id, _l("Agency"), options=own_agency_options),
        "run_date",
        "slot",
        "direction",
    )
    column_choices = {"direction": labels.choices(labels.COURIER_DIRECTIONS)}
    column_formatters = {"item_count": _item_count_formatter}
    column_formatters_detail = {"items": _items_formatter}
    form_columns = ("run_date", "slot", "direction", "agency", "note", "codes")
    form_choices = {
        "slot": [(s, s) for s in ("10:30", "16:00")],
        "direction": labels.choices(labels.COURIER_DIRECTIONS),
    }
    form_extra_fields = {
        "codes": TextAreaField(
            _l("Dossier codes (one per line)"),
            description=_l(
                "Type or scan the codes, one per line. Unknown codes or codes of "
                "another agency refuse the whole list."
            ),
            render_kw={"rows": 8, "autocomplete": "off"},
        )
    }
    form_args = {
        "run_date": {"validators": [DataRequired()], "default": clock.today},
        "agency": {"validators": [DataRequired()]},
    }
    form_ajax_refs = {"agency": SearchAjaxLoader("agency", Agency, query_factory=own_agencies)}

    def get_query(self):
        return (
            super()
            .get_query()
            .options(joinedload(CourierRun.agency), joinedload(CourierRun.created_by))
        )

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = user_object()
        agency_id = model.agency.id if model.agency is not None else None
        allowed = own_agency_ids()
        if allowed is not None and agency_id not in allowed:
            raise ValidationError(str(RULE_MESSAGES["courier_run_other_agency"]))
        with db.session.no_autoflush:
            clash = db.session.scalar(
                select(CourierRun.id).where(
                    CourierRun.run_date == model.run_date,
                    CourierRun.slot == model.slot,
                    CourierRun.direction == model.direction,
                    CourierRun.agency_id == agency_id,
                    CourierRun.id != (model.id or -1),
                )
            )
            if clash is not None:
                raise ValidationError(
                    _(
                        "There is already a run for this date, slot, direction "
                        "and agency: add the dossiers to it."
                    )
                )
            try:
                added = courier.add_codes_to_run(
                    db.session, model, form.codes.data, allowed_agency_ids=allowed
                )
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
        return [
            {
                "title": _("Courier runs by agency"),
                "headers": [
                    _("Agency"),
                    _("Runs to the agency"),
                    _("Dossiers to the agency"),
                    _("Runs to the center"),
                    _("Dossiers to the center"),
                ],
                "rows": [
                    [
                        name,
                        format_number(v["to_agency"][0]),
                        format_number(v["to_agency"][1]),
                        format_number(v["to_center"][0]),
                        format_number(v["to_center"][1]),
                    ]
                    for name, v in table.items()
                ],
                "foot": [
                    _("Total"),
                    "",
                    format_number(totals["to_agency"]),
                    "",
                    format_number(totals["to_center"]),
                ],
            }
        ]
