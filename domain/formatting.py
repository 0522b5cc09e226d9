"""Vietnamese formats for numbers, money, dates and shares (design §8)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


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


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A naive UTC timestamp (created_at, updated_at, last login, audit) as naive local time,
    the clock every other time on screen uses."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ).replace(tzinfo=None)
