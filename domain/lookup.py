"""Dossier look-up by the citizen (issue 15, /tra-cuu/ and /api/v1/dossiers/{code}): the dossier
code plus a look-up secret printed on the receipt.

The secret: 10 characters of an alphabet without look-alikes (no 0/O, 1/I/L), 31**10 ≈ 2**49.5;
typed in any case, with or without spaces or dashes. Only its hash is stored (scrypt, salted: a
copy of the database does not give the secrets away quickly). It exists in clear only while the
receipt (Mẫu 01) is printed: every print of the receipt issues a new secret, the earlier ones stop
working, and a reprint says so on the paper. A dossier whose receipt was never printed with this
version has no secret, and is not found until its receipt is printed (again).

What the citizen sees is `public_status`: the procedure, the status in plain words, the dates,
the supplement asked for, where to collect the result and the apology — never the applicant's
name, ID number, phone, e-mail or address. A wrong secret and an unknown code are one answer,
costing one hash check each (`find`)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from domain import N_, deadlines
from domain.notifications import attach_secret
from domain.status import Status
from models import Dossier, DossierLookup

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_LENGTH = 10
MAX_CODE_LENGTH = 64  # Dossier.code
MAX_SECRET_INPUT = 40  # room for spaces and dashes
# scrypt with 16 MiB per check: ~30 ms, and the checks are rate-limited per address.
HASH_METHOD = "scrypt:16384:8:1"


# The status in plain words, for someone who does not know the national codes.
PLAIN_STATUS = {
    Status.SUBMITTED: N_("Submitted, waiting to be received"),
    Status.ACCEPTED: N_("Received, being passed on for processing"),
    Status.REFUSED: N_("Not accepted"),
    Status.PROCESSING: N_("Being processed"),
    Status.AWAITING_SUPPLEMENT: N_("Waiting for you to supplement the dossier"),
    Status.AWAITING_PAYMENT: N_("Waiting for you to pay the fees"),
    Status.WITHDRAWN: N_("Withdrawn at your request"),
    Status.STOPPED: N_("Processing stopped"),
    Status.RESOLVED: N_("The result is ready: please collect it"),
    Status.RETURNED: N_("The result has been returned to you"),
}
STATUS_KEYS = {
    Status.SUBMITTED: "submitted",
    Status.ACCEPTED: "accepted",
    Status.REFUSED: "refused",
    Status.PROCESSING: "processing",
    Status.AWAITING_SUPPLEMENT: "awaiting_supplement",
    Status.AWAITING_PAYMENT: "awaiting_payment",
    Status.WITHDRAWN: "withdrawn",
    Status.STOPPED: "stopped",
    Status.RESOLVED: "resolved",
    Status.RETURNED: "returned",
}
COLLECT_AT = {
    "counter": N_("At the result return desk of %(center)s"),
    "postal": N_("Sent by post to the address given in the dossier"),
    "online": N_("Online, on the public service portal"),
}


def new_secret() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))


def display_secret(secret: str) -> str:
    """As printed: two groups of five, easier to read out and type."""
    return f"{secret[:5]}-{secret[5:]}"


def normalize_secret(typed: str | None) -> str:
    """What the citizen typed, as issued: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-.]", "", (typed or "")[:MAX_SECRET_INPUT]).upper()


def normalize_code(typed: str | None) -> str:
    return (typed or "").strip()[: MAX_CODE_LENGTH + 1]


def issue_secret(session, dossier, at: dt.datetime) -> tuple[str, int]:
    """A new secret for `dossier` (replacing any earlier one): (the secret in clear, how many
    have been issued, 1 for the first receipt). The caller commits."""
    secret = new_secret()
    row = session.scalar(select(DossierLookup).where(DossierLookup.dossier_id == dossier.id))
    hashed = generate_password_hash(secret, method=HASH_METHOD)
    if row is None:
        row = DossierLookup(dossier_id=dossier.id, secret_hash=hashed, issued_at=at, issue_count=1)
        session.add(row)
    else:
        row.secret_hash, row.issued_at = hashed, at
        row.issue_count = (row.issue_count or 0) + 1
    session.flush()
    attach_secret(session, dossier, secret)  # the acceptance notice's link, if not sent yet
    return secret, row.issue_count


@functools.lru_cache(maxsize=1)
def _nobody_hash() -> str:
    return generate_password_hash(new_secret(), method=HASH_METHOD)


def find(session, code: str | None, secret: str | None):
    """The dossier with this code whose current secret is `secret`, else None — the same None,
    after the same one hash check, for an unknown code, a dossier without a secret and a wrong
    secret."""
    code, secret = normalize_code(code), normalize_secret(secret)
    found = None
    if code and len(code) <= MAX_CODE_LENGTH:
        found = session.execute(
            select(Dossier, DossierLookup.secret_hash)
            .join(DossierLookup, DossierLookup.dossier_id == Dossier.id)
            .where(Dossier.code == code)
        ).first()
    hashed = found[1] if found else _nobody_hash()
    matches = bool(secret) and check_password_hash(hashed, secret)
    return found[0] if found and matches else None


def public_status(dossier, center: str, translate=N_) -> dict:
    """What the look-up shows (page and API alike), nothing personal. `translate` is gettext in
    a web request (the texts are msgids here)."""
    status = dossier.status
    supplement = None
    if status == Status.AWAITING_SUPPLEMENT:
        open_pauses = [p for p in dossier.pauses if p.kind == "supplement" and p.ended_on is None]
        if open_pauses:
            supplement = {
                "requested_on": open_pauses[-1].started_on,
                "what": open_pauses[-1].reason,
            }
    apology = None
    if dossier.rescheduled_due_date:
        events = [e for e in dossier.events if e.from_status == e.to_status == Status.PROCESSING]
        apology = {
            "new_due_date": dossier.rescheduled_due_date,
            "written_on": events[-1].at.date() if events else None,
            "reason": events[-1].reason if events else None,
        }
    ready = status == Status.RESOLVED
    channel = dossier.return_channel or "counter"
    collect = translate(COLLECT_AT[channel]) % {"center": center} if ready else None
    return {
        "code": dossier.code,
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure.name},
        "status": STATUS_KEYS.get(status, "processing"),
        "status_text": translate(PLAIN_STATUS.get(status, PLAIN_STATUS[Status.PROCESSING])),
        "accepted_on": dossier.accepted_at.date() if dossier.accepted_at else None,
        "due_date": deadlines.effective_due_date(dossier),
        "supplement": supplement,
        "result_ready": ready,
        "collect_at": collect,
        "returned_on": dossier.returned_at.date() if dossier.returned_at else None,
        "apology": apology,
    }
