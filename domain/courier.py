"""Courier runs between the center and the agencies (twice a day, 10:30 and 16:00): the dossiers
carried are added by typing or scanning their codes, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from domain.service import RuleError
from domain.sql import in_scope
from models import Agency, CourierItem, CourierRun, Dossier

MAX_CODES_PER_BATCH = 2000
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_codes(text: str | None) -> list[str]:
    """Codes typed or scanned one per line (commas, semicolons and spaces also separate);
    duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for code in _SEPARATORS.split(text or ""):
        code = code.strip()
        if code:
            seen.setdefault(code.upper(), None)
    return list(seen)


def add_codes_to_run(session, run, text: str | None, allowed_agency_ids=None) -> list:
    """Add the dossiers whose codes are in `text` to `run`. Refuses the whole batch
    (RuleError "courier_codes_refused" with `unknown` and `other_agency` lists) when a code is
    unknown or belongs to a dossier of another agency than the run's; nothing is added then.
    `allowed_agency_ids` (staff): the run itself must be of one of them. Dossiers already in the
    run are skipped. Returns the dossiers added."""

    agency_id = run.agency.id if run.agency is not None else run.agency_id
    if allowed_agency_ids is not None and agency_id not in allowed_agency_ids:
        raise RuleError("courier_run_other_agency")
    # The run's agency may have been changed by an edit: what it already carries must follow.
    if any(item.dossier is not None and item.dossier.agency_id != agency_id for item in run.items):
        raise RuleError("courier_items_other_agency")
    codes = parse_codes(text)
    if not codes:
        return []
    if len(codes) > MAX_CODES_PER_BATCH:
        raise RuleError("courier_too_many_codes", limit=MAX_CODES_PER_BATCH)
    # Codes are stored upper-case (the unit code's letters): an indexed IN, no function on code.
    found = {
        d.code.upper(): d for d in session.scalars(select(Dossier).where(Dossier.code.in_(codes)))
    }
    unknown = [c for c in codes if c not in found]
    other = [c for c in codes if c in found and found[c].agency_id != agency_id]
    if unknown or other:
        raise RuleError("courier_codes_refused", unknown=unknown, other_agency=other)
    present = set()
    if run.id is not None:
        present = set(
            session.scalars(select(CourierItem.dossier_id).where(CourierItem.run_id == run.id))
        )
    present |= {item.dossier_id for item in run.items if item.dossier_id is not None}
    added = []
    for code in codes:
        dossier = found[code]
        if dossier.id in present:
            continue
        run.items.append(CourierItem(dossier=dossier, dossier_id=dossier.id))
        present.add(dossier.id)
        added.append(dossier)
    return added


@dataclass
class CourierCount:
    agency_id: int
    agency_name: str
    direction: str
    runs: int
    dossiers: int


def courier_counts(session, date_from=None, date_to=None, agency_ids=None) -> list[CourierCount]:
    """Per agency and direction: runs and dossiers carried in [from, to] (run dates). The one
    SQL of the report's "courier" (and its breakdown by agency) and the courier totals page.
    The period's runs are added up first (run_counts), the agency joined to the groups: driven
    by the agency, SQLite read the period's runs once per agency and sorted every item for
    count(DISTINCT)."""
    R = CourierRun

    criteria = []
    if date_from is not None:
        criteria.append(R.run_date >= date_from)
    if date_to is not None:
        criteria.append(R.run_date <= date_to)
    criteria += in_scope(R.agency_id, agency_ids)
    runs = run_counts(criteria, R.agency_id).subquery("runs")
    query = (
        select(Agency.id, Agency.name, runs.c.direction, runs.c.runs, runs.c.dossiers)
        .join(Agency, Agency.id == runs.c.agency_id)
        .order_by(Agency.sort_order, Agency.name, runs.c.direction)
    )
    return [CourierCount(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in session.execute(query)]


def run_counts(criteria: list, *keys):
    """SQL: (keys..., direction, runs, dossiers carried) of the runs that meet `criteria` (the
    run_date range, the agencies), by `keys` and direction (the report's part:
    reports.services_query). The dossiers carried are each run's kept count (item_count,
    domain/courier_count.py): the period's runs alone are read, not every item joined to them
    (a scan of all items: the largest part of a month's report at 1,000,000 dossiers)."""
    R = CourierRun
    grouped = (*keys, R.direction)
    return (
        select(
            *grouped,
            func.count().label("runs"),
            func.coalesce(func.sum(R.item_count), 0).label("dossiers"),
        )
        .where(*criteria)
        .group_by(*grouped)
    )


def courier_summary(session, date_from=None, date_to=None) -> dict:
    """Design §6 "courier": dossiers carried to agencies / back to the center."""
    rows = courier_counts(session, date_from, date_to)
    return direction_totals((r.direction, r.dossiers) for r in rows)


def direction_totals(rows) -> dict:
    """courier_summary from (direction, dossiers) rows."""
    totals = {"to_agencies": 0, "to_center": 0}
    for direction, dossiers in rows:
        totals["to_agencies" if direction == "to_agency" else "to_center"] += int(dossiers or 0)
    return totals
