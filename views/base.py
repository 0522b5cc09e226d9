"""The building blocks every screen shares: role checks, CSRF forms, Vietnamese formats,
accent-insensitive search and AJAX pickers. A screen is then a short declaration.

SecureModelView lives here; the pieces it is built of live in views/access.py (roles, ids,
agency scope), views/forms.py (forms and their one-time tokens) and views/columns.py (formats,
filters, pickers). They are imported from here by the screens, as before."""

from __future__ import annotations

from flask import abort, current_app, flash, request
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import ValidationError

from domain import form_submissions
from domain.text import MAX_SEARCH_WORDS, search_words
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
    ListFiltersMixin,
    SearchAjaxLoader,
    link_args,
    page_title,
    vnd_formatter,
)
from views.errors import BUSY_MESSAGE, database_busy, log_with_reference
from views.fields import VnModelConverter
from views.filters import VnFilterConverter
from views.forms import (
    OnceCreateMixin,
    OnceForm,
    SecureForm,
    StaleEditMixin,
    _InlineConverter,
    check_form_token,
    claim_form_token,
    record_form_result,
)
from views.list_page import KeptListPageMixin
from views.list_rows import ListRowsMixin

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


class SecureModelView(
    RoleRequiredMixin,
    ListFiltersMixin,
    ListRowsMixin,
    KeptListPageMixin,
    OnceCreateMixin,
    StaleEditMixin,
    ModelView,
):
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

    def get_actions_list(self):
        # The same for every page of a role in a language: found and translated once.
        key = (current_user.role if current_user.is_authenticated else None, str(get_locale()))
        memo = self.__dict__.setdefault("_actions_by_role", {})
        if key not in memo:
            memo[key] = super().get_actions_list()
        actions, confirmations = memo[key]
        return list(actions), dict(confirmations)

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


def period_message(error) -> str:
    """The translated message of a refused period (domain.periods.PeriodError)."""
    return gettext(error.msgid, **error.params)
