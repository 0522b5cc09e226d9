"""Dossiers (design §3, §4, §5, §7): intake at the counter, the list, the dossier page with its
history and one button per allowed transition, batch actions, the supervision list (đôn đốc),
the printed forms (Mẫu 01–05) and the register (Mẫu 06, .xlsx).

Row-level access everywhere through AgencyScopedMixin (staff: their own agencies' dossiers);
managers read only; nobody deletes a dossier. The rules themselves live in domain/lifecycle.py.

DossierView is declared here; its columns and filters are in views/dossier_columns.py, its
transitions and batch actions in views/dossier_transitions.py, its printed forms and register in
views/dossier_print.py; the supervision list in views/dossier_due.py."""

from __future__ import annotations

from flask import request
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from domain import lifecycle as lc
from domain.dossier_search import search_terms
from models import Dossier, DossierDocument, DossierEvent, Procedure, db
from views import labels
from views.base import (
    ALL_ROLES,
    AgencyScopedMixin,
    SearchAjaxLoader,
    SecureModelView,
    own_agency_options,
)
from views.dossier_columns import (
    ACTION_LABELS,
    _agency_formatter,
    _choice_formatter,
    _code_link,
    _due_formatter,
    _due_soon_criterion,
    _FlagFilter,
    _overdue_criterion,
    _procedure_formatter,
    _status_formatter,
    intake_procedures,
    procedure_options,
    search_criterion,
    status_label,
)
from views.dossier_intake import PRINT_BUTTON, DossierIntakeMixin
from views.dossier_print import DossierPrintMixin, register_label
from views.dossier_transitions import DossierTransitionsMixin, DossierVersionMixin, TransitionForm
from views.exports import XlsxExportMixin
from views.fields import phone_number
from views.listing import BoundedCountMixin, KeysetPagingMixin

EDITORS = ("admin", "staff")


# Who the applicant is: shown on the dossier page and corrected in its edit form, in this order.
APPLICANT = ("applicant_name", "applicant_kind", "id_number", "phone", "email", "address")


