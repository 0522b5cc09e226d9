"""Reporting periods (design §6): one `Period` for the report page, `flask report`, the totals
pages of the service screens, the register and the dashboard.

A period is a pair of inclusive dates [start, end]; timestamps (naive local time, models.py) are
compared with the half-open datetime bounds [start 00:00, end + 1 day 00:00) built in `bounds`
only. Kinds: month, quarter, half (six months), year and range (from–to); month, quarter, half and
year also have the statutory cut-off variant of Decree 09/2019 art. 12: from the 15th of the month
before the period to the 14th of its last month (year: 15/12 of the previous year → 14/12).

Every invalid input raises `PeriodError` (a ValueError) whose `msgid` is an English message
marked for translation (the screens translate it, the command line prints Vietnamese / English)."""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass

from domain import N_
from domain.formatting import ImpossibleDate, parse_date

KINDS = ("month", "quarter", "half", "year", "range")
ONE_DAY = dt.timedelta(days=1)
_MONTH_TEXT = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER_TEXT = re.compile(r"(\d{4})-?[Qq]([1-4])")
_HALF_TEXT = re.compile(r"(\d{4})-?[Hh]([12])")


class PeriodError(ValueError):
    """The period asked for is not valid. `msgid` (English, translated by the caller) with
    `params`; str() gives the English message."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params


_RANGE_MESSAGES = {
    "year": N_("The year must be a number from %(low)s to %(high)s: %(value)s."),
    "month": N_("The month must be a number from 1 to 12: %(value)s."),
    "quarter": N_("The quarter must be a number from 1 to 4: %(value)s."),
    "half": N_("The half year must be 1 or 2: %(value)s."),
}


def _int(value, low: int, high: int, what: str) -> int:
    text = str(value).strip()
    # ASCII digits only ("²".isdigit() is true) and short: int() refuses over 4,300 digits.
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not low <= int(text) <= high:
        raise PeriodError(_RANGE_MESSAGES[what], low=low, high=high, value=str(value)[:20])
    return int(text)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, monthrange(year, month)[1])


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class Period:
    """[start, end] inclusive. `kind` and the numbers that chose it (`year`, `month` = the first
    month of the calendar period, `quarter`, `half`) fill a period form back in; `statutory`: the
    15th → 14th variant."""

    kind: str
    start: dt.date
    end: dt.date
    year: int
    month: int = 1
    statutory: bool = False

    # ---- construction ---------------------------------------------------------------------

    @classmethod
    def of_months(
        cls, kind: str, year: int, first: int, count: int, statutory: bool = False
    ) -> Period:
        """`count` calendar months from month `first` of `year`; statutory: 15th of the month
        before → 14th of the last month."""
        _int(year, 1, 9999, "year")
        last = first + count - 1
        if statutory:
            prev_year, prev_month = _previous_month(year, first)
            if prev_year < 1:
                raise PeriodError(N_("The period starts before year 1."))
            start, end = dt.date(prev_year, prev_month, 15), dt.date(year, last, 14)
        else:
            start, end = dt.date(year, first, 1), _month_end(year, last)
        return cls(kind, start, end, year, first, statutory)

    @classmethod
    def for_month(cls, year: int, month: int, statutory: bool = False) -> Period:
        return cls.of_months("month", year, _int(month, 1, 12, "month"), 1, statutory)

    @classmethod
    def for_quarter(cls, year: int, quarter: int, statutory: bool = False) -> Period:
        quarter = _int(quarter, 1, 4, "quarter")
        return cls.of_months("quarter", year, 3 * quarter - 2, 3, statutory)

    @classmethod
    def for_half(cls, year: int, half: int, statutory: bool = False) -> Period:
        """Half 1 = January–June, 2 = July–December."""
        half = _int(half, 1, 2, "half")
        return cls.of_months("half", year, 6 * half - 5, 6, statutory)

    @classmethod
    def for_year(cls, year: int, statutory: bool = False) -> Period:
        return cls.of_months("year", year, 1, 12, statutory)

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Period:
        """From–to, inclusive dates."""
        if end < start:
            raise PeriodError(N_("The period ends before it starts."))
        return cls("range", start, end, start.year, start.month)

    # ---- what a period gives --------------------------------------------------------------

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    @property
    def half(self) -> int:
        return 1 if self.month <= 6 else 2

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Half-open timestamp bounds: start 00:00 <= t < (end + 1 day) 00:00."""
        return day_bounds(self.start, self.end)

    def contains(self, column) -> list:
        """SQL criteria keeping a timestamp column inside the period."""
        return within(column, self.start, self.end)

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def day_bounds(date_from: dt.date | None, date_to: dt.date | None):
    """[from, to] inclusive dates as half-open datetime bounds [start, end) for timestamp
    columns; None for an open end. The one place the bounds are built."""
    start = dt.datetime.combine(date_from, dt.time.min) if date_from is not None else None
    end = dt.datetime.combine(date_to + ONE_DAY, dt.time.min) if date_to is not None else None
    return start, end


