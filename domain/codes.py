"""Dossier codes: <prefix>-<yyMMdd of acceptance>-<sequence of at least 4 digits>.

The prefix (docs/legal.md, "Mã số hồ sơ"):
- dossiers accepted from 01/07/2025 (Nghị định 118/2025 in force; Thông tư 03/2025 Art. 13, whose
  clause 3 added by Thông tư 04/2025 names "mã định danh điện tử của cơ quan giải quyết hồ sơ"):
  the electronic ID code of the agency that resolves the dossier, or the receiving unit code
  (configuration RECEIVING_UNIT_CODE) when that agency has none;
- dossiers accepted before: the receiving unit code (design §4), so the history keeps its codes.
A code, once given, never changes.

The sequence restarts every day per prefix. It comes from a per-(prefix, day) counter row updated
in the same transaction as the dossier insert, so two parallel intakes never get the same number
and a rolled-back intake leaves no gap; the UNIQUE constraint on dossier.code is the last guard.
It has at least 4 digits and grows to 5 or more after 9999 ("độ dài dãy số theo thực tế hồ sơ
phát sinh, tối thiểu gồm 04 ký tự", TT 03/2025 Art. 13(3) as added by TT 04/2025).
"""

from __future__ import annotations

import datetime as dt

from domain.counters import next_in_day
from models import DossierCounter

# Nghị định 118/2025/NĐ-CP in force: codes from the resolving agency from this day on.
AGENCY_PREFIX_SINCE = dt.date(2025, 7, 1)
MIN_DIGITS = 4


def format_code(unit_code: str, day: dt.date, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("the daily sequence starts at 0001")
    return f"{unit_code}-{day:%y%m%d}-{sequence:0{MIN_DIGITS}d}"


def code_prefix(agency, unit_code: str, day: dt.date) -> str:
    """The prefix of a dossier of `agency` accepted on `day` (see the module docstring)."""
    eid = (getattr(agency, "eid_code", None) or "").strip()
    if eid and day >= AGENCY_PREFIX_SINCE:
        return eid
    return unit_code


def next_sequence(session, unit_code: str, day: dt.date) -> int:
    """Take the next number of the day inside the caller's transaction (row-locked until commit)."""

    return next_in_day(session, DossierCounter.__table__, "unit_code", unit_code, day)


def next_code(session, unit_code: str, day: dt.date) -> str:
    return format_code(unit_code, day, next_sequence(session, unit_code, day))


def next_dossier_code(session, agency, unit_code: str, day: dt.date) -> str:
    """The code of a dossier of `agency` accepted on `day`."""
    return next_code(session, code_prefix(agency, unit_code, day), day)
