"""Lists of big tables (a million dossiers): how many rows the filtered list has, without ever
counting the whole table."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from domain.formatting import format_number
from models import db


def bounded_count(query, limit: int) -> int:
    """The number of rows of `query`, read up to limit + 1 rows (a LIMITed subquery): the cost is
    bounded whatever the table's size; a result above `limit` means "more than limit"."""
    rows = query.order_by(None).limit(limit + 1).subquery()
    return int(db.session.scalar(select(func.count()).select_from(rows)))


class BoundedCountMixin:
    """A list page that says how many rows it found (search and filters applied): exactly up to
    LIST_COUNT_LIMIT rows (then Flask-Admin's numbered pager too), "more than N" past it.

    For views with `simple_list_pager = True` (no COUNT(*) per page): put it before the model view
    in the bases. `count_messages`: (exact, more than), each with %(count)s."""

    count_messages = (_l("%(count)s rows"), _l("More than %(count)s rows"))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if count is None and execute and request.endpoint == f"{self.endpoint}.index_view":
            limit = current_app.settings.list_count_limit
            size = self.page_size if page_size is None else page_size
            if not size or len(rows) < size:
                # The last page is on screen: the count is known without a query (the rare
                # search that scans the whole table is not scanned twice).
                found = (page or 0) * (size or 0) + len(rows)
                limit = max(limit, found)
            else:
                found = bounded_count(self._searched_and_filtered(search, filters), limit)
            g.motcua_list_count = (found, limit)
            if found <= limit:
                count = found
        return count, rows

    def _searched_and_filtered(self, search, filters):
        """The list's query (scoping, search, filters) without sort and pagination."""
        query, joins = self.get_query(), {}
        if self._search_supported and search:
            query, _, joins, _ = self._apply_search(query, None, joins, {}, search)
        if filters and self._filters:
            query, _, joins, _ = self._apply_filters(query, None, joins, {}, filters)
        return query

    def list_count_text(self) -> str | None:
        found, limit = g.get("motcua_list_count", (None, None))
        if found is None:
            return None
        exact, more = self.count_messages
        if found > limit:
            return str(more) % {"count": format_number(limit)}
        return str(exact) % {"count": format_number(found)}
