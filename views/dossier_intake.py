"""The intake page (issue 14 point 2): the dossier's create page laid out for the counter.

As soon as the procedure is chosen, the page asks the server (`intake_procedure_view`) for what
domain/intake.py computes for "now" with the working calendar — processing time, due date, fees,
channels, the checklist of documents — and shows it (static/motcua_intake.js only displays).
The ticked documents become the dossier's received documents on save (`received_documents`); the
one button "Tiếp nhận và in phiếu" saves and opens the receipt (Mẫu 01). A returning applicant's
last name, phone and address come from `intake_applicant_view`, within the clerk's agencies.

Scans can come with the same send (issue 14 point 3): `intake-files` for the dossier as a whole,
`checklist-<id>-files` for a ticked document. They are checked by domain/files.py while the form
is validated, before anything is written: one refused file and the form is shown again with what
was typed, and nothing is stored — no dossier, no file. Accepted, they are attached in the
intake's own transaction, at the intake's time (hence "scanned at intake", domain/digitisation)."""

from __future__ import annotations

import datetime as dt
import re

from flask import abort, current_app, flash, g, jsonify, request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.validators import ValidationError

from domain import clock, intake
from domain import files as df
from domain import lifecycle as lc
from domain.formatting import format_date, format_datetime, format_size, format_vnd
from domain.text import clean_text
from models import DOCUMENT_KINDS, DossierDocument, Procedure, ProcedureDocument, db
from views import labels
from views.access import own_agency_ids, parse_id
from views.dossier_columns import error_message, intake_procedures, request_calendar
from views.dossier_duplicates import IntakeDuplicatesMixin
from views.dossier_transitions import accept
from views.files import ACCEPTED_TYPES, refusal

PRINT_BUTTON = "_intake_print"  # the name of the primary button: save, then the receipt
CHECKLIST = "checklist-"  # checklist-<ProcedureDocument.id>[-kind|-copies|-files]
DOSSIER_FILES = "intake-files"  # scans of the dossier as a whole
DOCUMENT_FILES = re.compile(r"^checklist-(\d{1,18})-files$")


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


