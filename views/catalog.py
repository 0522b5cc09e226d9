"""The catalog: agencies, fields, procedures with their fee items."""

from __future__ import annotations

from flask import request
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms.validators import NumberRange, Regexp, StopValidation, ValidationError

from domain import catalog_io, levels
from models import Agency, FeeItem, Field, Procedure, db
from views import labels
from views.base import ALL_ROLES, SearchAjaxLoader, SecureModelView, db_options, vnd_formatter
from views.catalog_documents import DOCUMENTS_INLINE, DocumentNumbersMixin
from views.exports import XlsxExportMixin
from views.fields import levels_offered

# The rules of the catalog import (domain/catalog_io.py), with the form's messages.
PROCEDURE_CODE = Regexp(
    catalog_io.PROCEDURE_CODE, message=_l("A procedure code looks like 1.004616.")
)
AGENCY_CODE_TAKEN = _l(
    "An agency with the code %(code)s already exists (agency codes do not distinguish capital"
    " letters)."
)


def agency_code_free(form, field):
    """A validator: no other agency has the code in any case (domain/catalog_codes.py)."""
    obj = getattr(form, "_obj", None)
    owner = catalog_io.agency_code_owner(db.session, field.data, getattr(obj, "id", None))
    if owner is not None:
        raise StopValidation(str(AGENCY_CODE_TAKEN) % {"code": owner})


@db_options
def agency_options():
    return db.session.query(Agency.id, Agency.name).order_by(Agency.sort_order, Agency.name).all()


@db_options
def field_options():
    return db.session.query(Field.id, Field.name).order_by(Field.name).all()


def active_agencies(model):
    return db.session.query(model).filter(model.active.is_(True))


def fields_of_chosen_agency(model):
    """Field choices: those of the agency chosen on the procedure form (the page's script sends
    it as ?agency=), every field otherwise."""
    query = db.session.query(model).options(joinedload(model.agency))
    agency_id = request.args.get("agency", type=int)
    return query if agency_id is None else query.filter(model.agency_id == agency_id)


def field_label(field) -> str:
    return f"{field.name} ({field.agency})"


ONE_TIME_LIMIT_MESSAGE = _l(
    "Give the processing time either in working days or in working hours (one of the two)."
)


class CatalogView(XlsxExportMixin, SecureModelView):
    """Everybody reads the catalog; admins maintain it; rows are deactivated, never deleted."""

    read_roles = ALL_ROLES
    column_labels = labels.LABELS


class AgencyView(CatalogView):
    column_list = ("sort_order", "code", "eid_code", "name", "short_name", "kind", "active")
    column_details_list = column_list + ("created_at", "updated_at")
    column_sortable_list = ("sort_order", "code", "name", "kind", "active")
    column_default_sort = [("sort_order", False), ("name", False)]
    column_filters = ("kind", "active")
    column_choices = {"kind": labels.choices(labels.AGENCY_KINDS)}
    form_columns = ("code", "eid_code", "name", "short_name", "kind", "sort_order", "active")
    form_args = {"code": {"validators": [agency_code_free]}}
    column_export_list = ("sort_order", "code", "eid_code", "name", "short_name", "kind", "active")
    form_choices = {"kind": labels.choices(labels.AGENCY_KINDS)}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if not form.sort_order.raw_data:  # (Flask-Admin puts the column's 0 before form_args)
            form.sort_order.data = catalog_io.next_agency_order(db.session)
        return form


class FieldView(CatalogView):
    column_list = ("code", "name", "agency", "active")
    column_export_list = ("code", "name", "agency.code", "agency", "active")
    export_labels = {"agency.code": _l("Agency code")}
    column_sortable_list = ("code", "name", ("agency", "agency.name"), "active")
    column_default_sort = "code"
    column_filters = (
        IntEqualFilter(Field.agency_id, _l("Agency"), options=agency_options),
        "active",
    )
    form_columns = ("code", "name", "agency", "active")
    form_ajax_refs = {"agency": SearchAjaxLoader("agency", Agency, query_factory=active_agencies)}


# A procedure's code and owners, then its terms, in the catalog's order: its export, details page and form list them alike.
NAMED = ("code", "name", "agency", "field")
TERMS = (
    "level",
    "processing_days",
    "processing_hours",
    "cutoff_time",
    "online_level",
    "legacy_online_level",
    "postal_in",
    "postal_out",
    "four_on_spot",
    "saturday_service",
    "interagency",
    "publication_decision",
    "publication_date",
)