class DossierView(
    DossierIntakeMixin,
    DossierTransitionsMixin,
    DossierVersionMixin,
    DossierPrintMixin,
    BoundedCountMixin,
    KeysetPagingMixin,
    XlsxExportMixin,
    AgencyScopedMixin,
    SecureModelView,
):
    """Counter staff take dossiers in and move them along; managers read; nobody deletes."""

    agency_column = Dossier.agency_id
    read_roles = ALL_ROLES
    create_roles = edit_roles = EDITORS
    action_roles = EDITORS
    delete_roles = ()

    column_labels = labels.LABELS
    column_list = (
        "code",
        "applicant_name",
        "procedure",
        "agency",
        "channel",
        "status",
        "accepted_at",
        "due_date",
    )
    column_list_narrow = ("code", "status", "due_date")  # what a phone shows
    # The list's query depends on the user's agencies only: its statements are kept
    # (views/list_select.py list_statements; not inherited by the supervision list).
    list_statements_kept = True
    # What the list's rows are read as (views/list_select.py): these columns, not models.
    list_row_fields = (
        *column_list[:2],
        *column_list[4:],
        "rescheduled_due_date",
        "procedure.code",
        "procedure.name",
        "agency.name",
        "agency.short_name",
    )
    column_details_list = (
        "code",
        "status",
        "procedure",
        "agency",
        *APPLICANT,
        "channel",
        "submitted_at",
        "accepted_at",
        "due_date",
        "rescheduled_due_date",
        "resolved_at",
        "returned_at",
        "return_channel",
        "postal_tracking_no",
        "closed_at",
        "received_by",
        "note",
        "documents",
    )
    column_sortable_list = ("code", "applicant_name", "status", "accepted_at", "due_date")
    column_default_sort = [("accepted_at", True), ("id", True)]
    column_searchable_list = ("search_text",)
    simple_list_pager = True  # a million dossiers: no COUNT(*) per page
    column_filters = (
        IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
        IntEqualFilter(Dossier.procedure_id, _l("Procedure"), options=procedure_options),
        FilterEqual(Dossier.channel, _l("Channel"), options=labels.choices(labels.CHANNELS)),
        IntEqualFilter(
            Dossier.status,
            _l("Status"),
            options=[(str(k), v) for k, v in labels.DOSSIER_STATUSES.items()],
        ),
        "accepted_at",
        "due_date",
        _FlagFilter(_overdue_criterion, _l("Overdue now")),
        _FlagFilter(_due_soon_criterion, _l("Due within 2 working days")),
    )
    column_formatters = {
        "code": _code_link,
        "status": _status_formatter,
        "due_date": _due_formatter,
        "channel": _choice_formatter(labels.CHANNELS),
        "procedure": _procedure_formatter,
        "agency": _agency_formatter,
    }
    column_formatters_detail = {
        "status": _status_formatter,
        "channel": _choice_formatter(labels.CHANNELS),
        "return_channel": _choice_formatter(labels.RETURN_CHANNELS),
        "applicant_kind": _choice_formatter(labels.APPLICANT_KINDS),
        "documents": lambda v, c, m, n: "; ".join(
            f"{d.name} ({labels.DOCUMENT_KINDS.get(d.kind, d.kind)}, {d.copies})"
            for d in m.documents
        ),
    }

    # Intake (create) and correction (edit) forms.
    form_columns = (
        "procedure",
        "id_number",
        "applicant_name",
        "phone",
        "address",
        "applicant_kind",
        "email",
        "channel",
        "set_count",  # before the return channel: the keyboard goes from it to the note
        "return_channel",
        "note",
        "documents",
    )
    form_edit_columns = (
        *APPLICANT,
        "return_channel",
        "postal_tracking_no",
        "set_count",
        "note",
        "documents",
    )
    form_choices = {
        "applicant_kind": labels.choices(labels.APPLICANT_KINDS),
        "channel": labels.choices(labels.CHANNELS),
        "return_channel": labels.choices(labels.RETURN_CHANNELS),
    }
    form_args = {
        "applicant_name": {"validators": [DataRequired()]},  # (its length: the model's check)
        "email": {"validators": [Optional(), Email()]},
        "phone": {"validators": [Optional(), phone_number]},
        "note": {"validators": [Optional(), Length(max=2000)]},  # printed on Mẫu 01
        "return_channel": {"validators": [Optional()], "default": "counter"},
        # The range says what is wrong with 0 (DataRequired took it for "missing").
        "set_count": {"validators": [NumberRange(1, 99)], "default": 1},
    }
    form_ajax_refs = {
        "procedure": SearchAjaxLoader(
            "procedure", Procedure, query_factory=intake_procedures, order_by=Procedure.code
        )
    }
    inline_models = [
        (
            DossierDocument,
            {
                "form_columns": ("id", "name", "kind", "copies"),
                "column_labels": labels.LABELS,
                "form_choices": {"kind": labels.choices(labels.DOCUMENT_KINDS)},
            },
        )
    ]
    inline_item_labels = {
        "documents": {"one": _l("Document"), "new": _l("New document"), "add": _l("Add a document")}
    }
    details_template = "dossiers/details.html"
    count_messages = (_l("%(count)s dossiers"), _l("More than %(count)s dossiers"))

    # ---- search: the accent-free search_text, or the procedure's code ----------------------
    def search_placeholder(self):
        return str(_l("Code, applicant, phone, procedure code…"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        dialect = db.session.get_bind().dialect.name
        for term in search_terms(search):
            criterion = search_criterion(dialect, term)
            query = query.filter(criterion)
            if count_query is not None:
                count_query = count_query.filter(criterion)
        return query, count_query, joins, count_joins

    # ---- access (a dossier outside the user's agencies: 404, see AgencyScopedMixin) --------
    def get_one_query(self):
        return self.get_query().options(
            joinedload(Dossier.procedure),
            joinedload(Dossier.agency),
            joinedload(Dossier.received_by),
            selectinload(Dossier.documents),
            selectinload(Dossier.pauses),
            selectinload(Dossier.payments),
            selectinload(Dossier.events).joinedload(DossierEvent.user),
        )

    # ---- forms ------------------------------------------------------------------------------
    def get_edit_form(self):
        create_columns = self.form_columns
        self.form_columns = self.form_edit_columns
        try:
            return self.versioned(self.scaffold_form())
        finally:
            self.form_columns = create_columns

    def on_model_change(self, form, model, is_created):
        if is_created:
            self.accept_at_intake(model)
        else:
            self.check_version(form, model)

    def get_save_return_url(self, model, is_created=False):
        if is_created and request.form.get(PRINT_BUTTON):  # the receipt opens its print dialog
            return self.get_url(".print_view", form_no="01", id=model.id, autoprint=1)
        if is_created:
            return self.get_url(".details_view", id=model.id, receipt=1)
        return self.get_url(".details_view", id=model.id)

    def create_model(self, form):
        # The new dossier's code, due date and id are shown and linked right after the commit:
        # kept as committed rather than read back (one SELECT less per intake, and on SQLite no
        # second write transaction just to read it). The session ends with the request.
        db.session().expire_on_commit = False
        return super().create_model(form)

    def after_model_change(self, form, model, is_created):
        if is_created:
            self.flash_accepted(model)

    # ---- the dossier page -------------------------------------------------------------------
    def page_context(self, model) -> dict:
        """What the dossier page shows besides the fields (used by the template)."""
        actions = lc.allowed_actions(model) if self.can_edit else []
        return {
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "status_label": status_label,
            "labels": labels,
            "form": TransitionForm(formdata=None),
            "print_forms": self.available_forms(model),
        }

    # ---- exports: the current list (XlsxExportMixin), and the register Mẫu 06 -------------
    export_choices = {"status": labels.DOSSIER_STATUSES, "channel": labels.CHANNELS}
    extra_list_links = (("register_view", LazyString(register_label)),)


def register(admin):
    admin.add_view(
        DossierView(Dossier, db, name=_l("Dossiers"), category=_l("Dossiers"), endpoint="dossier")
    )
