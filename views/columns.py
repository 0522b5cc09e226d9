"""How columns are shown, filtered and picked: Vietnamese formats, filters of UTC columns, the
accent-insensitive AJAX picker, and the links and titles of pages."""

from __future__ import annotations

import datetime as dt

from flask import flash, request
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model import typefmt
from flask_admin.model.base import FilterGroup
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import BigInteger, Integer, SmallInteger, case

from domain import catalog_cache
from domain.formatting import (
    ImpossibleDate,
    format_date,
    format_datetime,
    format_vnd,
    local_to_utc,
)
from domain.search_index import contains_any
from domain.text import search_words
from models import db
from views import labels
from views.access import MAX_PAGE, own_agency_ids, parse_id
from views.fields import impossible_date_message
from views.page_parts import FilterGroups


def link_args(args) -> dict:
    """The current query string, to carry into a link or a redirect (every value of a repeated
    key kept) — without url_for's own options (_external, _scheme, _anchor, _method), which a
    crafted link could otherwise set: `?_method=POST` made every list page fail."""
    return {k: v for k, v in args.to_dict(flat=False).items() if not k.startswith("_")}


def page_title(view, model=None) -> str:
    """The <title> of a page: the screen, the record shown, what the page does with it
    ("Hồ sơ 000.00.20.H37-190304-0001 – Chi tiết – Một cửa")."""
    name = str(view.name) if view is not None else ""
    if model is not None:
        # Models without their own __str__ would print "<Payment 3>".
        shown = str(model) if type(model).__str__ is not object.__str__ else ""
        name = f"{name} {shown or '#' + str(getattr(model, 'id', ''))}"
    kind = labels.PAGE_KINDS.get((request.endpoint or "").rpartition(".")[2])
    return " – ".join(str(part) for part in (name, kind, _l("One-stop center")) if part)


def _bool_formatter(view, value, name=None):
    return Markup('<span class="fa fa-check text-success" title="✓"></span>') if value else ""


# Flask-Admin picks the first formatter whose type matches with isinstance(): datetime (a
# subclass of date) must come before date, or times are dropped.
TYPE_FORMATTERS = {
    dt.datetime: lambda view, value, name=None: format_datetime(value),
    dt.date: lambda view, value, name=None: format_date(value),
}
TYPE_FORMATTERS.update(
    {k: v for k, v in typefmt.BASE_FORMATTERS.items() if k not in TYPE_FORMATTERS}
)
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
    `label(row)` says how a choice reads; `search_terms(text)` the criteria of what was typed
    (dossiers: domain/dossier_search.py, a phone number found whatever its spacing), by
    default one per word."""

    def __init__(
        self,
        name,
        model,
        query_factory=None,
        order_by=None,
        label=None,
        search_terms=None,
        **options,
    ):
        options.setdefault("fields", ["search_text"])
        options.setdefault("page_size", 20)
        super().__init__(name, db.session, model, **options)
        self.page_size = options["page_size"]
        self.query_factory = query_factory
        self.order_by = order_by
        self.label = label  # how a choice reads in the picker (default: str(row))
        self.search_terms = search_terms

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
        words = search_words(term)
        dialect = db.session.get_bind().dialect.name
        terms = self.search_terms(term) if self.search_terms else [((w,),) for w in words]
        for alternatives in terms:
            query = query.filter(contains_any(dialect, self.model.search_text, alternatives))
        if len(words) > 1:
            # The words as typed, in a row, first: "cap lai giay phep lai xe" finds "Cấp lại
            # Giấy phép lái xe" before "Đổi giấy phép lái xe do … cấp" (Enter takes the first).
            query = query.order_by(
                case(
                    (self.model.search_text.contains(" ".join(words), autoescape=True), 0), else_=1
                )
            )
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
    bits = (
        16
        if isinstance(column_type, SmallInteger)
        else 64
        if isinstance(column_type, BigInteger) or not isinstance(column_type, Integer)
        else 32
    )
    items = cleaned if isinstance(cleaned, (list, tuple)) else [cleaned]
    return all(
        -(2 ** (bits - 1)) <= item < 2 ** (bits - 1)
        for item in items
        if isinstance(item, int) and not isinstance(item, bool)
    )


class ListFiltersMixin:
    """The filters of a model screen's list (mixed into views/base.py's SecureModelView): their
    choices kept per view, timestamps filtered on the local clock, values beyond a column
    refused like any invalid one."""

    def _get_filter_groups(self):
        """Filter choices (agencies, fields, ...) come from the database: read when first shown
        (not at start-up), then kept per view, agency scope and language until the catalog
        changes (domain/catalog_cache.py) — not rebuilt per page."""
        if not self._filters:
            return None
        # The database too: two apps in one process (the bench's SQLite and PostgreSQL) each
        # read their own.
        key = (
            "filters",
            db.engine.url,
            self.endpoint,
            tuple(own_agency_ids() or ()),
            str(get_locale()),
        )
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
        return FilterGroups(group.non_lazy() for group in groups.values())

    def scaffold_filters(self, name):
        filters = super().scaffold_filters(name)
        if isinstance(name, str) and name in self.utc_columns:
            filters = [on_utc_column(flt) for flt in filters or ()]
        return filters

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
        # A date typed the right way but not in the calendar: said so, as in the forms.
        try:
            filter.clean(value)
        except ImpossibleDate as error:
            return impossible_date_message(error)
        except (ValueError, TypeError, OverflowError):
            pass
        # The value is shown back shortened: a 10,000-character one would overflow the session
        # cookie that carries the message.
        value = str(value)
        return super().get_invalid_value_msg(
            value if len(value) <= 40 else value[:40] + "…", filter
        )
