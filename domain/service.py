"""What the center's service records share: refusals with a reason the screens can translate,
cancellation instead of deletion (reporting periods: domain/periods.py)."""

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


# A share in percent; None when there is nothing to divide (formatting.share: one rule).
share = formatting.share
