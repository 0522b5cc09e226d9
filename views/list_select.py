"""A big list's rows read as plain values of the columns it shows, not as models (issue 16).

Fifty dossiers loaded as models with their procedure and agency (Flask-Admin's joined loads of
the list's relations) read every column of three tables, long texts included, and build three
objects a row through the ORM: several milliseconds a page. A view that names what its list
shows (`list_row_fields`) has its page read as those columns only, one statement (the catalog
relations looked up in a per-process copy, the others joined), each row a small object with the same attribute names as the model's
(`row.code`, `row.procedure.name`, `str(row.agency)`), so the formatters, the template and the
pager read it as they read a model.

A name that the formatters or the template read and `list_row_fields` lacks is an
AttributeError on the page (tests/views/test_list_rows.py opens every list screen)."""

from __future__ import annotations

from flask import g
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE, aliased

from domain import catalog_cache
from models import db
from views.access import own_agency_ids
from views.per_view import PerView


class PlainRow:
    """A list row: the named columns as attributes (settable: a view may add what it computes
    per row); `row_key` the values it was read with, all of them (views/list_rows.py keeps a
    page's rows written by it)."""

    __slots__ = ("__dict__", "row_key")


class _Related:
    """A many-to-one relation of the rows: joined under its own alias, or, for a catalog table
    (domain/catalog_cache.py WATCHED: agencies, procedures...), read as its key and looked up
    in a per-process copy of the table's few columns (a join costs PostgreSQL its planning
    and a hash of the table on every page; the copy is dropped as the filter choices are)."""

    def __init__(self, model, name: str, attrs: tuple[str, ...]):
        prop = sa_inspect(model).relationships[name]
        target = prop.mapper
        (self.key,) = target.primary_key
        self.name, self.attrs, self.target = name, attrs, target.class_
        self.kind = type(f"Plain{target.class_.__name__}", (PlainRow,), {})
        self.kind.__str__ = target.class_.__str__  # str(row.agency) as the model writes it
        (local,) = prop.local_columns
        self.cached = target.local_table.name in catalog_cache.WATCHED and (
            prop.direction is MANYTOONE and [r for _, r in prop.local_remote_pairs] == [self.key]
        )
        if self.cached:
            self.columns, self.join = [getattr(model, local.key)], None
        else:
            alias = aliased(target.class_)
            self.columns = [getattr(alias, self.key.key), *(getattr(alias, a) for a in attrs)]
            self.join = getattr(model, name).of_type(alias)

    def _object(self, values):
        related = object.__new__(self.kind)
        related.__dict__.update(zip(self.attrs, values))
        related.row_key = values
        return related

    def objects(self, keys) -> dict:
        """{key: its object} of the catalog copy, with the keys missing from it (a row added
        by another process since the copy) read now."""
        key_column = getattr(self.target, self.key.key)
        columns = [key_column, *(getattr(self.target, a) for a in self.attrs)]

        def build():
            rows = db.session.execute(select(*columns))
            return {r[0]: self._object(tuple(r[1:])) for r in rows}

        copy = catalog_cache.get(("list rows", db.engine.url, self.target, self.attrs), build)
        missing = {k for k in keys if k is not None and k not in copy}
        if not missing:
            return copy
        rows = db.session.execute(select(*columns).where(key_column.in_(missing)))
        return {**copy, **{r[0]: self._object(tuple(r[1:])) for r in rows}}


