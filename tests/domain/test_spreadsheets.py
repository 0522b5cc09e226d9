"""domain/spreadsheets.py: the serial numbers of dates the exports write themselves are the ones
xlsxwriter's write_datetime writes (issue 16: an export computes one or two per row)."""

from __future__ import annotations

import datetime as dt
import io
import random

import openpyxl
from xlsxwriter.utility import _datetime_to_excel_datetime

from domain.spreadsheets import excel_serial, new_workbook


def test_excel_serial_is_xlsxwriters_number():
    rng = random.Random(16)
    start = dt.datetime(1900, 3, 1)
    values = [
        start + dt.timedelta(microseconds=rng.randrange(200 * 365 * 86400 * 10**6))
        for _ in range(20_000)
    ]
    values += [v.replace(microsecond=0) for v in values[:1000]] + [v.date() for v in values[:1000]]
    values += [
        dt.datetime(1900, 3, 1),
        dt.datetime(1900, 2, 28, 12),
        dt.date(1900, 3, 1),
        dt.datetime(2019, 12, 31, 23, 59, 59, 999999),
    ]
    for value in values:
        assert excel_serial(value) == _datetime_to_excel_datetime(value, False, True), value
    # Before March 1900 (Excel's 29 February 1900) and with a time zone: write_datetime's own.
    for value in (
        dt.date(1900, 1, 1),
        dt.datetime(1900, 2, 28),
        dt.datetime(2019, 3, 4, tzinfo=dt.UTC),
    ):
        assert excel_serial(value) is None


def test_a_serial_with_a_date_format_reads_back_as_the_datetime():
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    ws = wb.add_worksheet()
    fmt = wb.add_format({"num_format": "hh:mm dd/mm/yyyy"})
    value = dt.datetime(2019, 3, 4, 8, 30, 15)
    ws.write_datetime(0, 0, value, fmt)
    ws.write_number(0, 1, excel_serial(value), fmt)
    wb.close()
    row = next(openpyxl.load_workbook(buffer).worksheets[0].iter_rows(values_only=True))
    assert row == (value, value)
