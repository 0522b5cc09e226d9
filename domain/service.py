"""What the center's service records share: refusals with a reason the screens can translate,
cancellation instead of deletion (reporting periods: domain/periods.py)."""

from __future__ import annotations

import datetime as dt

from domain import formatting


class RuleError(ValueError):
    """A business rule refused the input. `key` names the rule (screens translate it), `params`
    carry what the message shows (e.g. the refused codes), `field` the input it is about when
    it is one (a form shows the refusal on that field). Nothing has been written."""

    def __init__(self, key: str, *, field: str | None = None, **params):
        super().__init__(key, params)
        self.key = key
        self.field = field
        self.params = params

    def __str__(self) -> str:
        return f"{self.key}: {self.params}" if self.params else self.key


# How far past the server's "now" a typed moment may be: the clerk's PC clock may run a few
# minutes ahead of the server's, and a payment or an answer typed as "now" there is not refused.
CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=5)


def future_refusals(now: dt.datetime, **moments: dt.datetime | None) -> list[RuleError]:
    """Something that happened (a payment, a receipt, an answer) cannot be later than `now`
    (domain.clock.now(), local time) beyond CLOCK_SKEW_TOLERANCE: a refusal "date_in_future"
    on the field of each such moment, by name (none given is no refusal)."""
    latest = now + CLOCK_SKEW_TOLERANCE
    return [
        RuleError("date_in_future", field=name, now=formatting.format_datetime_input(now))
        for name, value in moments.items()
        if value is not None and value > latest
    ]


def refuse(refusals: list[RuleError]) -> None:
    """Raise the first of the refusals, if any (a caller that is not a form)."""
    if refusals:
        raise refusals[0]


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


# A share in percent; None when there is nothing to divide (formatting.share: one rule).
share = formatting.share
