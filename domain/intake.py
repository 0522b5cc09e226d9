"""Intake at the counter (issue 14 point 2): what the clerk sees as soon as the procedure is
chosen, computed here for "now" with the working calendar — the same due date accept_dossier
stores — and the applicant a clerk has met before. No Flask here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from domain.calendar import WorkingCalendar
from models import Dossier, Procedure


@dataclass(frozen=True)
class Due:
    """When a dossier is due: the date (reports, lists, indexes), the moment (the appointment
    printed on Mẫu 01) and whether the limit is in working hours (late after the moment)."""

    date: dt.date
    at: dt.datetime
    in_hours: bool


def due(procedure: Procedure, at: dt.datetime, calendar: WorkingCalendar) -> Due:
    """When a dossier of `procedure` accepted at `at` is due (lifecycle.accept_dossier, the
    intake page): a limit in working hours counts them from the acceptance moment over the
    working sessions; a limit in days gives the N-th working day after the clock start, due at
    the end of its working day. Either way a dossier accepted after the procedure's cut-off time
    starts on the next working day."""
    if procedure.processing_hours is not None:
        moment = calendar.due_moment(at, procedure.processing_hours, procedure.cutoff_time)
        return Due(moment.date(), moment, True)
    day = calendar.due_date(at, procedure.processing_days or 0, procedure.cutoff_time)
    return Due(day, calendar.day_end(day), False)


def due_date(procedure: Procedure, at: dt.datetime, calendar: WorkingCalendar) -> dt.date:
    """The due date of a dossier of `procedure` accepted at `at` (lifecycle.accept_dossier)."""
    return due(procedure, at, calendar).date


def channels_allowed(procedure: Procedure) -> list[str]:
    """How a dossier of this procedure may come in: at the counter always, online when the
    procedure is offered online, by post when it accepts postal receipt."""
    channels = ["direct"]
    if procedure.online_level and procedure.online_level != "none":
        channels.append("online")
    if procedure.postal_in:
        channels.append("postal")
    return channels


def preview(procedure: Procedure, at: dt.datetime, calendar: WorkingCalendar) -> dict:
    """What the intake page shows before saving: processing time, due date, fees (in đồng),
    channels and the checklist of documents."""
    when = due(procedure, at, calendar)
    return {
        "procedure_id": procedure.id,
        "code": procedure.code,
        "name": procedure.name,
        "processing_days": procedure.processing_days,
        "processing_hours": procedure.processing_hours,
        "cutoff_time": procedure.cutoff_time,
        "due_date": when.date,
        "due_at": when.at,
        "fees": [
            {
                "kind": f.kind,
                "name": f.name,
                "amount_vnd": f.amount_vnd,
                "channel": f.channel,
                "note": f.note,
            }
            for f in procedure.fee_items
        ],
        "fees_total_vnd": sum(
            f.amount_vnd or 0 for f in procedure.fee_items if f.channel in (None, "direct")
        ),
        "channels": channels_allowed(procedure),
        "documents": [
            {
                "id": d.id,
                "position": d.position,
                "name": d.name,
                "kind": d.kind,
                "copies": d.copies,
                "required": d.required,
            }
            for d in procedure.documents
        ],
    }


def returning_applicant(session, id_number: str, agency_ids: list[int] | None) -> dict | None:
    """The applicant's latest name, phone and address, from their last dossier with this ID
    number among the agencies given (None: every agency — an admin); None if there is none."""
    id_number = (id_number or "").strip()
    if not id_number:
        return None
    query = select(Dossier.applicant_name, Dossier.phone, Dossier.address).where(
        Dossier.id_number == id_number
    )
    if agency_ids is not None:
        query = query.where(Dossier.agency_id.in_(agency_ids))
    row = session.execute(
        query.order_by(Dossier.accepted_at.desc(), Dossier.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return {"applicant_name": row.applicant_name, "phone": row.phone, "address": row.address}
