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
    for col, header in enumerate(headers):
        width = max(10, min(50, len(header) + 2))
        ws.set_column(col, col, width)
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
    row = 1
    for values in rows:
        for col, value in enumerate(values):
            if value is not None:
                writer = write.get(type(value))
                if writer is None:  # a subclass (str, int...) takes its base's writer
                    writer = next(w for t, w in write.items() if isinstance(value, t))
                writer(row, col, value)
        row += 1
    if row > 1:
        ws.autofilter(0, 0, row - 1, len(headers) - 1)
    wb.close()


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
