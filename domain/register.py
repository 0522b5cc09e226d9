"""The register of dossiers (Sổ theo dõi hồ sơ: Mẫu 06 of TT 01/2018, Mẫu 07 of TT 03/2025) as an
.xlsx file: the dossiers accepted
in a date range, in the order of acceptance, one row each.

The dossiers are read in batches by keyset (accepted_at, id): constant cost per batch and flat
memory on a year of a big center. The texts (title, headers, labels) come from the caller, in
the language of the screen."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from domain.periods import Period
from domain.spreadsheets import new_workbook, write_row
from domain.status import Status
from models import Dossier, DossierEvent

REGISTER_BATCH = 1000
# No., code, procedure, number of sets, applicant, address/phone, agency, accepted, due, sent,
# result received, returned, return channel, signature on receipt (blank), note.
COLUMN_WIDTHS = (6, 28, 40, 8, 28, 30, 24, 16, 12, 16, 16, 16, 14, 16, 24)


@dataclass
class RegisterTexts:
    sheet: str  # the sheet's name
    title: str  # first line
    period: str  # second line: the date range
    header: list[str]  # one per column of COLUMN_WIDTHS
    truncated: str  # the note under a list cut at the row limit
    return_channels: dict  # return channel code -> label


def register_query(session, period: Period, agency_ids: list[int] | None):
    """The dossiers accepted in `period`, of `agency_ids` (None: all)."""
    query = session.query(Dossier)
    if agency_ids is not None:
        query = query.filter(Dossier.agency_id.in_(agency_ids))
    return (
        query.options(joinedload(Dossier.procedure), joinedload(Dossier.agency))
        .filter(*period.contains(Dossier.accepted_at))
        .order_by(Dossier.accepted_at, Dossier.id)
    )


def register_batches(session, base, limit: int):
    """`base` in batches of REGISTER_BATCH, at most `limit` rows: (dossiers, {id: the time it
    was sent to its agency}). The dossiers of a batch are expunged once the next is asked for."""
    number, last = 0, None
    while number < limit:
        query = base
        if last is not None:  # keyset pagination: constant cost per batch
            query = query.filter(
                or_(
                    Dossier.accepted_at > last[0],
                    and_(Dossier.accepted_at == last[0], Dossier.id > last[1]),
                )
            )
        batch = query.limit(min(REGISTER_BATCH, limit - number)).all()
        if not batch:
            return
        sent = dict(
            session.execute(
                select(DossierEvent.dossier_id, func.min(DossierEvent.at))
                .where(
                    DossierEvent.dossier_id.in_([d.id for d in batch]),
                    DossierEvent.to_status == Status.PROCESSING,
                    DossierEvent.from_status == Status.ACCEPTED,
                )
                .group_by(DossierEvent.dossier_id)
            ).all()
        )
        yield batch, sent
        number += len(batch)
        last = (batch[-1].accepted_at, batch[-1].id)
        for d in batch:  # keep memory flat on big registers (the catalog rows stay)
            session.expunge(d)


def register_row(number: int, d, sent_at, texts: RegisterTexts) -> list:
    contact = ", ".join(x for x in (d.address, d.phone) if x)
    return [
        number,
        d.code,
        f"{d.procedure.code} – {d.procedure.name}",
        d.set_count,
        d.applicant_name,
        contact,
        d.agency.name,
        d.accepted_at,
        d.due_at if d.due_in_hours else d.due_date,
        sent_at,
        d.resolved_at,
        d.returned_at,
        str(texts.return_channels.get(d.return_channel, "") or ""),
        None,  # Ký nhận: signed by hand on the printed register
        d.note,
    ]


def write_register(
    target, session, period: Period, agency_ids: list[int] | None, limit: int, texts: RegisterTexts
) -> None:
    """Write the register to `target` (a path or a stream)."""
    book = new_workbook(target)
    sheet = book.add_worksheet(texts.sheet)
    bold = book.add_format({"bold": True})
    stamp = book.add_format({"num_format": "hh:mm dd/mm/yyyy"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    formats = {7: stamp, 8: day, 9: stamp, 10: stamp, 11: stamp}
    hours_formats = {**formats, 8: stamp}  # a limit in working hours: due at a time of day
    write_row(sheet, 0, [texts.title], {0: bold})
    write_row(sheet, 1, [texts.period])
    write_row(sheet, 3, texts.header, {i: bold for i in range(len(texts.header))})
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.set_column(col, col, width)
    row, number = 4, 0
    base = register_query(session, period, agency_ids)
    for batch, sent in register_batches(session, base, limit):
        for d in batch:
            number += 1
            row_formats = hours_formats if d.due_in_hours else formats
            write_row(sheet, row, register_row(number, d, sent.get(d.id), texts), row_formats)
            row += 1
    if number >= limit and base.offset(limit).limit(1).first() is not None:
        write_row(sheet, row + 1, [texts.truncated], {0: bold})
    book.close()
