"""Digitisation figures of a report period (Decision 766/QĐ-TTg, group 4 "số hóa hồ sơ";
indicators 4.1 "hồ sơ có kết quả điện tử" and 4.2 "hồ sơ số hóa", see README "Reports").

- Scanned at intake: of the dossiers received in the period (accepted in it, not refused nor an
  unaccepted submission: the report's `received_new`), those with at least one received document
  where EVERY received document has a scan (kind "scan", attached to that document, never
  withdrawn) uploaded no later than the end of the acceptance day (`day(uploaded_at) <=
  day(accepted_at)`: the counter scans while the applicant waits or that evening; a scan made on a
  later day is a catch-up, not intake). A dossier without any received document has nothing that
  was scanned: it counts in the total, not as scanned.
- Electronic result: of the dossiers resolved in the period (statuses 9/10, `resolved_at` in it;
  withdrawn and stopped dossiers have no result), those with a result file (kind "result") that is
  not withdrawn, whenever it was attached.

One SQL statement per figure (a GROUP BY agency over a bounded range of the accepted_at /
resolved_at index — SQLite steered to it with `unindexed(status)`, as in domain/reports.py — the
files looked up by correlated EXISTS on their indexed foreign keys),
shared by the report page, `flask report --format json` and the workbook."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, not_, select

from domain.formatting import share
from domain.periods import Period
from domain.sql import count_if, day_of, unindexed
from domain.status import NOT_RECEIVED_STATUSES, RESOLVED_STATUSES
from models import Agency, Dossier, DossierDocument, DossierFile

KEYS = (
    "received",
    "received_scanned",
    "received_scanned_share",
    "resolved",
    "resolved_with_result",
    "resolved_with_result_share",
)


def scanned_at_intake(d=Dossier):
    """SQL over Dossier (`d`: the table or an alias of it): at least one received document, and
    every received document with a scan at intake."""
    doc = DossierDocument.__table__.alias("doc")
    scan = DossierFile.__table__.alias("scan")
    scanned_doc = (
        exists()
        .where(
            scan.c.document_id == doc.c.id,
            scan.c.kind == "scan",
            scan.c.withdrawn_at.is_(None),
            day_of(scan.c.uploaded_at) <= day_of(d.accepted_at),
        )
        .correlate_except(scan)
    )  # the document and the dossier are the enclosing queries' rows
    has_document = exists().where(doc.c.dossier_id == d.id)
    unscanned_document = exists().where(doc.c.dossier_id == d.id, not_(scanned_doc))
    return and_(has_document, not_(unscanned_document))


def electronic_result(d=Dossier):
    """SQL over Dossier: a result file that is not withdrawn."""
    result = DossierFile.__table__.alias("result")
    return exists().where(
        result.c.dossier_id == d.id,
        result.c.kind == "result",
        result.c.withdrawn_at.is_(None),
    )


def scanned_at_intake_counts(session, period: Period) -> dict[int, tuple[int, int]]:
    """{agency_id: (received, of which every received document scanned at intake)}, read from
    the dossiers (the report reads the same from domain/report_days.py)."""
    received = unindexed(Dossier.status).notin_(NOT_RECEIVED_STATUSES)
    return _counts(session, Dossier.accepted_at, period, received, scanned_at_intake())


def electronic_result_counts(session, period: Period) -> dict[int, tuple[int, int]]:
    """{agency_id: (resolved, of which with a non-withdrawn electronic result)}."""
    resolved = unindexed(Dossier.status).in_(RESOLVED_STATUSES)
    return _counts(session, Dossier.resolved_at, period, resolved, electronic_result())


def _counts(session, moment, period: Period, counted, flagged) -> dict[int, tuple[int, int]]:
    """{agency_id: (dossiers `counted` with `moment` in the period, of which `flagged`)}: one
    GROUP BY agency over the bounded range of `moment`'s index."""
    start, end = period.bounds
    query = (
        select(Dossier.agency_id, func.count(Dossier.id), count_if(flagged))
        .where(moment >= start, moment < end, counted)
        .group_by(Dossier.agency_id)
    )
    return {agency_id: (int(n), int(k)) for agency_id, n, k in session.execute(query)}


def _figures(received: int, scanned: int, resolved: int, with_result: int) -> dict:
    return {
        "received": received,
        "received_scanned": scanned,
        "received_scanned_share": share(scanned, received),
        "resolved": resolved,
        "resolved_with_result": with_result,
        "resolved_with_result_share": share(with_result, resolved),
    }


def digitisation_summary(session, date_from: dt.date, date_to: dt.date) -> dict:
    """The report's "digitisation" key, counted from the dossiers (the report sums the same
    counts from its per-day table: report_days.digitisation_counts)."""
    period = Period.between(date_from, date_to)
    return summary(
        session,
        scanned_at_intake_counts(session, period),
        electronic_result_counts(session, period),
    )


def summary(session, scanned: dict, results: dict, agencies=None) -> dict:
    """The totals, then `rows` per agency (every active agency ordered like the report, an
    inactive one only when it has figures), from {agency_id: (received, scanned)} and
    {agency_id: (resolved, with result)}; `agencies`: the rows (id, code, name, active) in
    that order, already read (read here without)."""
    rows = []
    if agencies is None:
        agencies = session.execute(
            select(Agency.id, Agency.code, Agency.name, Agency.active).order_by(
                Agency.sort_order, Agency.code
            )
        ).all()
    for a in agencies:
        received, done = scanned.get(a.id, (0, 0))
        resolved, with_result = results.get(a.id, (0, 0))
        if not a.active and not (received or resolved):
            continue
        rows.append(
            {
                "agency_code": a.code,
                "agency_name": a.name,
                **_figures(received, done, resolved, with_result),
            }
        )
    totals = [sum(v[i] for v in scanned.values()) for i in (0, 1)]
    totals += [sum(v[i] for v in results.values()) for i in (0, 1)]
    return {**_figures(*totals), "rows": rows}
