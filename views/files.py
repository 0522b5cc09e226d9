"""Files of a dossier (issue 14): scans attached to the dossier or to one of its received
documents, and the electronic result; downloads; withdrawal of a wrong file with its reason.

The dossier page shows them (templates/dossiers/_files.html); the rules and the storage are in
domain/files.py. Who may see a file is who may see its dossier: a dossier of another agency is
"not found" (404) for staff, as on the dossier page (own_agency_ids, AgencyScopedMixin)."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from domain import clock
from domain import files as df
from domain.formatting import format_size
from models import Dossier, DossierDocument, DossierFile, db
from views import labels
from views.access import ALL_ROLES, has_role, own_agency_ids, parse_id
from views.forms import SecureForm

EDITORS = ("admin", "staff")
ACCEPTED_TYPES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
KIND_LABELS = labels.FILE_KINDS


class UploadForm(SecureForm):
    dossier_id = HiddenField(validators=[DataRequired()])
    # "dossier" (the dossier as a whole), "result" (its electronic result) or a document's id
    target = StringField(validators=[DataRequired(), Length(max=20)])


class WithdrawForm(SecureForm):
    file_id = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


def refusal(exc: df.FileRefused) -> str:
    return gettext(exc.msgid, **exc.params)


def _readable(query):
    """The one row of `query` (which selects from Dossier) if its dossier is of the user's own
    agencies; 404 otherwise."""
    ids = own_agency_ids()
    if ids is not None:
        query = query.where(Dossier.agency_id.in_(ids))
    row = db.session.scalar(query)
    if row is None:
        abort(404)
    return row


def _number(value) -> int:
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def readable_dossier(dossier_id) -> Dossier:
    """The dossier if the user may read it; 404 otherwise (missing, tampered or not theirs)."""
    return _readable(select(Dossier).where(Dossier.id == _number(dossier_id)))


def readable_file(file_id) -> DossierFile:
    return _readable(
        select(DossierFile)
        .join(Dossier, DossierFile.dossier_id == Dossier.id)
        .where(DossierFile.id == _number(file_id))
        .options(joinedload(DossierFile.stored))
    )


def can_attach() -> bool:
    return has_role(*EDITORS)


def page_files(dossier) -> dict:
    """What the dossier page shows of its files (templates/dossiers/_files.html)."""
    attachments = df.files_of(db.session, dossier.id)
    scanned = {
        a.document_id for a in attachments if a.document_id is not None and a.withdrawn_at is None
    }
    targets = [("dossier", gettext("The dossier (all papers)"))]
    targets += [(str(d.id), d.name) for d in dossier.documents]
    if dossier.resolved_at is not None:
        targets.append(("result", gettext("Electronic result")))
    documents = {d.id: d.name for d in dossier.documents}
    return {
        "files": attachments,
        "targets": targets,
        "scanned": scanned,
        "documents": documents,
        "can_attach": can_attach(),
        "kind_labels": KIND_LABELS,
        "size": format_size,
        "limit": format_size(current_app.settings.upload_max_bytes),
        "accept": ACCEPTED_TYPES,
        "upload_form": UploadForm(formdata=None),
        "withdraw_form": WithdrawForm(formdata=None),
    }


bp = Blueprint("dossier_file", __name__, url_prefix="/dossier-files")


def logged_in(view):
    """Anonymous users go to the login page; every role reads (the dossier rule decides)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if not has_role(*ALL_ROLES):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _back(dossier_id: int, to_files: bool = False):
    """Back to the dossier page: at its files after a success (the new row in view); at the top
    after a refusal, where the message is shown."""
    url = url_for("dossier.details_view", id=dossier_id)
    return redirect(url + "#files" if to_files else url)