def within(column, date_from: dt.date | None, date_to: dt.date | None) -> list:
    """SQL criteria keeping a timestamp column inside [from, to] (inclusive dates; None: that end
    is open)."""
    start, end = day_bounds(date_from, date_to)
    criteria = []
    if start is not None:
        criteria.append(column >= start)
    if end is not None:
        criteria.append(column < end)
    return criteria


# ---- parsing ------------------------------------------------------------------------------------


def parse_day(text) -> dt.date:
    """A date typed as 31/01/2019 or 2019-01-31."""
    try:
        return parse_date(str(text or ""))
    except ImpossibleDate as error:
        raise PeriodError(N_("%(date)s is not a real date."), date=error.date) from None
    except ValueError:
        raise PeriodError(
            N_("Not a date: %(value)s (type it as 31/01/2019)."), value=text
        ) from None


def parse_range(date_from, date_to) -> Period:
    if not date_from or not date_to:
        raise PeriodError(N_("Give both the first and the last day of the period."))
    return Period.between(parse_day(date_from), parse_day(date_to))


def parse_month(text: str, statutory: bool = False) -> Period:
    """'2019-03'."""
    m = _MONTH_TEXT.fullmatch(str(text).strip())
    if not m:
        raise PeriodError(N_("A month is written 2019-03: %(value)s."), value=text)
    return Period.for_month(int(m.group(1)), int(m.group(2)), statutory)


def parse_quarter(text: str, statutory: bool = False) -> Period:
    """'2019-Q1' (or 2019Q1)."""
    m = _QUARTER_TEXT.fullmatch(str(text).strip())
    if not m:
        raise PeriodError(N_("A quarter is written 2019-Q1: %(value)s."), value=text)
    return Period.for_quarter(int(m.group(1)), int(m.group(2)), statutory)


def parse_half(text: str, statutory: bool = False) -> Period:
    """'2019-H1' (or 2019H1)."""
    m = _HALF_TEXT.fullmatch(str(text).strip())
    if not m:
        raise PeriodError(N_("Six months are written 2019-H1: %(value)s."), value=text)
    return Period.for_half(int(m.group(1)), int(m.group(2)), statutory)


def parse_year(text, statutory: bool = False) -> Period:
    if not re.fullmatch(r"\d{4}", str(text).strip()):
        raise PeriodError(N_("A year is written 2019: %(value)s."), value=text)
    return Period.for_year(int(str(text).strip()), statutory)


