"""List exports to .xlsx: the current list (filters, search, sort, and the view's own scoping)
streamed from the database into a constant-memory workbook.

Adding it to a list screen is one line: put `XlsxExportMixin` first in the bases

    class DossierView(XlsxExportMixin, AgencyScopedMixin, SecureModelView): ...

The list template shows an "Export to Excel" link carrying the list's query string. Optional:
`export_columns` (names, dotted paths allowed, e.g. "agency.code"; default: the list columns),
`export_labels` (header overrides), `export_choices` ({name: {code: label}}: a code shown as its
label, translated once per export), `export_formatters` ({name: function(model) -> value}), or
override `export_value(model, name)`.

Why not Flask-Admin's export: it loads every row into memory and writes user text as formulas.
Here cells are typed (numbers, dates), user text goes through `safe_value`, the workbook has
`strings_to_formulas`/`strings_to_urls` off, rows come in batches (`yield_per`), and the list
must be below `EXPORT_MAX_ROWS` rows (a clear message asks to narrow it otherwise), which a
COUNT over at most that many rows + 1 checks. On PostgreSQL `yield_per` reads from a server-side
cursor: memory stays flat whatever the number of rows.

Speed (issue 16: ≥ 85 % of plain xlsxwriter's rows/s): when every column is a column of the
table or a many-to-one relation, the rows are read as plain tuples, not models (`_row_plan`): a
relation as its key, turned into text once per key; a code with choices turned into its label
once per value. Otherwise (a formatter, an export_value override) models in batches, with the
work per cell decided once per column (`_cell_getters`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from functools import partial

from flask import Response, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, selectinload

from domain import clock
from domain.formatting import utc_to_local
from domain.spreadsheets import excel_serial, new_workbook, safe_value
from domain.text import normalize_search
from replica import reports_session
from views.base import link_args

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024
MEMO_MAX = 20_000  # related rows' texts kept during an export


def _resolve(model, name: str):
    value = model
    for part in name.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


class XlsxExportMixin:
    xlsx_export_endpoint = "export_xlsx"
    export_columns: tuple[str, ...] | None = None
    export_labels: dict | None = None
    # {column name: function(model) -> cell value}, for a computed or relabelled column
    export_formatters: dict | None = None
    # {column name: {code: label}}: translated once per export (column_choices are used too)
    export_choices: dict | None = None
    export_batch_size = 1000  # models at a time (a view whose columns need the models)
    # plain rows at a time (_row_plan): fewer round trips to the server-side cursor, a few MB
    export_row_batch_size = 5000
    export_date_format = "dd/mm/yyyy"
    export_datetime_format = "hh:mm dd/mm/yyyy"

    # ---- what to write ----

    def get_export_column_names(self) -> list[str]:
        if self.export_columns:
            return list(self.export_columns)
        return [name for name, _ in self.get_list_columns()]

    def export_header(self, name: str) -> str:
        labels = dict(self.column_labels or {})
        labels.update(self.export_labels or {})
        if name in labels:
            return str(labels[name])
        return self.get_column_name(name) if "." not in name else name

    def export_value(self, model, name: str):
        """The cell for column `name` of `model`: typed; choice codes as their labels,
        relations as their text, collections joined with "; "."""
        formatter = (self.export_formatters or {}).get(name)
        value = formatter(model) if formatter else _resolve(model, name)
        if name in getattr(self, "utc_columns", ()) and isinstance(value, dt.datetime):
            value = utc_to_local(value)  # technical timestamps are stored in UTC
        choices = (self.column_choices or {}).get(name)
        if choices is not None and value is not None:
            value = dict(choices).get(value, value)
        return _typed(value)

    # ---- the query: the list's own ----

    def _export_query(self, sorted_: bool = True):
        """The list query as the list page builds it (scoping, search, filters, sort), without
        the COUNT and the pagination; `sorted_=False`: only the rows (for the bounded count)."""
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        sort_column = sort_column[0] if sort_column is not None else None
        joins: dict = {}
        query = self.get_query()
        if self._search_supported and view_args.search:
            query, _, joins, _ = self._apply_search(query, None, joins, {}, view_args.search)
        if view_args.filters and self._filters:
            query, _, joins, _ = self._apply_filters(query, None, joins, {}, view_args.filters)
        if not sorted_:
            return query
        query, joins = self._apply_sorting(query, joins, sort_column, view_args.sort_desc)
        # A stable order for equal sort keys, so that an export is repeatable.
        return query.order_by(getattr(self.model, self._primary_key))

    def _export_loader_options(self):
        """Load the relations the columns show with the rows, not one query per row."""
        mapper = sa_inspect(self.model)
        options, seen = [], set()
        for name in self.get_export_column_names():
            head = name.split(".")[0]
            rel = mapper.relationships.get(head)
            if rel is None or head in seen:
                continue
            seen.add(head)
            attr = getattr(self.model, head)
            # selectin works per batch with yield_per; joined only for many-to-one.
            options.append(selectinload(attr) if rel.uselist else joinedload(attr))
        return options

    def export_filename(self) -> str:
        """The list's name without accents and the local time: `ho-so_2019-12-31_1530.xlsx`
        (ASCII: every browser and file system takes it as it is)."""
        base = re.sub(r"[^a-z0-9]+", "-", normalize_search(str(self.name))).strip("-")
        return f"{base or 'danh-sach'}_{clock.now():%Y-%m-%d_%H%M}.xlsx"

    # ---- the endpoint ----

    @expose("/export.xlsx")
    def export_xlsx(self):
        # Same checks as the list: is_accessible (read_roles) ran in _handle_view; get_query
        # carries the agency scoping.
        limit = current_app.settings.export_max_rows
        if self._export_rows_over(limit):
            flash(
                gettext(
                    "The list has more than %(max)s rows; narrow it with filters or a "
                    "search before exporting it.",
                    max=f"{limit:,}".replace(",", "."),
                ),
                "error",
            )
            return redirect(url_for(".index_view", **link_args(request.args)))
        fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
        os.close(fd)
        try:
            self._write_xlsx(path, self._export_query().with_session(reports_session()))
        except BaseException:
            os.unlink(path)
            raise
        return Response(
            _stream_and_delete(path),
            mimetype=XLSX_MIMETYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{self.export_filename()}"',
                "Content-Length": str(os.path.getsize(path)),
                "Cache-Control": "no-store",
            },
        )

    def _export_rows_over(self, limit: int) -> bool:
        """More than `limit` rows in the list? A COUNT over at most limit + 1 of its rows,
        unsorted and without loading the relations."""
        rows = (
            self._export_query(sorted_=False)
            .with_entities(getattr(self.model, self._primary_key))
            .limit(limit + 1)
            .subquery()
        )
        return reports_session().scalar(select(func.count()).select_from(rows)) > limit

    def _export_labels(self) -> dict:
        """{column name: {code: label as text}}: the choices translated once."""
        choices = {**(self.column_choices or {}), **(self.export_choices or {})}
        return {
            name: {code: str(label) for code, label in dict(options).items()}
            for name, options in choices.items()
        }

    def _cell_getters(self, names: list[str]) -> list:
        """One function(model) -> cell value per column, the same values as export_value, with
        what depends only on the column (formatter, choices, UTC) decided once."""
        if type(self).export_value is not XlsxExportMixin.export_value:
            return [lambda model, name=name: self.export_value(model, name) for name in names]
        labels = self._export_labels()
        formatters = self.export_formatters or {}
        utc_columns = set(getattr(self, "utc_columns", ()))

        def getter(name):
            read = formatters.get(name) or (lambda model: _resolve(model, name))
            mapping = labels.get(name)
            utc = name in utc_columns

            def cell(model):
                value = read(model)
                if utc and isinstance(value, dt.datetime):
                    value = utc_to_local(value)  # technical timestamps are stored in UTC
                if mapping is not None and value is not None:
                    value = mapping.get(value, value)
                return _typed(value)

            return cell

        return [getter(name) for name in names]

    def _row_plan(self, names: list[str]):
        """How to read the export as plain rows rather than models: (the SQL columns, a _Value
        or _Related per export column), or None when a column needs the model (a formatter, an
        export_value override, a collection, a Python property). A many-to-one relation is read
        as its key and turned into text once per key (_Related)."""
        if type(self).export_value is not XlsxExportMixin.export_value:
            return None
        formatters = self.export_formatters or {}
        labels = self._export_labels()
        utc_columns = set(getattr(self, "utc_columns", ()))
        mapper = sa_inspect(self.model)
        selected, cells = [], []
        for name in names:
            head, _, rest = name.partition(".")
            if name in formatters:
                return None
            if head in mapper.column_attrs and not rest:
                if len(mapper.column_attrs[head].columns) != 1:
                    return None
                selected.append(getattr(self.model, head))
                cells.append(_Value(len(selected) - 1, labels.get(name), name in utc_columns))
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
            cells.append(_Related(len(selected) - 1, rel.mapper, remote, rest))
        return selected, cells

    def _export_rows(self, query, names: list[str]):
        """The rows of cells, safe to write (safe_value): read as plain rows from a
        server-side cursor when the columns allow it (_row_plan), else as models in batches."""
        plan = self._row_plan(names)
        if plan is None:
            cells = self._cell_getters(names)
            for model in query.options(*self._export_loader_options()).yield_per(
                self.export_batch_size
            ):
                yield [safe_value(cell(model)) for cell in cells]
            return
        selected, plan = plan
        session = query.session
        related = [c for c in plan if isinstance(c, _Related)]
        # Per cell, no call for the common cases: a known label or related text (memo), text,
        # None, a number or a date.
        columns = [(c.index, c.memo, c.convert, c.as_is) for c in plan]
        result = session.execute(
            query.with_entities(*selected).statement,
            execution_options={"yield_per": self.export_row_batch_size},
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

    def _write_xlsx(self, path: str, query) -> None:
        names = self.get_export_column_names()
        wb = new_workbook(path, constant_memory=True)
        head = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        date_fmt = wb.add_format({"num_format": self.export_date_format})
        datetime_fmt = wb.add_format({"num_format": self.export_datetime_format})
        int_fmt = wb.add_format({"num_format": "#,##0"})
        # Excel sheet names: at most 31 characters, none of []:*?/\\
        title = re.sub(r"[\[\]:*?/\\]", " ", str(self.name or "Export"))[:31]
        ws = wb.add_worksheet(title)
        widths = [max(10, min(50, len(self.export_header(n)) + 2)) for n in names]
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        ws.repeat_rows(0)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        for col, name in enumerate(names):
            ws.write_string(0, col, self.export_header(name), head)

        def dates(fmt):
            def write_date(row, col, value):  # as write_datetime writes it (excel_serial)
                serial = excel_serial(value)
                if serial is None:
                    ws.write_datetime(row, col, value, fmt)
                else:
                    ws.write_number(row, col, serial, fmt)

            return write_date

        # The writer of each cell type (_typed); a subclass (str, int...) takes its base's.
        write = {
            str: ws.write_string,
            dt.datetime: dates(datetime_fmt),
            dt.date: dates(date_fmt),
            int: partial(ws.write_number, cell_format=int_fmt),
            float: ws.write_number,
            bool: ws.write_boolean,
        }
        row = 1
        for values in self._export_rows(query, names):
            for col, value in enumerate(values):
                if value is not None:
                    writer = write.get(type(value))
                    if writer is None:
                        writer = next(w for t, w in write.items() if isinstance(value, t))
                    writer(row, col, value)
            row += 1
        if row > 1:
            ws.autofilter(0, 0, row - 1, len(names) - 1)
        wb.close()


def _typed(value):
    """A cell value as written: None, numbers, dates and booleans as they are, collections
    joined with "; ", anything else as text."""
    if value is None or isinstance(value, (bool, int, float, dt.date)):
        return value
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return str(value)


# Cell values written as they come from the database (no label, not a UTC timestamp).
_AS_IS = frozenset({bool, int, float, dt.date, dt.datetime})
_MISSING = object()


class _Value:
    """A column read from the row. `convert` makes its cell (labels, UTC, _typed, safe_value);
    with choices (labels) each distinct value is converted once (`memo`)."""

    def __init__(self, index: int, labels: dict | None, utc: bool):
        self.index, self.labels, self.utc = index, labels, utc
        self.memo: dict | None = {} if labels is not None else None
        self.as_is = _AS_IS - {dt.datetime} if utc else _AS_IS

    def convert(self, value):
        if self.utc and isinstance(value, dt.datetime):
            value = utc_to_local(value)  # technical timestamps are stored in UTC
        if self.labels is not None and value is not None:
            value = self.labels.get(value, value)
        return safe_value(_typed(value))


class _Related:
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
            value = _resolve(obj, self.rest) if self.rest else obj
            self.memo[getattr(obj, self.key)] = safe_value(_typed(value))
        for key in keys - self.memo.keys():
            self.memo[key] = None

    def convert(self, key):  # every key of the batch is in memo (load)
        raise KeyError(key)


def _stream_and_delete(path: str):
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


EXPORT_LABEL = _l("Export to Excel")
