"""A dossier is not received twice by accident. Before a new dossier is accepted, the intake asks
for the dossiers of the same procedure and the same applicant accepted a moment ago: a clerk who
pressed the browser's Back button after an intake gets the previous citizen's details back in
the form (Chromium restores what was typed into a page it loads again), and a new one-time token
with it (the page is never cached: views/headers.py), so the form token alone cannot tell it from
a new intake. Found, the intake is held and the clerk confirms a genuine second dossier (the
same person, the same procedure, a second land parcel). No Flask here.

The same applicant: the same ID number (CCCD/CMND) when both dossiers have one; otherwise the
same name (without accents, case or extra spaces) and the same phone number (as its digits,
"+84" read as 0; both without a phone count as the same)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from domain.text import normalize_search, phone_digits
from models import Dossier

# Half an hour: a form sent again comes within minutes (Back, a reload, a second click after a
# slow answer, the citizen still at the counter); a genuine second dossier of the same person
# for the same procedure inside that time is rare and is confirmed with one tick. A longer
# window would warn when the citizen comes back later in the day with another dossier.
RECENT_WINDOW = dt.timedelta(minutes=30)
# The newest dossiers of the window compared, at most: a form sent again follows its first
# sending within minutes, long before a center accepts this many dossiers of one procedure;
# without a bound, a procedure receiving hundreds online in half an hour made every intake
# compare them all while holding the write lock.
CANDIDATES = 200


@dataclass(frozen=True)
class Applicant:
    """The applicant as typed on the intake form."""

    id_number: str | None
    name: str | None
    phone: str | None


@dataclass(frozen=True)
class RecentDossier:
    id: int
    code: str | None
    accepted_at: dt.datetime
    applicant_name: str


def _id_number(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def _phone(value: str | None) -> str:
    return phone_digits(value) or " ".join((value or "").split())


def same_applicant(a: Applicant, b: Applicant) -> bool:
    """The same ID number when both have one; else the same name and the same phone."""
    if _id_number(a.id_number) and _id_number(b.id_number):
        return _id_number(a.id_number) == _id_number(b.id_number)
    return bool(normalize_search(a.name)) and (
        normalize_search(a.name) == normalize_search(b.name) and _phone(a.phone) == _phone(b.phone)
    )


def candidates_query(
    procedure_id: int,
    now: dt.datetime,
    window: dt.timedelta = RECENT_WINDOW,
    limit: int | None = None,
):
    """The procedure's newest dossiers (`limit`, by default CANDIDATES) accepted within
    `window` before `now`: a range of the index on (procedure_id, accepted_at), a handful of
    rows among a million."""
    return (
        select(
            Dossier.id,
            Dossier.code,
            Dossier.accepted_at,
            Dossier.applicant_name,
            Dossier.id_number,
            Dossier.phone,
        )
        .where(
            Dossier.procedure_id == procedure_id,
            Dossier.accepted_at >= now - window,
            Dossier.accepted_at <= now,
        )
        .order_by(Dossier.accepted_at.desc(), Dossier.id.desc())
        .limit(limit or CANDIDATES)
    )


def recent_duplicates(
    session,
    procedure_id: int,
    applicant: Applicant,
    now: dt.datetime,
    window: dt.timedelta = RECENT_WINDOW,
) -> list[RecentDossier]:
    """The dossiers of this procedure accepted within `window` before `now` for the same
    applicant (compared here, with the rules above), newest first."""
    rows = session.execute(candidates_query(procedure_id, now, window))
    return [
        RecentDossier(row.id, row.code, row.accepted_at, row.applicant_name)
        for row in rows
        if same_applicant(applicant, Applicant(row.id_number, row.applicant_name, row.phone))
    ]
