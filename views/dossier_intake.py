"""The intake page (issue 14 point 2): the dossier's create page laid out for the counter.

As soon as the procedure is chosen, the page asks the server (`intake_procedure_view`) for what
domain/intake.py computes for "now" with the working calendar — processing time, due date, fees,
channels, the checklist of documents — and shows it (static/motcua_intake.js only displays).
The ticked documents become the dossier's received documents on save (`received_documents`); the
one button "Tiếp nhận và in phiếu" saves and opens the receipt (Mẫu 01). A returning applicant's
last name, phone and address come from `intake_applicant_view`, within the clerk's agencies."""

from __future__ import annotations

import datetime as dt

from flask import abort, jsonify, request
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from domain import clock, intake
from domain.formatting import format_date, format_datetime, format_vnd
from domain.text import clean_text
from models import DOCUMENT_KINDS, DossierDocument, Procedure, ProcedureDocument, db
from views import labels
from views.access import own_agency_ids, parse_id
from views.dossier_columns import intake_procedures, request_calendar

PRINT_BUTTON = "_intake_print"  # the name of the primary button: save, then the receipt
CHECKLIST = "checklist-"  # checklist-<ProcedureDocument.id>[-kind|-copies]


def processing_time_text(procedure) -> str:
    """The procedure's time limit as the clerk reads it: N working hours, N working days or
    within the day, and its cut-off time if any."""
    if procedure.processing_hours is not None:
        text = gettext("%(n)s working hours", n=procedure.processing_hours)
    elif procedure.processing_days:
        text = gettext("%(n)s working days", n=procedure.processing_days)
    else:
        text = gettext("Within the day")
    if procedure.cutoff_time is not None:
        text += " " + gettext(
            "(received after %(time)s: counted from the next working day)",
            time=procedure.cutoff_time.strftime("%H:%M"),
        )
    return text


class DossierIntakeMixin:
    create_template = "dossiers/intake.html"
    # On the page: the procedure, then the applicant as the clerk asks (ID number first: a
    # returning applicant's details are offered), the rest in a second column.
    intake_main_columns = ("procedure", "id_number", "applicant_name", "phone", "address")

    @expose("/intake/procedure/<int:procedure_id>/")
    def intake_procedure_view(self, procedure_id):
        if not self.can_create:
            abort(403)
        if parse_id(procedure_id) is None:  # beyond any id column (PostgreSQL: out of range)
            abort(404)
        procedure = (
            intake_procedures(Procedure)
            .options(selectinload(Procedure.fee_items), selectinload(Procedure.documents))
            .filter(Procedure.id == procedure_id)
            .first()
        )
        if procedure is None:
            abort(404)  # not active, or another agency's: as if it did not exist
        data = intake.preview(procedure, clock.now(), request_calendar())
        data["due_date"] = data["due_date"].isoformat()
        data["due_at"] = data["due_at"].isoformat(timespec="minutes")
        cutoff = data.pop("cutoff_time")
        data["cutoff_time"] = cutoff.strftime("%H:%M") if cutoff is not None else None
        data["text"] = {
            "processing": processing_time_text(procedure),
            "due_date": format_date(dt.date.fromisoformat(data["due_date"])),
            "due": format_datetime(dt.datetime.fromisoformat(data["due_at"])),
            "fees": [f"{fee['name']}: {format_vnd(fee['amount_vnd'])}" for fee in data["fees"]],
            "fees_total": format_vnd(data["fees_total_vnd"]),
            "channels": [str(labels.CHANNELS.get(c, c)) for c in data["channels"]],
        }
        data["kinds"] = [[k, str(labels.DOCUMENT_KINDS.get(k, k))] for k in DOCUMENT_KINDS]
        return jsonify(data)

    @expose("/intake/applicant/", methods=("POST",))
    def intake_applicant_view(self):
        """POST (CSRF header), so that ID numbers stay out of URLs and access logs."""
        if not self.can_create:
            abort(403)
        id_number = clean_text(request.form.get("id_number", ""))[:32]
        found = intake.returning_applicant(db.session, id_number, own_agency_ids())
        return jsonify(found=found is not None, **(found or {}))

    def received_documents(self, procedure) -> list[DossierDocument]:
        """The checklist as posted: each ticked document of the procedure, with the kind and
        number of copies the clerk set (the names come from the procedure, not the form)."""
        form = request.form
        documents = []
        for doc in (
            db.session.query(ProcedureDocument)
            .filter_by(procedure_id=procedure.id)
            .order_by(ProcedureDocument.position)
        ):
            key = f"{CHECKLIST}{doc.id}"
            if form.get(key) != "1":
                continue
            kind = form.get(f"{key}-kind")
            copies = form.get(f"{key}-copies", "")
            documents.append(
                DossierDocument(
                    name=doc.name[:255],
                    kind=kind if kind in DOCUMENT_KINDS else doc.kind,
                    copies=int(copies)
                    if copies.isdigit() and 1 <= int(copies) <= 99
                    else doc.copies,
                )
            )
        return documents

    def intake_page_data(self) -> dict:
        """What the page script needs: its two URLs, and the checklist as posted (a form shown
        again after an error keeps the ticks)."""
        return {
            "procedure_url": self.get_url(".intake_procedure_view", procedure_id=0),
            "applicant_url": self.get_url(".intake_applicant_view"),
            "posted": {k: v for k, v in request.form.items() if k.startswith(CHECKLIST)},
        }
