"""The building blocks every screen shares: role checks, CSRF forms, Vietnamese formats,
accent-insensitive search and AJAX pickers. A screen is then a short declaration."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, has_app_context, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext, ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model import typefmt
from flask_admin.model.base import FilterGroup
from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import BigInteger, Integer, SmallInteger
from wtforms.validators import ValidationError

from domain.formatting import format_date, format_datetime, format_vnd, utc_to_local
from domain.text import MAX_SEARCH_WORDS, search_words
from models import db
from views.errors import log_with_reference

ALL_ROLES = ("admin", "staff", "manager")

# Numbers from a request are checked before they reach the database: PostgreSQL refuses an id
# beyond its INTEGER columns, a negative OFFSET or one beyond 64 bits (issue 11).
MAX_ID = 2**31 - 1  # every primary key is an INTEGER (4 bytes on PostgreSQL)
MAX_PAGE = 100_000  # list pages (and AJAX picker pages): far more rows than any table holds


def parse_id(value) -> int | None:
    """A row id from a request (query string, form, AJAX picker): a positive whole number that an
    id column can hold, or None — which every caller treats as "not found"."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and current_user.role in roles


class _AppTranslations:
    """WTForms messages through our own catalogue (WTForms ships no Vietnamese)."""

    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


class SecureForm(FlaskForm):
    """Every form carries a CSRF token and speaks Vietnamese."""

    class Meta:
        def get_translations(self, form):
            return _AppTranslations()


class RoleRequiredMixin:
    """Who may open a view: anonymous users go to the login page, wrong roles get 403."""
    read_roles: tuple[str, ...] = ("admin",)

    def is_accessible(self) -> bool:
        return has_role(*self.read_roles)

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureBaseView(RoleRequiredMixin, BaseView):
    """A custom (non-model) page with a role check."""


def link_args(args) -> dict:
    """The current query string, to carry into a link or a redirect (every value of a repeated
    key kept) — without url_for's own options (_external, _scheme, _anchor, _method), which a
    crafted link could otherwise set: `?_method=POST` made every list page fail."""
    return {k: v for k, v in args.to_dict(flat=False).items() if not k.startswith("_")}


def db_options(query_factory):
    """Filter options read from the database when a page is shown (none at start-up)."""
    def options():
        if not has_app_context():
            return []
        return query_factory()
    return options


def _bool_formatter(view, value, name=None):
    return Markup('<span class="fa fa-check text-success" title="✓"></span>') if value else ""


# Flask-Admin picks the first formatter whose type matches with isinstance(): datetime (a
# subclass of date) must come before date, or times are dropped.
TYPE_FORMATTERS = {
    dt.datetime: lambda view, value, name=None: format_datetime(value),
    dt.date: lambda view, value, name=None: format_date(value),
}
TYPE_FORMATTERS.update({k: v for k, v in typefmt.BASE_FORMATTERS.items()
                        if k not in TYPE_FORMATTERS})
TYPE_FORMATTERS.update({type(None): typefmt.empty_formatter, bool: _bool_formatter})


def vnd_formatter(view, context, model, name):
    return format_vnd(getattr(model, name))


class SearchAjaxLoader(QueryAjaxModelLoader):
    """An AJAX picker that searches the accent-free `search_text` column.

    `query_factory(model)` can narrow the choices (active rows, the user's own agencies)."""

    def __init__(self, name, model, query_factory=None, order_by=None, **options):
        options.setdefault("fields", ["search_text"])
        options.setdefault("page_size", 20)
        super().__init__(name, db.session, model, **options)
        self.page_size = options["page_size"]
        self.query_factory = query_factory
        self.order_by = order_by

    def get_query(self):
        if self.query_factory is not None:
            return self.query_factory(self.model)
        return super().get_query()

    def get_one(self, pk):
        # Only an offered choice can be picked: a forged id outside the query is refused.
        pk = parse_id(pk)
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(getattr(self.model, self.pk) == pk).one_or_none()

    def get_list(self, term, offset=0, limit=20):
        # offset and limit come from the request: one page at most (?limit=1000000 or -1 would
        # load a whole table of a million dossiers).
        offset = max(0, offset or 0)
        if offset > MAX_PAGE * self.page_size:  # beyond any table: nothing, not a DB error
            return []
        limit = self.page_size if not limit or limit < 1 else min(limit, self.page_size)
        query = self.get_query()
        for word in search_words(term):
            query = query.filter(self.model.search_text.contains(word, autoescape=True))
        if self.order_by is not None:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()


