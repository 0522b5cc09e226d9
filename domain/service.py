"""What the center's service records share: refusals with a reason the screens can translate,
cancellation instead of deletion, and reporting periods."""
from __future__ import annotations

import datetime as dt

from domain import formatting


class RuleError(ValueError):
    """A business rule refused the input. `key` names the rule (screens translate it), `params`
    carry what the message shows (e.g. the refused codes). Nothing has been written."""

    def __init__(self, key: str, **params):
        super().__init__(key, params)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.key}: {self.params}" if self.params else self.key


def cancel_record(record, reason: str | None, now: dt.datetime) -> None:
    """Payments, ratings and evaluation forms are never deleted: a mistake is cancelled with a
    reason (the row stays, the audit log keeps who and when)."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleError("cancel_reason_required")
    if record.cancelled_at is not None:
        raise RuleError("already_cancelled")
    record.cancelled_at = now
    record.cancel_reason = reason


def period_bounds(date_from: dt.date | None, date_to: dt.date | None):
    """[from, to] inclusive dates as datetime bounds [start, end) for timestamp columns."""
    start = dt.datetime.combine(date_from, dt.time()) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()) if date_to else None
    return start, end


def in_period(column, date_from: dt.date | None, date_to: dt.date | None) -> list:
    """Criteria keeping a timestamp column inside [from, to] (inclusive dates)."""
    start, end = period_bounds(date_from, date_to)
    criteria = []
    if start is not None:
        criteria.append(column >= start)
    if end is not None:
        criteria.append(column < end)
    return criteria


# A share in percent; None when there is nothing to divide (formatting.share: one rule).
share = formatting.share