class ProcedureView(DocumentNumbersMixin, CatalogView):
    column_list = (
        "code",
        "name",
        "agency",
        "field",
        "level",
        "processing_days",
        "processing_hours",
        "cutoff_time",
        "online_level",
        "saturday_service",
        "four_on_spot",
        "postal_in",
        "postal_out",
        "active",
    )
    column_export_list = ("code", "name", "agency.code", "agency", "field", *TERMS, "active")
    export_labels = {"agency.code": _l("Agency code")}
    column_details_list = (
        *NAMED,
        *TERMS,
        "legal_basis",
        "required_documents",
        "documents",
        "result",
        "fee_items",
        "active",
        "created_at",
        "updated_at",
    )
    column_labels = dict(
        labels.LABELS,
        documents=_l("Documents to submit"),
        required_documents=_l("Required documents (old free text)"),
    )
    column_sortable_list = (
        "code",
        "name",
        ("agency", "agency.sort_order"),
        ("field", "field.name"),
        "level",
        "processing_days",
        "online_level",
    )
    column_default_sort = "code"
    column_filters = (
        IntEqualFilter(Procedure.agency_id, _l("Agency"), options=agency_options),
        IntEqualFilter(Procedure.field_id, _l("Field"), options=field_options),
        "level",
        "online_level",
        "processing_days",
        "postal_in",
        "postal_out",
        "four_on_spot",
        "saturday_service",
        "interagency",
        "active",
    )
    column_choices = {
        "level": labels.choices(labels.PROCEDURE_LEVELS),
        "online_level": labels.choices(labels.ONLINE_LEVELS),
    }
    form_choices = column_choices
    form_columns = (
        *NAMED,
        *TERMS,
        "legal_basis",
        "required_documents",
        "result",
        "active",
        "documents",
        "fee_items",
    )
    form_args = {
        "code": {"validators": [PROCEDURE_CODE]},
        "processing_days": {"validators": [NumberRange(min=0, max=365)]},
        "processing_hours": {"validators": [NumberRange(min=1, max=2920)]},
        "legacy_online_level": {"validators": [NumberRange(min=1, max=4)]},
    }
    form_ajax_refs = {
        "agency": SearchAjaxLoader("agency", Agency, query_factory=active_agencies),
        "field": SearchAjaxLoader(
            "field",
            Field,
            query_factory=fields_of_chosen_agency,
            order_by=Field.name,
            label=field_label,
        ),
    }
    create_template = "admin/catalog/procedure_create.html"
    edit_template = "admin/catalog/procedure_edit.html"
    inline_models = [
        (
            FeeItem,
            {
                "form_columns": ("id", "kind", "name", "amount_vnd", "channel", "note"),
                "column_labels": labels.LABELS,
                "form_choices": {"kind": labels.choices(labels.FEE_KINDS)},
                "form_args": {"amount_vnd": {"validators": [NumberRange(min=0)]}},
            },
        ),
        DOCUMENTS_INLINE,
    ]
    inline_item_labels = {
        "fee_items": {
            "one": _l("Fee item"),
            "new": _l("New fee item"),
            "add": _l("Add a fee item"),
        },
        "documents": {
            "one": _l("Document"),
            "new": _l("New document"),
            "add": _l("Add a document"),
        },
    }
    column_formatters_detail = {
        "documents": lambda v, c, m, n: "; ".join(
            f"{d.position}. {d.name} ({labels.DOCUMENT_KINDS.get(d.kind, d.kind)}, {d.copies}"
            f"{'' if d.required else ', ' + gettext('optional')})"
            for d in m.documents
        ),
        "fee_items": lambda v, c, m, n: "; ".join(
            f"{f.name}: {vnd_formatter(v, c, f, 'amount_vnd')}" for f in m.fee_items
        ),
    }

    def create_form(self, obj=None):
        return levels_offered(super().create_form(obj), None)

    def edit_form(self, obj=None):
        return levels_offered(super().edit_form(obj), obj)

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the documents renumbered are written by their rule
            self.check_procedure(model, is_created)
        self.store_document_positions(model)

    def check_procedure(self, model, is_created):
        # The time limit is in working days or in working hours: exactly one (the database's
        # CHECK too; the catalog import says the same).
        if (model.processing_days is None) == (model.processing_hours is None):
            raise ValidationError(str(ONE_TIME_LIMIT_MESSAGE))
        if not levels.may_choose(model.level, None if is_created else levels.previous_level(model)):
            raise ValidationError(gettext(levels.ABOLISHED_MESSAGE))
        # The rule of the catalog import (domain/catalog_io.py): a procedure's field is one of
        # its own agency's, or the export would no longer import.
        field, agency = model.field, model.agency
        if field is not None and agency is not None and field.agency_id != agency.id:
            raise ValidationError(
                gettext(
                    "The field %(field)s belongs to another agency (%(other)s): choose a field of "
                    "%(agency)s.",
                    field=field.name,
                    other=str(field.agency),
                    agency=str(agency),
                )
            )


def register(admin):
    category = _l("Catalog")
    admin.add_view(
        AgencyView(Agency, db, name=_l("Agencies"), category=category, endpoint="agency")
    )
    admin.add_view(FieldView(Field, db, name=_l("Fields"), category=category, endpoint="field"))
    admin.add_view(
        ProcedureView(Procedure, db, name=_l("Procedures"), category=category, endpoint="procedure")
    )
