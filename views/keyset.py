"""A big list's order seen as a key (issue 16), for its paging by key (views/listing.py
KeysetPagingMixin): the cursor a next / previous link carries, and the queries of the rows from
the start of the list or past a cursor."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import tuple_

from domain.sql import constant
from views.access import parse_id


class KeyPlan:
    """How a list is sorted, seen as a key: one column of the model (or none) and the primary
    key as the tie-breaker, both in the same direction."""

    def __init__(self, key, pk, desc: bool, dialect: str):
        self.key, self.pk, self.desc = key, pk, desc
        column = key.property.columns[0] if key is not None else None
        self.nullable = bool(column is not None and column.nullable)
        self.python_type = _python_type(column) if column is not None else None
        # PostgreSQL sorts NULL above every value, SQLite (and MySQL) below.
        self.nulls_large = dialect == "postgresql"

    # -- the cursor in the URL: "<id>_<value>" ("<id>" alone: the key is NULL) --
    def token(self, row) -> str:
        pk = getattr(row, self.pk.key)
        if self.key is None:
            return str(pk)
        value = getattr(row, self.key.key)
        if value is None:
            return str(pk)
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return f"{pk}_{text}"

    def parse(self, token: str):
        """(pk, key value) of a cursor; None for a malformed one (then the list starts over)."""
        pk_text, sep, text = (token or "").partition("_")
        pk = parse_id(pk_text)
        if pk is None or "\x00" in text:
            return None
        if self.key is None or not sep:
            return pk, None
        kind = self.python_type
        try:
            if kind in (dt.datetime, dt.date):
                value = kind.fromisoformat(text)
            else:
                value = kind(text) if kind is not None else text
        except (ValueError, TypeError, ArithmeticError):
            return None
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return None
        return pk, value

    # -- the queries --
    def _ordered(self, query, travel_desc: bool):
        columns = [c for c in (self.key, self.pk) if c is not None]
        return query.order_by(*(c.desc() if travel_desc else c.asc() for c in columns))

    def first(self, query, offset: int, limit: int, run) -> list:
        """`query()`: the list's query; run(name, build): the rows of the query build() makes
        (its statement kept under `name` when the list keeps its statements)."""
        return run(
            ("first", offset, limit),
            lambda: (
                self._ordered(query().order_by(None), self.desc)
                .offset(constant(offset) if offset else None)
                .limit(constant(limit))
            ),
        )

    def beyond(self, query, cursor, forward: bool, limit: int, run) -> list:
        """Up to `limit` rows after (forward) or before the cursor's row, in the direction of
        travel. With a nullable key the NULL rows are a segment of their own (first or last,
        as the database sorts them): a second query only on the page that crosses into them."""
        travel_desc = self.desc == forward
        if self.key is None:
            segments = ["pk"]
        else:
            nulls_first = self.nulls_large == travel_desc
            segments = ["null", "value"] if nulls_first else ["value", "null"]
            if not self.nullable:
                segments = ["value"]
            segments = segments[segments.index("null" if cursor[1] is None else "value") :]
        rows: list = []
        for segment in segments:
            part = (query, cursor, travel_desc, segment, segment == segments[0], limit - len(rows))
            rows += run(("beyond", *part[1:]), functools.partial(self._part, *part))
            if len(rows) >= limit:
                break
        return rows

    def _part(self, query, cursor, travel_desc: bool, segment: str, starts: bool, limit: int):
        """Up to `limit` rows of one segment past the cursor (`starts`: the cursor's own
        segment), in the direction of travel."""
        return self._segment(query().order_by(None), cursor, travel_desc, segment, starts).limit(
            constant(limit)
        )

    def _segment(self, query, cursor, travel_desc: bool, segment: str, starts: bool):
        pk, value = cursor

        def past(column, bound):
            return column < bound if travel_desc else column > bound

        if segment == "pk":
            return self._ordered(query.filter(past(self.pk, pk)), travel_desc)
        if segment == "null":
            part = query.filter(self.key.is_(None))
            if starts:
                part = part.filter(past(self.pk, pk))
            return part.order_by(self.pk.desc() if travel_desc else self.pk.asc())
        part = query.filter(self.key.is_not(None)) if self.nullable else query
        if starts:
            part = part.filter(past(tuple_(self.key, self.pk), (value, pk)))
        return self._ordered(part, travel_desc)


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None
