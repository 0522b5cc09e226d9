"""The one clock of the application: "now" and "today" in the center's local time.

Business timestamps (accepted_at, resolved_at, paid_at, …) are naive local datetimes of
Asia/Ho_Chi_Minh (see models.py) and business dates are that zone's dates, whatever the server's
zone; technical timestamps (created_at, audit) are naive UTC. Every module asks this one for the
time, so a test can stop it at a chosen moment:

    with clock.frozen(dt.datetime(2019, 1, 31, 9, 0)):   # local time
        assert clock.today() == dt.date(2019, 1, 31)

No Flask here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# The moment the clock is stopped at (aware), None while it runs. Process-wide on purpose: a
# browser test's server thread must see the same time as the test.
_frozen_at: dt.datetime | None = None


def _aware_now() -> dt.datetime:
    return _frozen_at if _frozen_at is not None else dt.datetime.now(LOCAL_TZ)


def now() -> dt.datetime:
    """Local time now, naive, to the second (the form of every business timestamp)."""
    return _aware_now().astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """The local date now."""
    return _aware_now().astimezone(LOCAL_TZ).date()


def utcnow() -> dt.datetime:
    """UTC now, naive (technical timestamps: created_at, updated_at, audit rows)."""
    return _aware_now().astimezone(dt.UTC).replace(tzinfo=None)


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date):
    """Stop the clock at `at` (a naive datetime is local time; a date is its 09:00) for the
    duration of the block; the previous setting comes back after it."""
    global _frozen_at
    if not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(9, 0))
    if at.tzinfo is None:
        at = at.replace(tzinfo=LOCAL_TZ)
    previous, _frozen_at = _frozen_at, at
    try:
        yield at
    finally:
        _frozen_at = previous
