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
cursor: memory stays flat whatever the number of rows. The work per cell is decided once per
column (`_cell_getters`), labels translated once per export."""

from __future__ import annotations

import datetime as dt
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
from domain.formatting import utc_to_local
from domain.spreadsheets import new_workbook, safe_value
from domain.text import normalize_search
from replica import reports_session
from views.base import link_args

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


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
    export_batch_size = 1000
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
        if value is None or isinstance(value, (bool, int, float, dt.date, dt.datetime)):
            return value
        if isinstance(value, (list, tuple, set)):
            return "; ".join(str(v) for v in value)
        return str(value)

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
        query = query.order_by(getattr(self.model, self._primary_key))
        return query.options(*self._export_loader_options())

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
                if value is None or isinstance(value, (bool, int, float, dt.date, dt.datetime)):
                    return value
                if isinstance(value, (list, tuple, set)):
                    return "; ".join(str(v) for v in value)
                return str(value)

            return cell

        return [getter(name) for name in names]

    def _write_xlsx(self, path: str, query) -> None:
        names = self.get_export_column_names()
        wb = new_workbook(path, constant_memory=True)
        head = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        date_fmt = wb.add_format({"num_format": self.export_date_format})
        datetime_fmt = wb.add_format({"num_format": self.export_datetime_format})
        int_fmt = wb.add_format({"num_format": "#,##0"})
        # Excel sheet names: at most 31 characters, none of []:*?/\
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
        row = 1
        cells = list(enumerate(self._cell_getters(names)))
        for model in query.yield_per(self.export_batch_size):
            for col, cell in cells:
                value = safe_value(cell(model))
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(row, col, value)
                elif isinstance(value, int):
                    ws.write_number(row, col, value, int_fmt)
                elif isinstance(value, float):
                    ws.write_number(row, col, value)
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(row, col, value, datetime_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(row, col, value, date_fmt)
                else:
                    ws.write_string(row, col, value)
            row += 1
        if row > 1:
            ws.autofilter(0, 0, row - 1, len(names) - 1)
        wb.close()


def _stream_and_delete(path: str):
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


EXPORT_LABEL = _l("Export to Excel")
