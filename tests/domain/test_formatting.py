"""The one reader of typed dates (domain.formatting.parse_datetime) tells a date written the
right way but not in the calendar (ImpossibleDate) from text that is not a date at all; the
report periods and the spreadsheet imports, which read dates with it, say so too."""

from __future__ import annotations

import datetime as dt

import pytest

from domain import periods
from domain.formatting import ImpossibleDate, parse_date, parse_datetime
from domain.spreadsheet_reader import ValueError_
from domain.spreadsheet_reader import parse_date as cell_date


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("31/02/2019", "31/02/2019"),
        ("30/02/2020", "30/02/2020"),
        ("29/02/2019", "29/02/2019"),
        ("31/4/2019", "31/04/2019"),
        ("5/13/2026", "05/13/2026"),
        ("00/01/2026", "00/01/2026"),
        ("2019-02-31", "31/02/2019"),
        ("31.02.2019", "31/02/2019"),
        ("31/02/2019 14:30", "31/02/2019"),
        ("14:30 31/02/2019", "31/02/2019"),
    ],
)
def test_a_well_written_date_that_does_not_exist_is_an_impossible_date(typed, shown):
    with pytest.raises(ImpossibleDate) as error:
        parse_datetime(typed)
    assert error.value.date == shown
    with pytest.raises(ImpossibleDate):
        parse_datetime(typed, date_only=False)  # the date first, then whether a time is there
    assert isinstance(error.value, ValueError)  # callers that only know ValueError still refuse


@pytest.mark.parametrize("typed", ["31/02/19", "hôm nay", "", "12/05", "05/12/2026 25:00"])
def test_text_that_is_not_a_date_is_not_an_impossible_date(typed):
    with pytest.raises(ValueError) as error:
        parse_datetime(typed)
    assert not isinstance(error.value, ImpossibleDate)


def test_real_dates_still_read():
    assert parse_date("29/02/2020") == dt.date(2020, 2, 29)
    assert parse_date("31/12/2019") == dt.date(2019, 12, 31)
    assert parse_datetime("28/02/2019 23:59", date_only=False) == (
        dt.datetime(2019, 2, 28, 23, 59),
        True,
    )


def test_report_periods_and_imported_cells_say_the_date_does_not_exist():
    with pytest.raises(periods.PeriodError) as error:
        periods.parse_range("31/02/2019", "01/03/2019")
    assert error.value.msgid == "%(date)s is not a real date."
    assert error.value.params == {"date": "31/02/2019"}
    with pytest.raises(periods.PeriodError) as error:
        periods.parse_range("31/02/19", "01/03/2019")
    assert error.value.msgid == "Not a date: %(value)s (type it as 31/01/2019)."

    with pytest.raises(ValueError_) as error:
        cell_date("31/02/2019")
    assert (error.value.vi, error.value.en) == (
        "ngày 31/02/2019 không có thật",
        "31/02/2019 is not a real date",
    )
    with pytest.raises(ValueError_) as error:
        cell_date("31/02/19")
    assert "không phải ngày hợp lệ" in error.value.vi
