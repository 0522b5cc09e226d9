"""A big list's rows read as plain values of the columns it shows, not as models (issue 16).

Fifty dossiers loaded as models with their procedure and agency (Flask-Admin's joined loads of
the list's relations) read every column of three tables, long texts included, and build three
objects a row through the ORM: several milliseconds a page. A view that names what its list
shows (`list_row_fields`) has its page read as those columns only, one statement with the
relations joined, each row a small object with the same attribute names as the model's
(`row.code`, `row.procedure.name`, `str(row.agency)`), so the formatters, the template and the
pager read it as they read a model.

A name that the formatters or the template read and `list_row_fields` lacks is an
AttributeError on the page (tests/views/test_list_rows.py opens every list screen)."""

from __future__ import annotations

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import aliased


class PlainRow:
    """A list row: the named columns as attributes (settable: a view may add what it computes
    per row); `row_key` the values it was read with, all of them (views/list_rows.py keeps a
    page's rows written by it)."""

    __slots__ = ("__dict__", "row_key")


class _Plan:
    """The columns of a view's rows, the relations joined, and how a result row becomes a
    PlainRow."""

    def __init__(self, model, fields: tuple[str, ...], extra: tuple[str, ...]):
        mapper = sa_inspect(model)
        own: list[str] = []
        related: dict[str, list[str]] = {}
        for field in (*fields, *extra):
            head, _, attr = field.partition(".")
            if attr:
                related.setdefault(head, []).append(attr)
            elif head not in own:
                own.append(head)
        self.columns = [getattr(model, name) for name in own]
        self.joins = []
        # Per relation: (its name, the index of its key in the row, the class of its objects,
        # its attribute names)
        self.relations = []
        index = len(own)
        for name, attrs in related.items():
            target = mapper.relationships[name].mapper
            alias = aliased(target.class_)
            (key,) = target.primary_key
            self.joins.append(getattr(model, name).of_type(alias))
            self.columns += [getattr(alias, key.key), *(getattr(alias, a) for a in attrs)]
            kind = type(f"Plain{target.class_.__name__}", (PlainRow,), {})
            kind.__str__ = target.class_.__str__  # str(row.agency) as the model writes it
            self.relations.append((name, index, kind, tuple(attrs)))
            index += 1 + len(attrs)
        self.own = tuple(own)
        self.width = len(own)

    def query(self, query):
        """`query` (the list's, over the model: scoped, searched, filtered) reading the
        plan's columns; its filters' own joins are left as they are (the relations here are
        joined under their own aliases)."""
        query = query.with_entities(*self.columns)
        for join in self.joins:
            query = query.outerjoin(join)
        return query

    def rows(self, result) -> list[PlainRow]:
        own, width, relations = self.own, self.width, self.relations
        out = []
        for values in result:
            row = PlainRow()
            data = dict(zip(own, values[:width]))
            for name, index, kind, attrs in relations:
                if values[index] is None:
                    data[name] = None
                else:
                    related = object.__new__(kind)
                    related.__dict__.update(zip(attrs, values[index + 1 : index + 1 + len(attrs)]))
                    data[name] = related
            row.__dict__.update(data)
            row.row_key = values
            out.append(row)
        return out


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
