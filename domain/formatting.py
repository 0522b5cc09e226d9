"""Vietnamese formats for numbers, money, dates and shares (design §8)."""

from __future__ import annotations

import datetime as dt
import re

from domain.clock import LOCAL_TZ


def format_number(value: int | float | None, decimals: int = 0) -> str:
    """3233081572 -> '3.233.081.572'; decimals use a comma: 97.6 -> '97,60' (decimals=2)."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_vnd(value: int | None) -> str:
    return "" if value is None else f"{format_number(value)} đ"


NO_SHARE = "–"  # nothing to share (0 resolved, 0 ratings): not "0,00%", which reads "all late"


def share(numerator: float, denominator: float, digits: int | None = 2) -> float | None:
    """The one rule for every share on screen, in workbooks and in figures: numerator /
    denominator in percent (rounded to `digits`), or None when the denominator is 0 — a unit
    with nothing resolved has no on-time share at all, and does not count as 100 % on time."""
    if not denominator:
        return None
    value = 100.0 * numerator / denominator
    return value if digits is None else round(value, digits)


def format_share(value: float | None) -> str:
    """A share in percent as shown: 97.61 -> '97,61%'; None -> '–'."""
    return NO_SHARE if value is None else f"{format_number(value, 2)}%"


def format_percent(numerator: float, denominator: float) -> str:
    """A share with two decimals and a comma: 17528 / 17958 -> '97,61%'; '–' for 0 / 0."""
    return format_share(share(numerator, denominator, digits=None))


def format_date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%H:%M %d/%m/%Y")


def format_datetime_input(value: dt.datetime | None) -> str:
    """A date and time as a form shows it back to be edited: 05/12/2026 14:30."""
    return "" if value is None else value.strftime("%d/%m/%Y %H:%M")


# ---- reading what people type: dd/mm/yyyy [HH:MM] (the Vietnamese way), ISO kept ----------

_DMY = r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
_YMD = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
_TIME = r"(?P<hh>\d{1,2})[:hg](?P<mm>\d{2})(?::(?P<ss>\d{2}))?"
_DATETIME_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"^{_DMY}(?:(?:\s*,\s*|\s+|T){_TIME})?$",  # 05/12/2026, 05/12/2026 14:30
        rf"^{_YMD}(?:(?:\s+|T){_TIME})?$",  # 2026-12-05, 2026-12-05T14:30:00
        rf"^{_TIME}(?:\s*,\s*|\s+){_DMY}$",  # 14:30 05/12/2026, as lists show it
    )
)


class ImpossibleDate(ValueError):
    """Written as a date should be, but no such day exists (31/02/2019, 05/13/2026): the
    screens say so instead of repeating how to type a date. `date` is the day as written,
    dd/mm/yyyy whichever way it was typed."""

    def __init__(self, date: str):
        super().__init__(f"no such day: {date}")
        self.date = date


def parse_datetime(text: str, date_only: bool = True) -> tuple[dt.datetime, bool]:
    """(moment, has_time) from "05/12/2026", "5/12/2026 8:05", "14:30 05/12/2026",
    "2026-12-05", "2026-12-05 14:30:00" or "2026-12-05T14:30". ImpossibleDate for a date
    written as one but not in the calendar (31/02/2026); ValueError for anything else (also for
    a time past 23:59, and for a date without a time when not `date_only`)."""
    value = " ".join(str(text or "").split())
    for pattern in _DATETIME_PATTERNS:
        match = pattern.match(value)
        if match is None:
            continue
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        try:
            day = dt.date(parts["y"], parts["m"], parts["d"])
        except ValueError:
            raise ImpossibleDate(f"{parts['d']:02d}/{parts['m']:02d}/{parts['y']:04d}") from None
        has_time = "hh" in parts
        if not has_time and not date_only:
            raise ValueError(f"a time is needed: {text!r}")
        time = dt.time(parts.get("hh", 0), parts.get("mm", 0), parts.get("ss", 0))
        return dt.datetime.combine(day, time), has_time
    raise ValueError(f"not a date: {text!r}")


def parse_date(text: str) -> dt.date:
    """A date typed as 05/12/2026 (or 5/12/2026, 05-12-2026, 2026-12-05). ValueError otherwise."""
    moment, has_time = parse_datetime(text)
    if has_time:
        raise ValueError(f"a date without a time is needed: {text!r}")
    return moment.date()


_RANGE_SEPARATORS = re.compile(r"\s+(?:to|đến|–|-)\s+", re.IGNORECASE)


def split_range(text: str) -> tuple[str, str]:
    """ "01/12/2026 to 05/12/2026" (also "đến", " - ", " – ") -> the two ends; ValueError."""
    parts = _RANGE_SEPARATORS.split(str(text or "").strip())
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"not a range: {text!r}")
    return parts[0], parts[1]


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A naive UTC timestamp (created_at, updated_at, last login, audit) as naive local time,
    the clock every other time on screen uses."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def local_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A naive local time (typed by a user) as the naive UTC of the technical timestamps."""
    if value is None:
        return None
    return value.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC).replace(tzinfo=None)


def format_size(size: int | None) -> str:
    """A file size the Vietnamese way: 812 B, 34 KB, 1,5 MB (1 KB = 1024 B)."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{format_number(size / 1024)} KB"
    megabytes = size / (1024 * 1024)
    return f"{format_number(megabytes, 0 if megabytes == int(megabytes) else 1)} MB"
