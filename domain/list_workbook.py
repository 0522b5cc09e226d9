"""A list as a one-sheet workbook (the screens' "Export to Excel"): a bold header row, typed
cells (numbers, dates, booleans, text), frozen header, autofilter, A4 landscape one page wide.

The rows come already made safe (`spreadsheets.safe_value`) and typed; the workbook is written
row by row (constant memory), the writer of each cell chosen by the value's type once per
cell, without a chain of isinstance tests for the common types (issue 16: rows/s)."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from domain.spreadsheets import excel_serial, new_workbook

HEADER_FORMAT = {
    "bold": True,
    "bg_color": "#DDEBF7",
    "border": 1,
    "text_wrap": True,
    "valign": "top",
}


def write_list_workbook(
    path: str,
    title: str,
    headers: list[str],
    rows,
    date_format: str = "dd/mm/yyyy",
    datetime_format: str = "hh:mm dd/mm/yyyy",
) -> None:
    """Write `headers` then `rows` (lists of cells: None, str, int, float, bool, date,
    datetime) to a new workbook at `path`, on a sheet named after `title`."""
    wb = new_workbook(path, constant_memory=True)
    head = wb.add_format(HEADER_FORMAT)
    # Excel sheet names: at most 31 characters, none of []:*?/\\
    ws = wb.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
    ws.freeze_panes(1, 0)
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, head)
    write = _writers(
        ws,
        date=wb.add_format({"num_format": date_format}),
        datetime=wb.add_format({"num_format": datetime_format}),
        integer=wb.add_format({"num_format": "#,##0"}),
    )
    widths = [_word_width(header) for header in headers]
    row = 1
    for values in rows:
        if row <= WIDTH_SAMPLE:
            _widen(widths, values, date_format, datetime_format)
        for col, value in enumerate(values):
            if value is not None:
                writer = write.get(type(value))
                if writer is None:  # a subclass (str, int...) takes its base's writer
                    writer = next(w for t, w in write.items() if isinstance(value, t))
                writer(row, col, value)
        row += 1
    # (xlsxwriter writes the columns' widths when it closes the sheet, after the rows.)
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))
    if row > 1:
        ws.autofilter(0, 0, row - 1, len(headers) - 1)
    wb.close()


# Columns as wide as their longest text among the first rows (a dossier code, a name), between
# these widths (characters); the header wraps, so its longest word sets its least width.
WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 8, 50


def _word_width(header: str) -> int:
    return max((len(word) for word in header.split()), default=0)


def _widen(widths: list[int], values, date_format: str, datetime_format: str) -> None:
    for col, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            n = len(datetime_format)
        elif isinstance(value, dt.date):
            n = len(date_format)
        elif isinstance(value, bool):
            n = 5
        elif isinstance(value, int | float):
            n = len(f"{value:,}")
        else:
            n = max((len(line) for line in str(value).splitlines()), default=0)
        if n > widths[col]:
            widths[col] = n


def _writers(ws, date, datetime, integer) -> dict:
    """The writer of each cell type (in isinstance order for subclasses)."""

    def dates(fmt):
        def write_date(row, col, value):  # as write_datetime writes it (excel_serial)
            serial = excel_serial(value)
            if serial is None:
                ws.write_datetime(row, col, value, fmt)
            else:
                ws.write_number(row, col, serial, fmt)

        return write_date

    return {
        str: ws.write_string,
        dt.datetime: dates(datetime),
        dt.date: dates(date),
        int: partial(ws.write_number, cell_format=integer),
        float: ws.write_number,
        bool: ws.write_boolean,
    }