def from_options(
    date_from=None,
    date_to=None,
    month=None,
    quarter=None,
    half=None,
    year=None,
    statutory: bool = False,
) -> Period:
    """The period of the command line: exactly one of from–to, month (2019-03), quarter
    (2019-Q1), half (2019-H1), year (2019); `statutory` for the 15th → 14th variant."""
    given = [bool(date_from or date_to), bool(month), bool(quarter), bool(half), bool(year)]
    if sum(given) != 1:
        raise PeriodError(
            N_("Give exactly one period: from and to, a month, a quarter, six months or a year.")
        )
    if month:
        return parse_month(month, statutory)
    if quarter:
        return parse_quarter(quarter, statutory)
    if half:
        return parse_half(half, statutory)
    if year:
        return parse_year(year, statutory)
    if statutory:
        raise PeriodError(N_("A period from one day to another has no statutory variant."))
    return parse_range(date_from, date_to)


PRESETS = ("month", "quarter", "half", "year", "cutoff", "range")


def from_query(args, today: dt.date) -> Period:
    """The period of the report page's query string: ?preset=month&month=3&year=2019,
    preset=quarter&quarter=3, half=2, year=2019, preset=cutoff&month=3 (the statutory month),
    or preset=range&from=01/03/2019&to=25/03/2019; `statutory=1` gives the statutory variant of
    a month, quarter, half or year. Missing numbers are today's. Old links still work:
    month=2019-03, quarter=2019-Q3."""
    preset = args.get("preset") or "month"
    if preset not in PRESETS:
        raise PeriodError(N_("Unknown kind of period: %(value)s."), value=preset)
    statutory = preset == "cutoff" or args.get("statutory") == "1"
    year = _int(args["year"], 1900, 9999, "year") if args.get("year") else today.year
    if preset in ("month", "cutoff"):
        value = str(args.get("month") or "").strip()
        if len(value) > 2:  # an old link: month=2019-03
            return parse_month(value, statutory)
        return Period.for_month(year, value or today.month, statutory)
    if preset == "quarter":
        value = str(args.get("quarter") or "").strip()
        if len(value) > 2:  # an old link: quarter=2019-Q3
            return parse_quarter(value, statutory)
        return Period.for_quarter(
            year, value.upper().removeprefix("Q") or (today.month - 1) // 3 + 1, statutory
        )
    if preset == "half":
        return Period.for_half(year, args.get("half") or (1 if today.month <= 6 else 2), statutory)
    if preset == "year":
        return Period.for_year(year, statutory)
    return parse_range(args.get("from"), args.get("to"))


def from_dates(date_from, date_to, default: Period) -> Period:
    """From–to typed in a form (the totals pages, the register): `default` when both are
    empty; one end missing takes the default's."""
    if not date_from and not date_to:
        return default
    start = parse_day(date_from) if date_from else default.start
    end = parse_day(date_to) if date_to else default.end
    return Period.between(start, end)


def counted_until(date_from: dt.date, date_to: dt.date, today: dt.date) -> dt.date:
    """The last day a report counts: the period's end, or today while the period runs. Nothing
    closes after today, and a dossier due later in the period is not late yet: measured at the
    period's end it would count overdue. A period that has not started keeps its end."""
    return today if date_from <= today < date_to else date_to


def year_to_date(today: dt.date) -> Period:
    """1 January to today."""
    return Period.between(today.replace(month=1, day=1), today)


def month_to_date(today: dt.date) -> Period:
    """The first of the month to today."""
    return Period.between(today.replace(day=1), today)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    if not 12 <= index < 10000 * 12:  # years 1 to 9999
        raise PeriodError(N_("The period is outside the calendar."))
    return dt.date(index // 12, index % 12 + 1, 1)


def whole_months(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first day of the first, first day of the last) of the calendar months whole within
    [from, to], or None when there is none."""
    first_month = date_from if date_from.day == 1 else add_months(date_from, 1)
    after = date_to + dt.timedelta(days=1)
    last_month = add_months(after if after.day == 1 else date_to, -1)
    return (first_month, last_month) if first_month <= last_month else None


def last_months(end: dt.date, count: int) -> Period:
    """The `count` months up to `end` (from the first of the first month)."""
    return Period.between(add_months(end, -(count - 1)), end)
