"""List exports to .xlsx: the current list (filters, search, sort, and the view's own scoping)
streamed from the database into a constant-memory workbook.

Adding it to a list screen is one line: put `XlsxExportMixin` first in the bases

    class DossierView(XlsxExportMixin, AgencyScopedMixin, SecureModelView): ...

The list template shows an "Export to Excel" link carrying the list's query string. Optional,
with Flask-Admin's names where Flask-Admin has the concept: `column_export_list` (names, dotted
paths allowed, e.g. "agency.code"; default: the list columns), `column_formatters_export`
({name: function(view, context, model, name) -> value}; context is None, as in Flask-Admin's own
export), or override `get_export_value(model, name)`; and the project's own `export_labels`
(header overrides) and `export_choices` ({name: {code: label}}: a code shown as its label,
translated once per export).

Why not Flask-Admin's export: it loads every row into memory and writes user text as formulas.
Here cells are typed (numbers, dates), user text goes through `safe_value`, the workbook has
`strings_to_formulas`/`strings_to_urls` off (`domain/list_workbook.py`), rows come in batches
(`yield_per`), and the list must be below `EXPORT_MAX_ROWS` rows (a clear message asks to narrow
it otherwise), which a COUNT over at most that many rows + 1 checks. On PostgreSQL `yield_per`
reads from a server-side cursor: memory stays flat whatever the number of rows. The cells and
the fast path over plain rows: `views/export_cells.py`."""

from __future__ import annotations

import os
import re
import tempfile

from flask import Response, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, selectinload

from domain import clock
from domain.list_workbook import write_list_workbook
from domain.text import normalize_search
from replica import reports_session
from views.base import link_args
from views.export_cells import (
    cell_getter,
    cell_value,
    model_rows,
    plain_rows,
    resolve,
    row_plan,
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


class XlsxExportMixin:
    xlsx_export_endpoint = "export_xlsx"
    column_export_list: tuple[str, ...] | None = None
    export_labels: dict | None = None
    # {column name: function(view, context, model, name) -> cell value}. Not None: Flask-Admin
    # would fall back to the list's formatters (HTML).
    column_formatters_export: dict = {}
    # {column name: {code: label}}: translated once per export (column_choices are used too)
    export_choices: dict | None = None
    export_batch_size = 1000  # models at a time (a view whose columns need the models)
    # plain rows at a time (_row_plan): fewer round trips to the server-side cursor, a few MB
    export_row_batch_size = 5000
    export_date_format = "dd/mm/yyyy"
    export_datetime_format = "hh:mm dd/mm/yyyy"

    # ---- what to write ----

    def get_export_columns(self) -> list[tuple[str, object]]:
        """(name, header) of each exported column: `column_export_list` (default: the list's
        columns); the header from `export_labels`, `column_labels`, else the column's name (a
        lazy text: Flask-Admin calls this at start-up too; str() it in a request)."""
        names = self.column_export_list or [name for name, _ in self.get_list_columns()]
        labels = {**(self.column_labels or {}), **(self.export_labels or {})}
        return [(name, self._export_header(name, labels)) for name in names]

    def _export_header(self, name: str, labels: dict):
        if name in labels:
            return labels[name]
        return self.get_column_name(name) if "." not in name else name

    def get_export_value(self, model, name: str):
        """The cell for column `name` of `model`: typed; choice codes as their labels,
        relations as their text, collections joined with "; "."""
        formatter = self.column_formatters_export.get(name)
        value = formatter(self, None, model, name) if formatter else resolve(model, name)
        choices = (self.column_choices or {}).get(name)
        labels = dict(choices) if choices is not None else None
        return cell_value(value, labels, name in getattr(self, "utc_columns", ()))

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
        for name, _ in self.get_export_columns():
            head = name.split(".")[0]
            rel = mapper.relationships.get(head)
            if rel is None or head in seen:
                continue
            seen.add(head)
            attr = getattr(self.model, head)
            # selectin works per batch with yield_per; joined only for many-to-one.
            options.append(selectinload(attr) if rel.uselist else joinedload(attr))
        return options

    def get_export_name(self, export_type: str = "xlsx") -> str:
        """The list's name without accents and the local time: `ho-so_2019-12-31_1530.xlsx`
        (ASCII: every browser and file system takes it as it is)."""
        base = re.sub(r"[^a-z0-9]+", "-", normalize_search(str(self.name))).strip("-")
        return f"{base or 'danh-sach'}_{clock.now():%Y-%m-%d_%H%M}.{export_type}"

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
                "Content-Disposition": f'attachment; filename="{self.get_export_name()}"',
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

    def _value_overridden(self) -> bool:
        return type(self).get_export_value is not XlsxExportMixin.get_export_value

    def _cell_getters(self, names: list[str]) -> list:
        """One function(model) -> cell value per column, the same values as get_export_value,
        with what depends only on the column (formatter, choices, UTC) decided once."""
        if self._value_overridden():
            return [lambda model, name=name: self.get_export_value(model, name) for name in names]
        labels = self._export_labels()
        utc_columns = set(getattr(self, "utc_columns", ()))

        def read(name):
            formatter = self.column_formatters_export.get(name)
            if formatter is None:
                return lambda model: resolve(model, name)
            return lambda model: formatter(self, None, model, name)

        return [cell_getter(read(name), labels.get(name), name in utc_columns) for name in names]

    def _row_plan(self, names: list[str]):
        """The export read as plain rows (export_cells.row_plan), or None: models needed (a
        formatter, a get_export_value override, a collection, a Python property)."""
        if self._value_overridden():
            return None
        return row_plan(
            self.model,
            names,
            self.column_formatters_export,
            self._export_labels(),
            set(getattr(self, "utc_columns", ())),
        )

    def _export_rows(self, query, names: list[str]):
        """The rows of cells, safe to write: plain rows when the columns allow it (_row_plan),
        else models in batches."""
        plan = self._row_plan(names)
        if plan is None:
            query = query.options(*self._export_loader_options())
            return model_rows(query, self._cell_getters(names), self.export_batch_size)
        selected, cells = plan
        return plain_rows(query, selected, cells, self.export_row_batch_size)

    def _write_xlsx(self, path: str, query) -> None:
        columns = self.get_export_columns()
        write_list_workbook(
            path,
            str(self.name or "Export"),
            [str(header) for _, header in columns],
            self._export_rows(query, [name for name, _ in columns]),
            self.export_date_format,
            self.export_datetime_format,
        )


def _stream_and_delete(path: str):
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


EXPORT_LABEL = _l("Export to Excel")
