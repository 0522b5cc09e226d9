"""The cells of a list export (views/exports.py): what each column's value becomes in the
workbook, and the fast path that reads the list as plain rows instead of models.

A cell is typed (`typed`: numbers, dates, booleans as they are, collections joined, the rest as
text); a technical timestamp stored in UTC is shown in local time; a code with choices is shown
as its label (`cell_value`). Written cells are also made safe (`safe_value`: user text never a
formula).

Speed (issue 16: ≥ 85 % of plain xlsxwriter's rows/s): when every column is a column of the
table or a many-to-one relation, the rows are read as plain tuples, not models (`row_plan`,
`plain_rows`): a relation as its key, turned into text once per key (`Related`); a code with
choices turned into its label once per value (`Value`). Otherwise models in batches, with the
work per cell decided once per column (`cell_getter`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from domain.formatting import utc_to_local
from domain.spreadsheets import safe_value

MEMO_MAX = 20_000  # related rows' texts kept during an export
# Cell values written as they come from the database (no label, not a UTC timestamp).
AS_IS = frozenset({bool, int, float, dt.date, dt.datetime})
_MISSING = object()


def resolve(model, name: str):
    """The value of `name` on `model`, dotted paths followed ("agency.code"); None on the
    way gives None."""
    value = model
    for part in name.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def typed(value):
    """A cell value as written: None, numbers, dates and booleans as they are, collections
    joined with "; ", anything else as text."""
    if value is None or isinstance(value, (bool, int, float, dt.date)):
        return value
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return str(value)


def cell_value(value, labels: dict | None, utc: bool):
    """A column's value as its cell: a UTC timestamp in local time, a code as its label."""
    if utc and isinstance(value, dt.datetime):
        value = utc_to_local(value)  # technical timestamps are stored in UTC
    if labels is not None and value is not None:
        value = labels.get(value, value)
    return typed(value)


def cell_getter(read, labels: dict | None, utc: bool):
    """function(model) -> cell value, for a column read by `read(model)`."""

    def cell(model):
        return cell_value(read(model), labels, utc)

    return cell


def model_rows(query, cells: list, batch_size: int):
    """The rows of cells (safe to write) read as models, `batch_size` at a time."""
    for model in query.yield_per(batch_size):
        yield [safe_value(cell(model)) for cell in cells]


class Value:
    """A column read from the row. `convert` makes its cell (labels, UTC, typed, safe_value);
    with choices (labels) each distinct value is converted once (`memo`)."""

    def __init__(self, index: int, labels: dict | None, utc: bool):
        self.index, self.labels, self.utc = index, labels, utc
        self.memo: dict | None = {} if labels is not None else None
        self.as_is = AS_IS - {dt.datetime} if utc else AS_IS

    def convert(self, value):
        return safe_value(cell_value(value, self.labels, self.utc))


class Related:
    """A many-to-one relation read as its key: the related rows of a batch's new keys loaded
    with one query, each turned into text once (or the `rest` of a dotted path, e.g.
    agency.code), kept in `memo` by key."""

    as_is = frozenset()

    def __init__(self, index: int, mapper, remote, rest: str):
        self.index, self.target, self.remote, self.rest = index, mapper.class_, remote, rest
        self.key = mapper.get_property_by_column(remote).key
        self.memo: dict = {None: None}

    def load(self, session, batch) -> None:
        if len(self.memo) > MEMO_MAX:  # a key per row (a payment's dossier): memory stays flat
            self.memo.clear()
            self.memo[None] = None
        keys = {row[self.index] for row in batch} - self.memo.keys()
        if not keys:
            return
        for obj in session.scalars(select(self.target).where(self.remote.in_(list(keys)))):
            value = resolve(obj, self.rest) if self.rest else obj
            self.memo[getattr(obj, self.key)] = safe_value(typed(value))
        for key in keys - self.memo.keys():
            self.memo[key] = None

    def convert(self, key):  # every key of the batch is in memo (load)
        raise KeyError(key)


def row_plan(model, names: list[str], formatters: dict, labels: dict, utc_columns: set):
    """How to read the export of `model`'s list as plain rows rather than models: (the SQL
    columns, a Value or Related per export column), or None when a column needs the model (a
    formatter, a collection, a Python property). A many-to-one relation is read as its key and
    turned into text once per key (Related)."""
    mapper = sa_inspect(model)
    selected, cells = [], []
    for name in names:
        head, _, rest = name.partition(".")
        if name in formatters:
            return None
        if head in mapper.column_attrs and not rest:
            if len(mapper.column_attrs[head].columns) != 1:
                return None
            selected.append(getattr(model, head))
            cells.append(Value(len(selected) - 1, labels.get(name), name in utc_columns))
            continue
        rel = mapper.relationships.get(head)
        if rel is None or rel.uselist or rel.secondary is not None:
            return None
        if name in labels or name in utc_columns:
            return None
        if len(rel.local_remote_pairs) != 1:
            return None
        local, remote = rel.local_remote_pairs[0]
        selected.append(local)
        cells.append(Related(len(selected) - 1, rel.mapper, remote, rest))
    return selected, cells


def plain_rows(query, selected: list, plan: list, batch_size: int):
    """The rows of cells (safe to write) read as plain rows of the `selected` columns from a
    server-side cursor (PostgreSQL; SQLite reads in batches), `batch_size` at a time."""
    session = query.session
    related = [c for c in plan if isinstance(c, Related)]
    # Per cell, no call for the common cases: a known label or related text (memo), text,
    # None, a number or a date.
    columns = [(c.index, c.memo, c.convert, c.as_is) for c in plan]
    result = session.execute(
        query.with_entities(*selected).statement,
        execution_options={"yield_per": batch_size},
    )
    for batch in result.partitions():
        for column in related:
            column.load(session, batch)
        for row in batch:
            cells = []
            for index, memo, convert, as_is in columns:
                value = row[index]
                if memo is not None:
                    cell = memo.get(value, _MISSING)
                    if cell is _MISSING:
                        cell = memo[value] = convert(value)
                elif type(value) is str:
                    cell = safe_value(value)
                elif value is None or type(value) in as_is:
                    cell = value
                else:
                    cell = convert(value)
                cells.append(cell)
            yield cells
