"""The dossier statuses of design §3 (national codes, the values stored in the database) and the
sets of statuses the rules speak of, each under one name.

No imports from the rest of the project: models, the life cycle, the deadlines, the reports and
the views all read the statuses from here. Labels (translated) are in views/labels.py."""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """A dossier status; equal to its national code (the stored integer)."""

    SUBMITTED = 1  # online, not yet accepted
    ACCEPTED = 2
    REFUSED = 3  # not accepted (terminal)
    PROCESSING = 4  # at the competent agency
    AWAITING_SUPPLEMENT = 5  # paused
    AWAITING_PAYMENT = 6  # paused
    WITHDRAWN = 7  # by the applicant (terminal)
    STOPPED = 8  # terminal
    RESOLVED = 9  # result ready
    RETURNED = 10  # result handed over (terminal)


# Tuples (not sets): the order is stable, so the SQL `IN (...)` and its cache key are too.
# Open: received and not closed; the clock runs or is paused.
OPEN_STATUSES = (
    Status.ACCEPTED,
    Status.PROCESSING,
    Status.AWAITING_SUPPLEMENT,
    Status.AWAITING_PAYMENT,
)
# Running: open with the clock running; these (and only these) can be overdue now.
RUNNING_STATUSES = (Status.ACCEPTED, Status.PROCESSING)
# Paused: the clock stops (supplement, financial obligation); never overdue.
PAUSED_STATUSES = (Status.AWAITING_SUPPLEMENT, Status.AWAITING_PAYMENT)
# Resolved: closed with a result on `resolved_at`; classified early / on time / late.
RESOLVED_STATUSES = (Status.RESOLVED, Status.RETURNED)
# Closed without a result on `closed_at` after being received; counted on time.
CLOSED_STATUSES = (Status.WITHDRAWN, Status.STOPPED)
# Reaching one of these sets `closed_at`.
CLOSING_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED)
# Never received: an online submission not accepted, a refusal.
NOT_RECEIVED_STATUSES = (Status.SUBMITTED, Status.REFUSED)
# No transition leaves them.
TERMINAL_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED)