def _fits_the_database(flt, value) -> bool:
    """A filter value whose numbers fit the filtered column: PostgreSQL casts the value to the
    column's type (INTEGER: 4 bytes) and fails on one beyond it."""
    try:
        cleaned = flt.clean(value)
    except (ValueError, OverflowError, TypeError):
        return False
    column_type = getattr(getattr(flt, "column", None), "type", None)
    bits = (16 if isinstance(column_type, SmallInteger) else
            64 if isinstance(column_type, BigInteger) or not isinstance(column_type, Integer)
            else 32)
    items = cleaned if isinstance(cleaned, (list, tuple)) else [cleaned]
    return all(-2**(bits - 1) <= item < 2**(bits - 1) for item in items
               if isinstance(item, int) and not isinstance(item, bool))


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
        """Filter choices (agencies, fields, ...) come from the database: build them per request
        instead of once at start-up, without touching the shared cache."""
        if not self._filters:
            return None
        groups: dict = {}
        for i, flt in enumerate(self._filters):
            groups.setdefault(str(flt.name), FilterGroup(flt.name)).append({
                "index": i, "arg": self.get_filter_arg(i, flt), "operation": flt.operation(),
                "options": flt.get_options(self) or None, "type": flt.data_type})
        return dict(group.non_lazy() for group in groups.values())

    def _get_list_extra_args(self):
        if not 0 <= request.args.get("page", 0, type=int) <= MAX_PAGE:
            abort(400)  # a negative or huge ?page= is a crafted link (PostgreSQL: OFFSET < 0)
        # Flask-Admin carries unknown query arguments into its page links: not url_for's own.
        view_args = super()._get_list_extra_args()
        view_args.extra_args = {k: v for k, v in view_args.extra_args.items()
                                if not k.startswith("_")}
        words = (view_args.search or "").split()
        if len(words) > MAX_SEARCH_WORDS:
            view_args.search = " ".join(words[:MAX_SEARCH_WORDS])
            if request.endpoint.endswith(".index_view"):
                flash(gettext("Only the first %(count)s words of the search were used.",
                              count=MAX_SEARCH_WORDS), "info")
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
        return super().get_invalid_value_msg(value if len(value) <= 40 else value[:40] + "…",
                                             filter)

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name in self.utc_columns and name not in column_formatters:
            stamp = getattr(model, name, None)
            if isinstance(stamp, dt.datetime):  # stored in UTC; shown on the local clock
                return format_datetime(utc_to_local(stamp))
        # Flask-Admin returns a choice column's raw value when it has no label: an empty
        # value would print "None" in lists and details.
        value = super()._get_list_value(context, model, name, column_formatters,
                                        column_type_formatters)
        return "" if value is None else value

    def search_placeholder(self):
        return str(_l("Search (accents optional)"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        return super()._apply_search(query, count_query, joins, count_joins,
                                     " ".join(search_words(search)))

    def get_one(self, id):
        # A non-numeric or out-of-range id is a missing row, not a database error.
        pk = parse_id(id)
        return None if pk is None else super().get_one(str(pk))

    def handle_action(self, return_view=None):
        # The rows of a batch action are ids like any other: a forged one is bad input.
        if any(parse_id(i) is None for i in request.form.getlist("rowid")):
            abort(400)
        return super().handle_action(return_view)

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        # Flask-Admin's own flashes the database error's text (its SQL) when a delete fails;
        # each failure is reported by handle_view_exception below instead.
        # (Its query also compares the integer ids with text: PostgreSQL refuses that.)
        pk = getattr(self.model, self._primary_key)
        query = self.get_query().filter(pk.in_([parse_id(i) for i in ids]))
        count = sum(1 for model in query.all() if self.delete_model(model))
        if count:
            flash(admin_ngettext("Record was successfully deleted.",
                                 "%(count)s records were successfully deleted.", count,
                                 count=count), "success")

    def handle_view_exception(self, exc):
        """A failed create, edit or delete: our validation messages are shown as they are; any
        other error (a database constraint, a lost connection) is logged in full with a short
        reference, and the user sees a short message with that reference — never its SQL."""
        if isinstance(exc, ValidationError) or \
                current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            return super().handle_view_exception(exc)
        reference = log_with_reference(exc)
        flash(gettext("The change could not be saved; nothing was changed. Try again; if it "
                      "happens again, tell the administrator the reference %(reference)s.",
                      reference=reference), "error")
        return True


def own_agency_ids() -> list[int] | None:
    """The agencies whose rows the user may see and touch: None for admins and managers (every
    agency); for staff their own ([-1] when they have none, so that nothing matches)."""
    if current_user.is_authenticated and current_user.role == "staff":
        return current_user.agency_ids or [-1]
    return None


@db_options
def own_agency_options():
    """Agency choices of a filter: every agency, or a staff member's own."""
    from models import Agency
    query = db.session.query(Agency.id, Agency.name).order_by(Agency.sort_order, Agency.name)
    ids = own_agency_ids()
    return (query if ids is None else query.filter(Agency.id.in_(ids))).all()


class AgencyScopedMixin:
    """Row-level access (design §1): staff see and act only on rows of their own agencies — in the
    list, the count, details, edit, exports and actions. Admins and managers see every row.

    A view names how a row belongs to an agency: `agency_column` (e.g. Dossier.agency_id), or
    overrides `agency_criterion(agency_ids)` for an indirect link (e.g. through the dossier)."""
    agency_column = None

    def agency_criterion(self, agency_ids):
        # Read through the class: on an instance, a mapped attribute such as Dossier.agency_id
        # acts as a descriptor and would look for a mapped row.
        return type(self).agency_column.in_(agency_ids)

    def _scope(self, query):
        ids = own_agency_ids()
        return query if ids is None else query.filter(self.agency_criterion(ids))

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        # A row outside the user's agencies is "not found" (404), as for a tampered id anywhere,
        # rather than Flask-Admin's redirect to the list.
        if name in ("details_view", "edit_view", "print_view"):
            row_id = request.args.get("id")
            if row_id is not None and self.get_one(row_id) is None:
                abort(404)
        return None

    def get_query(self):
        return self._scope(super().get_query())

    def get_count_query(self):
        return self._scope(super().get_count_query())

    def get_one(self, id):
        # A tampered id outside the user's agencies is "not found", exactly like a missing row.
        pk = getattr(self.model, self._primary_key)
        id = parse_id(id)
        if id is None:
            return None
        return self.get_one_query().filter(pk == id).one_or_none()

    def get_one_query(self):
        """The query behind details and edit pages: scoped; a view may add eager loads."""
        return self.get_query()