class _Plan:
    """The columns of a view's rows, the relations read, and how a result row becomes a
    PlainRow."""

    def __init__(self, model, fields: tuple[str, ...], extra: tuple[str, ...]):
        own: list[str] = []
        related: dict[str, list[str]] = {}
        for field in (*fields, *extra):
            head, _, attr = field.partition(".")
            if attr:
                related.setdefault(head, []).append(attr)
            elif head not in own:
                own.append(head)
        self.columns = [getattr(model, name) for name in own]
        self.relations = []  # (relation, the index of its first column in a result row)
        for name, attrs in related.items():
            relation = _Related(model, name, tuple(attrs))
            self.relations.append((relation, len(self.columns)))
            self.columns += relation.columns
        self.own = tuple(own)
        self.width = len(own)

    def query(self, query):
        """`query` (the list's, over the model: scoped, searched, filtered) reading the
        plan's columns; its filters' own joins are left as they are (the relations here are
        joined under their own aliases)."""
        query = query.with_entities(*self.columns)
        for relation, _ in self.relations:
            if relation.join is not None:
                query = query.outerjoin(relation.join)
        return query

    def rows(self, result) -> list[PlainRow]:
        result = list(result)
        own, width = self.own, self.width
        relations = [
            (r, i, r.objects({values[i] for values in result}) if r.cached else None)
            for r, i in self.relations
        ]
        out = []
        for values in result:
            row = PlainRow()
            data = dict(zip(own, values[:width]))
            key = [values]
            for relation, index, copy in relations:
                if values[index] is None:
                    related = None
                elif copy is not None:
                    related = copy.get(values[index])
                    key.append(None if related is None else related.row_key)
                else:
                    related = relation._object(values[index + 1 : index + 1 + len(relation.attrs)])
                data[relation.name] = related
            row.__dict__.update(data)
            row.row_key = tuple(key)
            out.append(row)
        return out


def searched_and_filtered(view, search, filters):
    """The list's query (scoping, search, filters) without sort and pagination; built once per
    request for the rows and the count of one list."""
    key = (view.endpoint, search, repr(filters))
    kept = g.get("motcua_list_query")
    if kept is not None and kept[0] == key:
        return kept[1]
    query, joins = view.get_query(), {}
    if view._search_supported and search:
        query, _, joins, _ = view._apply_search(query, None, joins, {}, search)
    if filters and view._filters:
        query, _, joins, _ = view._apply_filters(query, None, joins, {}, filters)
    g.motcua_list_query = (key, query)
    return query


# ---- a list's statements kept ------------------------------------------------------------
# A new statement costs SQLAlchemy more than SQLite takes to run it: its cache key (the whole
# tree walked) and its ORM set-up, on each page. A list without search or filters (the page
# most opened) has statements that depend only on the view's query, the user, the sort and the
# page: kept per view, under all of these, they are sent again as they are. Only for a view
# that declares `list_statements_kept = True` itself (a subclass that narrows the query, e.g.
# by today's date, does not inherit it).

STATEMENTS_PER_VIEW = 64
_statements = PerView(STATEMENTS_PER_VIEW)


def built_anew(name, build):
    """The statement of a list whose statements are not kept: built on each page."""
    return build()


def list_statements(view, search, filters, *args):
    """statement(name, build) for this request's list: build() (a statement), or the one kept
    for the same view, user (id, role, agencies), `args` (the sort) and `name` (what the
    statement is: its offset, limit, cursor)."""
    if search or filters or not type(view).__dict__.get("list_statements_kept", False):
        return built_anew
    ids = own_agency_ids()
    key = (current_user.id, current_user.role, None if ids is None else tuple(ids), *args)

    def statement(name, build):
        found = _statements.lookup(view, (key, name))
        if found is None:
            found = build()
            _statements.keep(view, (key, name), found)
        return found

    return statement


def read(statement):
    """The result of a list's statement (its rows, its count: plain values, no models) through
    the session's connection, in its transaction: the ORM's execution around a statement that
    loads no model (its events, its loading context) cost more than SQLite takes to run it.
    Pending changes are flushed first, as the session's execute does."""
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement)


def clear_statements() -> None:
    """Forget every kept statement (tests: another test's screens)."""
    _statements.clear()


class PlainRowsMixin:
    """`list_row_fields`: the model's columns and relations' columns ("procedure.name") the
    list's formatters and template read; empty: the rows are models (Flask-Admin's)."""

    list_row_fields: tuple[str, ...] = ()

    def plain_rows_plan(self, sort_key) -> _Plan | None:
        """How this list's rows are read plainly (with `sort_key`, the pager's, among them);
        None: as models."""
        if not self.list_row_fields:
            return None
        extra = tuple(
            c.key for c in (getattr(self.model, self._primary_key), sort_key) if c is not None
        )
        plans = self.__dict__.setdefault("_plain_plans", {})
        plan = plans.get(extra)
        if plan is None:
            plan = plans[extra] = _Plan(self.model, self.list_row_fields, extra)
        return plan
