"""The building blocks every screen shares: role checks, CSRF forms, Vietnamese formats,
accent-insensitive search and AJAX pickers. A screen is then a short declaration."""
from __future__ import annotations

import datetime as dt

from flask import (abort, current_app, flash, g, has_app_context, has_request_context, redirect,
                   request, url_for)
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext, ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model import typefmt
from flask_admin.model.base import FilterGroup
from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_babel import get_translations, gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup
from sqlalchemy import BigInteger, Integer, SmallInteger
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import ValidationError

from domain import form_submissions
from domain.formatting import (format_date, format_datetime, format_vnd, local_to_utc,
                               utc_to_local)
from domain.text import MAX_SEARCH_WORDS, clean_text, search_words
from models import db
from views.fields import VnFilterConverter, VnModelConverter
from views.errors import BUSY_MESSAGE, database_busy, log_with_reference

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
    """WTForms messages through our own catalogue (WTForms ships no Vietnamese).

    WTForms fills in %(min)s/%(max)s itself after translating: the text must come back with
    its placeholders untouched (flask_babel's ngettext would fill in %(num)s and fail)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        translations = get_translations()
        text = translations.ngettext(singular, plural, n)
        if text in (singular, plural):  # our catalogue has the two forms as separate msgids
            text = translations.gettext(singular if n == 1 else plural)
        return text


def _tidy_input(value):
    return clean_text(value) if isinstance(value, str) else value


class _FormMeta:
    """What every form of the app shares: Vietnamese messages, and text tidied the way the
    importers tidy it (domain.text.clean_text) before it is validated and saved."""

    def get_translations(self, form):
        return _AppTranslations()

    def bind_field(self, form, unbound_field, options):
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            field.filters = (_tidy_input, *field.filters)
        return field


class SecureForm(FlaskForm):
    """Every form carries a CSRF token, speaks Vietnamese, tidies text and refuses a choice it
    did not offer."""

    class Meta(_FormMeta):
        def wrap_formdata(self, form, formdata):
            # A page shown again after an expired session (views/idle.py): its form is filled
            # with what was typed, as if posted, but neither validated nor saved.
            draft = g.get("form_draft") if has_request_context() else None
            if draft is not None and request.method == "GET" and formdata in (None, _Auto) \
                    and any(name in draft for name in form._fields):
                return draft
            return super().wrap_formdata(form, formdata)

    def __init__(self, *args, **kwargs):
        # Flask-Admin's Unique validator tells "the edited row itself" from "another row with
        # the same code" through form._obj, which only Flask-Admin's own form base sets.
        self._obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if _forged_choice(field) and not field.errors:
                field.errors = [gettext("This choice does not exist or is not open to you.")]
                valid = False
        return valid


class InlineForm(BaseForm):
    """A row of an inline list (a procedure's fee items): like SecureForm, without a CSRF token
    of its own (the outer form carries it)."""

    class Meta(_FormMeta):
        pass


def _forged_choice(field) -> bool:
    """An AJAX picker posted an id that is not among its choices (another agency's dossier, a
    removed row): Flask-Admin would silently save "nothing chosen"."""
    if not isinstance(field, AjaxSelectField) or isinstance(field, AjaxSelectMultipleField):
        return False
    posted = (field.raw_data or [""])[0]
    return posted not in ("", "__None") and field.data is None


class _InlineConverter(InlineModelConverter):
    def get_info(self, p):
        info = super().get_info(p)
        if info.form_base_class is None:
            info.form_base_class = InlineForm
        return info


class FormTokenField(HiddenField):
    """The one-time token of a create form (domain/form_submissions.py): a new one each time
    the form is shown; the posted one kept when the form comes back with errors."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("default", form_submissions.new_token)
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:  # a forged value is replaced: that send is simply not deduplicated
            self.data = form_submissions.clean_token(valuelist[0]) or form_submissions.new_token()


class OnceForm(SecureForm):
    """A form that creates a record: sent twice, it creates one (see claim_form_token)."""
    form_token = FormTokenField()


def _user_id():
    return current_user.id if current_user.is_authenticated else None


def check_form_token(form) -> None:
    """Before validating a posted create form: AlreadySubmitted if this form was sent before."""
    if request.method == "POST" and getattr(form, "form_token", None) is not None:
        form_submissions.check_unused(db.session, form.form_token.data)


def claim_form_token(form) -> None:
    """In the transaction that writes the form's record, before writing it."""
    if getattr(form, "form_token", None) is not None:
        form_submissions.claim(db.session, form.form_token.data, _user_id())


def record_form_result(form, url: str) -> None:
    """Where a later send of the same form goes: the record the first one created."""
    if getattr(form, "form_token", None) is not None:
        form_submissions.record_result(db.session, form.form_token.data, url)


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


def page_title(view, model=None) -> str:
    """The <title> of a page: the screen, the record shown, what the page does with it
    ("Hồ sơ 000.00.20.H37-190304-0001 – Chi tiết – Một cửa")."""
    from views import labels

    name = str(view.name) if view is not None else ""
    if model is not None:
        # Models without their own __str__ would print "<Payment 3>".
        shown = str(model) if type(model).__str__ is not object.__str__ else ""
        name = f"{name} {shown or '#' + str(getattr(model, 'id', ''))}"
    kind = labels.PAGE_KINDS.get((request.endpoint or "").rpartition(".")[2])
    return " – ".join(str(part) for part in (name, kind, _l("One-stop center")) if part)


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


# ---- filters of columns stored in UTC -----------------------------------------------------------
# Dates and times in filters are read the Vietnamese way by views/fields.py (VnFilterConverter);
# filters on a UTC column read the local time the user typed.


def _utc(value):
    if isinstance(value, dt.datetime):
        return local_to_utc(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_utc(v) for v in value)
    return value


class _OnUtcColumn:
    """A filter of a column stored in UTC: the user types the local time (as every time on
    screen is local); the value is converted after the filter has read it."""

    def clean(self, value):
        return _utc(super().clean(value))


def on_utc_column(flt):
    flt.__class__ = type(flt.__class__.__name__, (_OnUtcColumn, flt.__class__), {})
    return flt


class SearchAjaxLoader(QueryAjaxModelLoader):
    """An AJAX picker that searches the accent-free `search_text` column.

    `query_factory(model)` can narrow the choices (active rows, the user's own agencies);
    `label(row)` says how a choice reads."""

    def __init__(self, name, model, query_factory=None, order_by=None, label=None, **options):
        options.setdefault("fields", ["search_text"])
        options.setdefault("page_size", 20)
        super().__init__(name, db.session, model, **options)
        self.page_size = options["page_size"]
        self.query_factory = query_factory
        self.order_by = order_by
        self.label = label  # how a choice reads in the picker (default: str(row))

    def format(self, model):
        if model is None or self.label is None:
            return super().format(model)
        return getattr(model, self.pk), self.label(model)

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


def period_message(error) -> str:
    """The translated message of a refused period (domain.periods.PeriodError)."""
    return gettext(error.msgid, **error.params)
