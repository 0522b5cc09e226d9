"""Writing .xlsx safely: user text is never a formula or a link, numbers stay numbers.

Every workbook the app writes goes through `new_workbook` and `safe_value`."""

from __future__ import annotations

import datetime as dt

import xlsxwriter

# A cell starting with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_value(value):
    """Text that a spreadsheet would run is prefixed with an apostrophe-like quote so it shows as
    typed; numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


EXCEL_EPOCH = dt.datetime(1899, 12, 31)


def excel_serial(value: dt.date) -> float | None:
    """A naive date or datetime as the serial number Excel stores (1900 date system), the
    number xlsxwriter's write_datetime writes, at a fraction of its cost (an export writes one
    or two per row); None up to 28 February 1900 (Excel counts a 29 February 1900) or with a
    time zone: write_datetime then."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return None
        delta = value - EXCEL_EPOCH
    else:
        delta = dt.datetime(value.year, value.month, value.day) - EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else None


def new_workbook(target, constant_memory: bool = True) -> xlsxwriter.Workbook:
    """A workbook that never turns strings into formulas or URLs. `target`: path or BytesIO.
    constant_memory writes rows as they come (rows must then be written in order)."""
    return xlsxwriter.Workbook(
        target,
        {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "dd/mm/yyyy",
            "remove_timezone": True,
            "in_memory": not isinstance(target, str),
        },
    )


def write_row(worksheet, row: int, values, formats=None) -> None:
    """Write one row with typed cells: int/float as numbers, dates as dates, text as text."""
    formats = formats or {}
    for col, value in enumerate(values):
        value = safe_value(value)
        fmt = formats.get(col)
        if value is None:
            worksheet.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            worksheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            worksheet.write_number(row, col, value, fmt)
        elif isinstance(value, (dt.date, dt.datetime)):
            worksheet.write_datetime(row, col, value, fmt)
        else:
            worksheet.write_string(row, col, str(value), fmt)