class DossierIntakeMixin(IntakeDuplicatesMixin):
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

    def received_documents(self, procedure) -> dict[int, DossierDocument]:
        """The checklist as posted: each ticked document of the procedure, with the kind and
        number of copies the clerk set (the names come from the procedure, not the form), by
        the procedure document's id, in the procedure's order."""
        form = request.form
        documents = {}
        P = ProcedureDocument
        for doc in db.session.execute(  # the columns used, not the entities (one per intake)
            select(P.id, P.name, P.kind, P.copies)
            .where(P.procedure_id == procedure.id)
            .order_by(P.position)
        ):
            key = f"{CHECKLIST}{doc.id}"
            if form.get(key) != "1":
                continue
            kind = form.get(f"{key}-kind")
            copies = parse_id(form.get(f"{key}-copies"))  # a whole number ≥ 1 in ASCII digits
            documents[doc.id] = DossierDocument(
                name=doc.name[:255],
                kind=kind if kind in DOCUMENT_KINDS else doc.kind,
                copies=copies if copies is not None and copies <= 99 else doc.copies,
            )
        return documents

    # ---- scans sent with the intake -----------------------------------------------------------
    def validate_form(self, form):
        """The form's own checks, then the files sent with an intake, checked by content before
        anything is written, then a dossier received a moment ago for the same applicant
        (views/dossier_duplicates.py). What passed waits in `g` for on_model_change
        (attach_intake_files)."""
        valid = super().validate_form(form)
        if request.method != "POST" or request.endpoint != f"{self.endpoint}.create_view":
            return valid
        sent = {
            key: [u for u in request.files.getlist(key) if u is not None and u.filename]
            for key in request.files
            if key == DOSSIER_FILES or DOCUMENT_FILES.match(key)
        }
        sent = {key: uploads for key, uploads in sent.items() if uploads}
        if not sent:
            return valid and not self.held_as_duplicate(form)
        procedure = getattr(form, "procedure", None) and form.procedure.data
        ticked = (
            set(self.received_documents(procedure)) if isinstance(procedure, Procedure) else None
        )
        messages, checked = [], {}
        for key, uploads in sent.items():
            match = DOCUMENT_FILES.match(key)
            target = int(match.group(1)) if match else None
            if target is not None and ticked is not None and target not in ticked:
                messages.append(
                    gettext(
                        "Files were chosen for a document that is not ticked as received: tick "
                        "it, or leave its files out."
                    )
                )
                continue
            ok, refused = df.check_uploads(
                [(u.filename, u.stream) for u in uploads], current_app.settings.upload_max_bytes
            )
            messages += [refusal(exc) for exc in refused]
            checked[target] = ok
        for message in messages:
            flash(message, "error")
        if messages or not valid or self.held_as_duplicate(form):
            flash(
                gettext(
                    "Nothing was saved. A form shown again cannot keep the files chosen: "
                    "choose them again."
                ),
                "error",
            )
            return False
        g.intake_files = checked
        return True

    def attach_intake_files(self, dossier, documents: dict[int, DossierDocument]) -> None:
        """The files checked in validate_form, attached to the new dossier (None: as a whole)
        or to its received documents, at the time of the intake, in its transaction."""
        checked = g.pop("intake_files", None)
        if not checked:
            return
        db.session.flush()  # the dossier's and its documents' ids
        user = current_user._get_current_object()
        for target, items in checked.items():
            document = None if target is None else documents.get(target)
            if target is not None and document is None:  # (refused in validate_form)
                raise ValidationError(gettext("This document is not one of the dossier's."))
            try:
                df.attach_all(
                    db.session,
                    dossier,
                    items,
                    current_app.settings.files_dir,
                    user,
                    dossier.accepted_at,
                    document=document,
                )
            except df.FileRefused as exc:
                raise ValidationError(refusal(exc)) from exc

    def accept_at_intake(self, dossier) -> None:
        """The new dossier accepted (its code, due date) with the papers received: the ticked
        ones of the checklist, then those typed in by hand, then the scans sent with it."""
        try:
            accept(dossier, current_user._get_current_object())
        except lc.LifecycleError as exc:
            raise ValidationError(error_message(exc)) from exc
        ids = own_agency_ids()
        if ids is not None and dossier.agency_id not in ids:
            raise ValidationError(gettext("Not a valid choice"))
        # Rows are numbered (and listed) in the order they join the session.
        with db.session.no_autoflush:
            typed = list(dossier.documents)
            for document in typed:
                if document in db.session:
                    db.session.expunge(document)
            received = self.received_documents(dossier.procedure)
            dossier.documents = list(received.values()) + typed
        self.attach_intake_files(dossier, received)

    def flash_accepted(self, dossier) -> None:
        text = gettext(
            "Dossier %(code)s accepted; due date %(due)s.",
            code=dossier.code,
            due=format_date(dossier.due_date),
        )
        flash(
            Markup('{} <a href="{}" target="_blank" id="flash-receipt">{}</a>').format(
                text,
                self.get_url(".print_view", form_no="01", id=dossier.id),
                gettext("Print the receipt"),
            ),
            "success",
        )

    def intake_page_data(self) -> dict:
        """What the page script needs: its two URLs, and the checklist as posted (a form shown
        again after an error keeps the ticks)."""
        return {
            "procedure_url": self.get_url(".intake_procedure_view", procedure_id=0),
            "applicant_url": self.get_url(".intake_applicant_view"),
            "files": {
                "accept": ACCEPTED_TYPES,
                "max_bytes": current_app.settings.upload_max_bytes,
                "limit": format_size(current_app.settings.upload_max_bytes),
                # said before the send (the names filled in by the page script)
                "too_large": refusal(df.too_large("{name}", current_app.settings.upload_max_bytes)),
                # the whole send, files and fields (MAX_CONTENT_LENGTH, less room for the fields)
                "max_send": max((current_app.config.get("MAX_CONTENT_LENGTH") or 0) - 65536, 0),
            },
            "posted": {k: v for k, v in request.form.items() if k.startswith(CHECKLIST)},
        }
