"""A big list's bounded count (issue 16): how many rows the list has up to a bound, "more than
the bound" past it, without ever counting a million rows; read with the list's rows when its
statements are kept (one statement, one round trip on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from domain.sql import constant
from views.list_select import built_anew, list_statements, read, searched_and_filtered

# Per list (screen, search, filters, scope, bound): whether its count was past the bound the
# last time it was counted: only which statements count it (the count is always read).
_was_big: dict = {}


def _keys(query):
    """The list's query reading its primary key only: the narrowest index that serves."""
    built = query()
    entity = built.column_descriptions[0]["entity"]
    return built.order_by(None).with_entities(*sa_inspect(entity).primary_key)


def _past(query, limit: int):
    """The first row past the bound (its key), if any."""
    return _keys(query).offset(constant(limit)).limit(constant(1)).statement


def _counted(query, limit: int):
    """The number of rows up to limit + 1."""
    return select(func.count()).select_from(_keys(query).limit(constant(limit + 1)).subquery())


_NOT_READ = object()


class CountAhead:
    """The first statement bounded_count would send for a list, read as a column of the list's
    rows' statement (a scalar subquery, run once by the database): one statement and, on
    PostgreSQL, one round trip for the rows and the count instead of two. `value` its answer
    once read (_NOT_READ before: then bounded_count sends it itself, e.g. when no row came)."""

    def __init__(self, query, limit: int, key):
        self.query, self.limit = query, limit
        self.name = ("past", limit) if _was_big.get(key, True) else ("count", limit)
        self.value = _NOT_READ

    def rows(self, statement, name, build) -> list:
        """The rows of the statement build() makes (kept under `name` by `statement`), the
        count read with them."""
        count = _past if self.name[0] == "past" else _counted

        def with_count():  # (built only when the statement is not kept)
            column = count(self.query, self.limit).correlate(None).scalar_subquery()
            return build().statement.add_columns(column)

        rows = read(statement((name, "with", self.name), with_count)).all()
        if rows:
            self.value = rows[0][-1]
        return [row[:-1] for row in rows]


def count_ahead(view, search, filters, limit: int, key) -> CountAhead | None:
    """The count of the list to read with its rows, for a list whose statements are kept
    (list_statements); None for the others (their statements are built on each page)."""
    if list_statements(view, search, filters) is built_anew:
        return None
    return CountAhead(lambda: searched_and_filtered(view, search, filters), limit, key)


def bounded_count(query, limit: int, key=None, statement=built_anew, ahead=None) -> int:
    """The number of rows of `query()`, read up to limit + 1 rows: the cost is bounded whatever
    the table's size; above `limit` means "more than limit". First whether a row lies past the
    bound (a quarter of the cost of counting up to it; a big list is "more than limit" at
    that), then the count; a list (`key`) found within the bound last time is counted at once
    (one statement, not two). The primary key only: the narrowest index that serves.
    `statement`: list_statements' (the query built only for a statement not kept); `ahead`:
    the first of these statements already read with the rows (CountAhead)."""
    probe = _was_big.get(key, True)
    known = _NOT_READ
    if ahead is not None and ahead.name == ("past" if probe else "count", limit):
        known = ahead.value
    if probe:
        if known is _NOT_READ:
            past = statement(("past", limit), lambda: _past(query, limit))
            known = read(past).scalar()
        if known is not None:
            return limit + 1
        known = _NOT_READ  # (within the bound: counted below)
    if known is _NOT_READ:
        count = statement(("count", limit), lambda: _counted(query, limit))
        known = read(count).scalar()
    found = int(known)
    if key is not None:
        if len(_was_big) >= 4096:
            _was_big.clear()
        _was_big[key] = found > limit
    return found