def _upload_target(target: str, dossier) -> tuple:
    """(document or None, kind) the files are attached to: the dossier, its result, or one of
    its documents (404 for another dossier's)."""
    if target == "result":
        return None, "result"
    if target == "dossier":
        return None, "scan"
    number = parse_id(target)
    document = db.session.get(DossierDocument, number) if number else None
    if document is None or document.dossier_id != dossier.id:
        abort(404)
    return document, "scan"


@bp.post("/upload/")
@logged_in
def upload_view():
    form = UploadForm()
    valid = form.validate()
    if not form.dossier_id.data:
        abort(400)  # a body cut short (the client went away): the form never arrived whole
    dossier = readable_dossier(form.dossier_id.data)
    if not can_attach():
        abort(403)
    if not valid:
        flash(gettext("The form could not be read; nothing was stored. Try again."), "error")
        return _back(dossier.id)
    document, kind = _upload_target(form.target.data, dossier)
    uploads = [u for u in request.files.getlist("files") if u is not None and u.filename]
    if not uploads:
        flash(gettext("Choose a PDF, JPEG or PNG file first."), "error")
        return _back(dossier.id)
    checked, refused = df.check_uploads(
        [(u.filename, u.stream) for u in uploads], current_app.settings.upload_max_bytes
    )
    if refused:
        for exc in refused:
            flash(refusal(exc), "error")
        if checked:
            flash(
                gettext("Nothing was stored: send the other files again without the refused ones."),
                "error",
            )
        return _back(dossier.id)
    user = current_user._get_current_object()
    now = clock.now()
    for attempt in (1, 2):
        try:
            df.attach_all(
                db.session,
                dossier,
                checked,
                current_app.settings.files_dir,
                user,
                now,
                document=document,
                kind=kind,
            )
            db.session.commit()
            break
        except df.FileRefused as exc:
            db.session.rollback()
            flash(refusal(exc) + " " + gettext("Nothing was stored."), "error")
            return _back(dossier.id)
        except IntegrityError:
            # The same new content sent twice at once (a double click) on PostgreSQL: the other
            # send stored it first; once more, it is found (and a double send refused).
            db.session.rollback()
            if attempt == 2:
                raise
    flash(ngettext("%(num)s file attached.", "%(num)s files attached.", len(checked)), "success")
    return _back(dossier.id, to_files=True)


@bp.get("/<file_id>/download")
@logged_in
def download_view(file_id):
    attachment = readable_file(file_id)
    stored = attachment.stored
    path = df.path_for(current_app.settings.files_dir, stored.sha256)
    if not path.is_file():
        current_app.logger.error(
            "File %s of attachment %s is missing (flask files check)", stored.sha256, attachment.id
        )
        abort(404)
    # Always as a download, with the type checked at upload (never HTML or SVG); the
    # security headers add nosniff, and no-store for a logged-in user.
    return send_file(
        path,
        mimetype=stored.media_type,
        as_attachment=True,
        download_name=df.download_name(attachment.original_name, stored.media_type),
        conditional=False,
        etag=False,
        max_age=0,
    )


@bp.post("/withdraw/")
@logged_in
def withdraw_view():
    form = WithdrawForm()
    valid = form.validate()
    attachment = readable_file(form.file_id.data)
    if not can_attach():
        abort(403)
    if not valid:
        flash(gettext("Give the reason for withdrawing the file."), "error")
        return _back(attachment.dossier_id)
    try:
        df.withdraw(
            db.session,
            attachment,
            current_user._get_current_object(),
            clock.now(),
            form.reason.data,
        )
        db.session.commit()
    except df.FileRefused as exc:
        db.session.rollback()
        flash(refusal(exc), "error")
        return _back(attachment.dossier_id)
    flash(gettext("The file %(name)s was withdrawn.", name=attachment.original_name), "success")
    return _back(attachment.dossier_id, to_files=True)


def register(admin):
    """Endpoints of the dossier page, not a screen of their own (no menu entry)."""
    admin.app.register_blueprint(bp)
    admin.app.jinja_env.globals["dossier_files"] = page_files
