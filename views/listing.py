"""Lists of big tables (a million dossiers): how many rows the filtered list has, without ever
counting the whole table."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, g, request
from flask_babel import lazy_gettext as _l

from domain.formatting import format_number
from models import db
from views.access import own_agency_ids
from views.keyset import KeyPlan
from views.list_count import bounded_count, count_ahead
from views.list_select import (
    PlainRowsMixin,
    list_statements,
    read,
    searched_and_filtered,
)


class BoundedCountMixin:
    """A list page that says how many rows it found (search and filters applied): exactly up to
    LIST_COUNT_LIMIT rows (then Flask-Admin's numbered pager too), "more than N" past it.

    For views with `simple_list_pager = True` (no COUNT(*) per page): put it before the model view
    in the bases. `count_messages`: (exact, more than), each with %(count)s."""

    count_messages = (_l("%(count)s rows"), _l("More than %(count)s rows"))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        on_list = execute and request.endpoint == f"{self.endpoint}.index_view"
        if on_list:
            limit = current_app.settings.list_count_limit
            key = (self.endpoint, search, repr(filters), tuple(own_agency_ids() or ()), limit)
            # The count read with the rows when the list's statements are kept (KeysetPaging).
            g.motcua_count_ahead = ahead = count_ahead(self, search, filters, limit, key)
        try:
            count, rows = super().get_list(
                page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
            )
        finally:
            g.pop("motcua_count_ahead", None)
        if count is None and on_list:
            size = self.page_size if page_size is None else page_size
            if not size or len(rows) < size:
                # The last page is on screen: the count is known without a query (the rare
                # search that scans the whole table is not scanned twice).
                found = (page or 0) * (size or 0) + len(rows)
                limit = max(limit, found)
            else:
                found = bounded_count(
                    lambda: searched_and_filtered(self, search, filters),
                    limit,
                    key,
                    list_statements(self, search, filters),
                    ahead,
                )
            g.motcua_list_count = (found, limit)
            if found <= limit:
                count = found
        return count, rows

    def list_count_text(self) -> str | None:
        found, limit = g.get("motcua_list_count", (None, None))
        if found is None:
            return None
        exact, more = self.count_messages
        if found > limit:
            return str(more) % {"count": format_number(limit)}
        return str(exact) % {"count": format_number(found)}


# ---- keyset paging ------------------------------------------------------------------------------
# A deep page of a big list read with OFFSET walks every row before it: page 1000 of a million
# dossiers costs a thousand page 1s. Next and previous here continue from the last (first) row
# shown: "the rows after (accepted_at, id) = (…, 4711)", read from the sort's index at the cost of
# page 1 whatever the depth. Numbered pages (OFFSET) stay where they are cheap: within the first
# `list_count_limit` rows (the exact count's bound, where Flask-Admin shows numbered pages).

AFTER, BEFORE = "after", "before"


class KeysetPagingMixin(PlainRowsMixin):
    """Next / previous by the sort key on a big list (declare it before the model view in the
    bases, after BoundedCountMixin). The list is sorted by one column of the model (the
    default sort or a sortable column the user picks) with the primary key as tie-breaker;
    a sort on a joined column keeps Flask-Admin's OFFSET paging, within the same bound as
    numbered pages. For views with `simple_list_pager = True`."""

    def _get_list_extra_args(self):
        view_args = super()._get_list_extra_args()
        # The cursor belongs to this page only: sort, search, filter and page links drop it.
        for name in (AFTER, BEFORE):
            view_args.extra_args.pop(name, None)
        return view_args

    def _keyset_plan(self, sort_column, sort_desc) -> KeyPlan | None:
        """The list's order as a key (None: paged by OFFSET); made once per view, sort and
        database (the view's sortable columns and default order are its declarations)."""
        dialect = db.session.get_bind().dialect.name
        plans = self.__dict__.setdefault("_keyset_plans", {})
        key = (sort_column, bool(sort_desc), dialect)
        if key not in plans:
            plans[key] = self._new_keyset_plan(sort_column, sort_desc, dialect)
        return plans[key]

    def _new_keyset_plan(self, sort_column, sort_desc, dialect: str) -> KeyPlan | None:
        pk = getattr(self.model, self._primary_key)
        if sort_column is not None:
            field = self._sortable_columns.get(sort_column)
            if self._sortable_joins.get(sort_column) or not _own_column(self.model, field):
                return None
            order = [(field, bool(sort_desc))]
        else:
            order = [(attr, bool(desc)) for attr, joins, desc in self._get_default_order()]
            if any(joins for _, joins, _ in self._get_default_order()):
                return None
        if order and order[-1][0] is pk:
            order = order[:-1] if len(order) > 1 else [(None, order[-1][1])]
        if len(order) != 1 or (
            order[0][0] is not None and not _own_column(self.model, order[0][0])
        ):
            return None
        key, desc = order[0]
        return KeyPlan(key, pk, desc, dialect)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        size = self.page_size if page_size is None else page_size
        on_list = request.endpoint == f"{self.endpoint}.index_view"
        if not (execute and size and on_list):
            return super().get_list(
                page, sort_column, sort_desc, search, filters, execute, page_size
            )
        page = page or 0
        bound = current_app.settings.list_count_limit
        plan = self._keyset_plan(sort_column, sort_desc)
        cursor, forward = None, True
        for name in (AFTER, BEFORE):
            if plan is not None and request.args.get(name):
                cursor, forward = plan.parse(request.args[name]), name == AFTER
        if cursor is None and page * size > bound:
            abort(400)  # a deep page is reached by next / previous, not by its number
        g.motcua_keyset = None
        if plan is None:  # a joined sort column: OFFSET, within the bound above
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, size)
        plain = self.plain_rows_plan(plan.key) if self.simple_list_pager else None
        count, query, run = self._rows_source(plain, sort_column, sort_desc, search, filters)
        if cursor is None:
            rows = plan.first(query, page * size, size + 1, run)
            has_prev, has_next = page > 0, len(rows) > size
            rows = rows[:size]
        else:
            rows = plan.beyond(query, cursor, forward, size + 1, run)
            more = len(rows) > size
            rows = rows[:size]
            if forward:
                has_prev, has_next = True, more
            else:
                rows.reverse()
                has_prev, has_next = more, True
                if not more:  # back at the start of the list (rows may have come since)
                    rows = plan.first(query, 0, size + 1, run)
                    has_next, rows = len(rows) > size, rows[:size]
        if plain is not None:
            rows = plain.rows(rows)
        if not has_prev:
            page = 0
        g.motcua_keyset = {
            "page": page,
            "next": plan.token(rows[-1]) if has_next and rows else None,
            "prev": plan.token(rows[0]) if has_prev and rows else None,
        }
        return count, rows

    def _rows_source(self, plain, sort_column, sort_desc, search, filters):
        """(count, query, run): the count Flask-Admin found (None: the plain rows'), the list's
        query (a function: built only for a statement not kept), run(name, build) the rows of
        the query build() makes."""
        if plain is None:
            count, built = super().get_list(
                None, sort_column, sort_desc, search, filters, execute=False, page_size=0
            )
            return count, (lambda: built), (lambda name, build: build().all())
        # The columns shown only, as plain rows, by statements kept (views/list_select.py).
        statement = list_statements(self, search, filters, sort_column, bool(sort_desc))

        def query():
            return plain.query(searched_and_filtered(self, search, filters))

        def run(name, build):
            ahead = g.pop("motcua_count_ahead", None)  # (with the first statement of the rows)
            if ahead is not None:
                return ahead.rows(statement, name, build)
            return read(statement(name, lambda: build().statement)).all()

        return None, query, run

    def keyset_links(self, pager_url, count):
        """The pager's links {"first", "prev", "next"} (None where there is none), or None
        when the list is not paged by key or its numbered pages are cheap (an exact count
        within the bound)."""
        state = g.get("motcua_keyset")
        if not state or (count is not None and count <= current_app.settings.list_count_limit):
            return None
        page = state["page"]

        def with_cursor(url, name, token):
            return f"{url}{'&' if '?' in url else '?'}{urlencode({name: token})}"

        prev = None
        if state["prev"] is not None:
            prev = (
                pager_url(0)
                if page <= 1
                else with_cursor(pager_url(page - 1), BEFORE, state["prev"])
            )
        return {
            "page": page,
            "first": pager_url(0) if page > 0 else None,
            "prev": prev,
            "next": with_cursor(pager_url(page + 1), AFTER, state["next"])
            if state["next"] is not None
            else None,
        }


def _own_column(model, attr) -> bool:
    """A plain column of the model itself (not a relation, an expression or a joined column)."""
    prop = getattr(attr, "property", None)
    return (
        prop is not None
        and getattr(attr, "class_", None) is model
        and hasattr(prop, "columns")
        and len(prop.columns) == 1
    )
