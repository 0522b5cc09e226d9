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


def format_percent(numerator: float, denominator: float) -> str:
    """A share with two decimals and a comma: 17528 / 17958 -> '97,61%'."""
    if not denominator:
        return "0,00%"
    return f"{format_number(100.0 * numerator / denominator, 2)}%"


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


def local_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A naive local time (typed by a user) as the naive UTC of the technical timestamps."""
    if value is None:
        return None
    return value.replace(tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)
