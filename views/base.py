"""The building blocks every screen shares: role checks, CSRF forms, Vietnamese formats,
accent-insensitive search and AJAX pickers. A screen is then a short declaration.

SecureModelView lives here; the pieces it is built of live in views/access.py (roles, ids,
agency scope), views/forms.py (forms and their one-time tokens) and views/columns.py (formats,
filters, pickers). They are imported from here by the screens, as before."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, request
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import FilterGroup
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from wtforms.fields import HiddenField
from wtforms.validators import ValidationError

from domain import catalog_cache, form_submissions
from domain.formatting import format_datetime, utc_to_local
from domain.text import MAX_SEARCH_WORDS, search_words
from models import db
from views.access import (
    ALL_ROLES,
    MAX_PAGE,
    AgencyScopedMixin,
    RoleRequiredMixin,
    SecureBaseView,
    db_options,
    has_role,
    own_agency_ids,
    own_agency_options,
    parse_id,
    selected_rows,
)
from views.columns import (
    TYPE_FORMATTERS,
    SearchAjaxLoader,
    _fits_the_database,
    link_args,
    on_utc_column,
    page_title,
    vnd_formatter,
)
from views.errors import BUSY_MESSAGE, database_busy, log_with_reference
from views.fields import VnModelConverter
from views.filters import VnFilterConverter
from views.forms import (
    FormTokenField,
    OnceForm,
    SecureForm,
    _InlineConverter,
    check_form_token,
    claim_form_token,
    record_form_result,
)

# What the screens import from here (defined here or in the modules above).
__all__ = [
    "ALL_ROLES",
    "AgencyScopedMixin",
    "OnceForm",
    "RoleRequiredMixin",
    "SearchAjaxLoader",
    "SecureBaseView",
    "SecureForm",
    "SecureModelView",
    "check_form_token",
    "claim_form_token",
    "db_options",
    "has_role",
    "link_args",
    "own_agency_ids",
    "own_agency_options",
    "page_title",
    "parse_id",
    "period_message",
    "record_form_result",
    "selected_rows",
    "vnd_formatter",
]


class SecureModelView(RoleRequiredMixin, ModelView):
    """A model screen. Roles are checked on the server for every endpoint:
    read_roles for list and details; create/edit/delete_roles for those; action_roles for batch
    actions (defaults to edit_roles)."""

    read_roles = ("admin", "manager")
    create_roles: tuple[str, ...] = ("admin",)
    edit_roles: tuple[str, ...] = ("admin",)
    delete_roles: tuple[str, ...] = ()
    action_roles: tuple[str, ...] | None = None

    form_base_class = SecureForm
    inline_model_form_converter = _InlineConverter
    # Dates, times and đồng typed and shown the Vietnamese way in every form and filter.
    model_form_converter = VnModelConverter
    filter_converter = VnFilterConverter()
    can_view_details = True
    can_export = False  # Flask-Admin's export loads every row and writes formulas: see exports
    can_set_page_size = True
    page_size = 50
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    # Technical timestamps are stored in UTC (business times are naive local): convert on screen.
    utc_columns: tuple[str, ...] = ("created_at", "updated_at", "last_login_at")
    column_display_pk = False
    column_searchable_list = ("search_text",)
    list_template = "admin/motcua_list.html"

    # Flask-Admin reads these flags in its views and templates: answer them per user.
    @property
    def can_create(self):
        return has_role(*self.create_roles)

    @property
    def can_edit(self):
        return has_role(*self.edit_roles)

    @property
    def can_delete(self):
        return has_role(*self.delete_roles)

    def can_run_actions(self) -> bool:
        roles = self.edit_roles if self.action_roles is None else self.action_roles
        return has_role(*roles)

    _permission_by_endpoint = {
        "create_view": "can_create",
        "edit_view": "can_edit",
        "delete_view": "can_delete",
        "ajax_update": "can_edit",
    }

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        flag = self._permission_by_endpoint.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        if name == "action_view" and not self.can_run_actions():
            abort(403)
        if name == "ajax_lookup" and not (self.can_create or self.can_edit):
            abort(403)
        if name == "export":
            abort(404)
        return None

    def is_action_allowed(self, name):
        return self.can_run_actions() and super().is_action_allowed(name)

    def _get_filter_groups(self):
        """Filter choices (agencies, fields, ...) come from the database: read when first shown
        (not at start-up), then kept per view, agency scope and language until the catalog
        changes (domain/catalog_cache.py) — not rebuilt per page."""
        if not self._filters:
            return None
        key = ("filters", self.endpoint, tuple(own_agency_ids() or ()), str(get_locale()))
        return catalog_cache.get(key, self._build_filter_groups)

    def _build_filter_groups(self):
        groups: dict = {}
        for i, flt in enumerate(self._filters):
            groups.setdefault(str(flt.name), FilterGroup(flt.name)).append(
                {
                    "index": i,
                    "arg": self.get_filter_arg(i, flt),
                    "operation": flt.operation(),
                    "options": flt.get_options(self) or None,
                    "type": flt.data_type,
                }
            )
        return dict(group.non_lazy() for group in groups.values())

    def scaffold_filters(self, name):
        filters = super().scaffold_filters(name)
        if isinstance(name, str) and name in self.utc_columns:
            filters = [on_utc_column(flt) for flt in filters or ()]
        return filters

    def _get_list_extra_args(self):
        if not 0 <= request.args.get("page", 0, type=int) <= MAX_PAGE:
            abort(400)  # a negative or huge ?page= is a crafted link (PostgreSQL: OFFSET < 0)
        # Flask-Admin carries unknown query arguments into its page links: not url_for's own.
        view_args = super()._get_list_extra_args()
        view_args.extra_args = {
            k: v for k, v in view_args.extra_args.items() if not k.startswith("_")
        }
        words = (view_args.search or "").split()
        if len(words) > MAX_SEARCH_WORDS:
            view_args.search = " ".join(words[:MAX_SEARCH_WORDS])
            if request.endpoint.endswith(".index_view"):
                flash(
                    gettext(
                        "Only the first %(count)s words of the search were used.",
                        count=MAX_SEARCH_WORDS,
                    ),
                    "info",
                )
        return view_args

    def _get_list_filter_args(self):
        # Flask-Admin checks a filter value's type only: a whole number beyond the column's
        # passes and fails in the database. Such a value is refused like any invalid one.
        filters = super()._get_list_filter_args()
        kept = []
        for idx, name, value in filters or ():
            if _fits_the_database(self._filters[idx], value):
                kept.append((idx, name, value))
            else:
                flash(self.get_invalid_value_msg(value, self._filters[idx]), "error")
        return kept if filters is not None else None

    def get_invalid_value_msg(self, value, filter):
        # The value is shown back shortened: a 10,000-character one would overflow the session
        # cookie that carries the message.
        value = str(value)
        return super().get_invalid_value_msg(
            value if len(value) <= 40 else value[:40] + "…", filter
        )

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name in self.utc_columns and name not in column_formatters:
            stamp = getattr(model, name, None)
            if isinstance(stamp, dt.datetime):  # stored in UTC; shown on the local clock
                return format_datetime(utc_to_local(stamp))
        # Flask-Admin returns a choice column's raw value when it has no label: an empty
        # value would print "None" in lists and details.
        value = super()._get_list_value(
            context, model, name, column_formatters, column_type_formatters
        )
        return "" if value is None else value

    def search_placeholder(self):
        return str(_l("Search (accents optional)"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        return super()._apply_search(
            query, count_query, joins, count_joins, " ".join(search_words(search))
        )

    def get_one(self, id):
        # A non-numeric or out-of-range id is a missing row, not a database error.
        pk = parse_id(id)
        return None if pk is None else super().get_one(str(pk))

    def handle_action(self, return_view=None):
        # The rows of a batch action are ids like any other: a forged one is bad input.
        if any(parse_id(i) is None for i in request.form.getlist("rowid")):
            abort(400)
        return super().handle_action(return_view)

    @action(
        "delete",
        admin_lazy_gettext("Delete"),
        admin_lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids):
        # Flask-Admin's own flashes the database error's text (its SQL) when a delete fails;
        # each failure is reported by handle_view_exception below instead.
        # (Its query also compares the integer ids with text: PostgreSQL refuses that.)
        pk = getattr(self.model, self._primary_key)
        query = self.get_query().filter(pk.in_([parse_id(i) for i in ids]))
        count = sum(1 for model in query.all() if self.delete_model(model))
        if count:
            flash(
                admin_ngettext(
                    "Record was successfully deleted.",
                    "%(count)s records were successfully deleted.",
                    count,
                    count=count,
                ),
                "success",
            )

    # ---- create forms are sent once (domain/form_submissions.py) ----------------------------
    def get_create_form(self):
        form_class = super().get_create_form()
        return type(f"Once{form_class.__name__}", (form_class,), {"form_token": FormTokenField()})

    def create_form(self, obj=None):
        form = super().create_form(obj)
        check_form_token(form)
        return form

    def _on_model_change(self, form, model, is_created):
        # Flask-Admin calls this between adding the new row and committing: the token is taken
        # first (a concurrent second send stops here), the record's page noted after the flush.
        if is_created:
            claim_form_token(form)
        super()._on_model_change(form, model, is_created)
        if is_created and getattr(form, "form_token", None) is not None:
            db.session.flush()
            record_form_result(form, self.created_url(model))

    # ---- an edit form shown before someone else's save does not overwrite it -----------------
    # The row's last change (updated_at) travels with the form; a save whose page showed an
    # older one is refused and the form shown again with what was typed. Dossiers have their
    # own version column (views/dossiers.py).
    def _checks_staleness(self) -> bool:
        return hasattr(self.model, "updated_at") and inspect(self.model).version_id_col is None

    def get_edit_form(self):
        form_class = super().get_edit_form()
        if not self._checks_staleness():
            return form_class
        return type(f"Seen{form_class.__name__}", (form_class,), {"form_seen": HiddenField()})

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        seen = getattr(form, "form_seen", None)
        # (a form refilled after an expired session keeps the change it was typed on)
        if seen is not None and request.method != "POST" and obj is not None and not seen.data:
            seen.data = _last_change(obj)
        return form

    def update_model(self, form, model):
        seen = getattr(form, "form_seen", None)
        if seen is not None and seen.data and seen.data != _last_change(model):
            flash(str(STALE_EDIT_MESSAGE), "error")
            return False
        return super().update_model(form, model)

    def created_url(self, model) -> str:
        """The page of a record just created: where a repeated send of its form is sent."""
        if self.can_view_details:
            return self.get_url(".details_view", id=self.get_pk_value(model))
        return self.get_url(".index_view")

    def handle_view_exception(self, exc):
        """A failed create, edit or delete: our validation messages are shown as they are; a
        repeated send goes to the first send's record; a busy SQLite re-shows the form; any other
        error (a database constraint, a lost connection) is logged in full with a short
        reference, and the user sees a short message with that reference — never its SQL."""
        if isinstance(exc, form_submissions.AlreadySubmitted):
            raise exc  # answered by views/errors.py: to the record of the first send
        if database_busy(exc):
            flash(str(BUSY_MESSAGE), "error")  # the form is shown again with what was typed
            return True
        if isinstance(exc, ValidationError) or current_app.config.get(
            "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"
        ):
            return super().handle_view_exception(exc)
        reference = log_with_reference(exc)
        flash(
            gettext(
                "The change could not be saved; nothing was changed. Try again; if it "
                "happens again, tell the administrator the reference %(reference)s.",
                reference=reference,
            ),
            "error",
        )
        return True


STALE_EDIT_MESSAGE = _l(
    "This record was changed after you opened this page (by someone else, or by an earlier "
    "send of this form). Nothing was saved: reload the page to see the changes, then make "
    "yours again."
)


def _last_change(row) -> str:
    return row.updated_at.isoformat() if row.updated_at else ""


def period_message(error) -> str:
    """The translated message of a refused period (domain.periods.PeriodError)."""
    return gettext(error.msgid, **error.params)
