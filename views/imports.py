"""Imports for administrators: the catalog and dossiers from a previous system.

Flow: upload → dry-run preview (every row: new / changed with the columns / unchanged / error with
the reason) → confirm → result. The uploaded file stays on the server under
instance/imports/<random token> until confirmed or cancelled; confirm reads and validates it again
(nothing from the preview page is trusted) and refuses if the outcome moved since the preview.
All rows are written in one transaction, or none.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import time
from pathlib import Path, PurePath

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField

from domain import catalog_io, dossier_import
from domain.spreadsheet_reader import SpreadsheetError, read_tables
from domain.spreadsheets import new_workbook, write_row
from domain.sql import gather_statistics
from models import db
from views.base import SecureBaseView, SecureForm

# What an import writes (catalog or dossiers): their statistics are refreshed after it.
IMPORTED_TABLES = ("agency", "field", "procedure", "dossier", "dossier_event")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KEEP_SECONDS = 24 * 3600
PREVIEW_DOSSIER_ROWS = 500
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(SecureForm):
    kind = RadioField(
        _l("What to import"),
        default="catalog",
        choices=[
            ("catalog", _l("Catalog (agencies, fields, procedures, fees)")),
            ("dossiers", _l("Dossiers from a previous system")),
        ],
    )
    file = FileField(_l("File (.xlsx, .csv or .zip of .csv)"), validators=[FileRequired()])


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _purge_old(directory: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for item in directory.iterdir():
        if item.stat().st_mtime < cutoff:
            item.unlink(missing_ok=True)


def _load(token: str) -> tuple[dict, bytes]:
    """The stored upload of this token, only for the admin who uploaded it."""
    if not TOKEN.match(token or ""):
        abort(404)
    directory = _upload_dir()
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.bin"
    if not meta_path.exists() or not data_path.exists():
        abort(404)
    meta = json.loads(meta_path.read_text())
    if meta.get("user_id") != current_user.id:
        abort(404)
    return meta, data_path.read_bytes()


def _discard(token: str) -> None:
    directory = _upload_dir()
    for suffix in (".json", ".bin"):
        (directory / f"{token}{suffix}").unlink(missing_ok=True)


def _lang() -> str:
    return "vi" if str(get_locale()) == "vi" else "en"


def _plan(meta: dict, data: bytes, apply: bool):
    """Read and validate the stored file; (plan, None) or (None, file-level issue)."""
    try:
        tables = read_tables(data, meta["filename"], current_app.settings.import_limits)
    except SpreadsheetError as exc:
        return None, exc.issue
    if meta["kind"] == "catalog":
        strict = meta["filename"].lower().endswith((".csv", ".zip"))
        return catalog_io.import_catalog(db.session, tables, apply=apply, strict_names=strict), None
    return dossier_import.import_dossiers(
        db.session,
        tables,
        apply=apply,
        user_id=current_user.id,
        unit_code=current_app.settings.receiving_unit_code,
        hours=current_app.settings.working_hours_parsed,
    ), None


class ImportView(SecureBaseView):
    read_roles = ("admin",)

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = UploadForm()
        if form.validate_on_submit():
            upload = form.file.data
            filename = PurePath(upload.filename or "upload").name[:200]
            token = secrets.token_urlsafe(24)
            directory = _upload_dir()
            _purge_old(directory)
            upload.save(directory / f"{token}.bin")
            (directory / f"{token}.json").write_text(
                json.dumps(
                    {"kind": form.kind.data, "filename": filename, "user_id": current_user.id}
                )
            )
            return redirect(url_for(".preview", token=token))
        return self.render("admin/imports/index.html", form=form)

    @expose("/preview/<token>")
    def preview(self, token):
        meta, data = _load(token)
        plan, file_issue = _plan(meta, data, apply=False)
        db.session.rollback()
        return self.render(
            "admin/imports/preview.html",
            meta=meta,
            token=token,
            plan=plan,
            file_issue=file_issue,
            lang=_lang(),
            entity_vi=catalog_io.ENTITY_VI,
            dossier_rows_shown=PREVIEW_DOSSIER_ROWS,
        )

    @expose("/confirm/<token>", methods=["POST"])
    def confirm(self, token):
        meta, data = _load(token)
        plan, file_issue = _plan(meta, data, apply=False)
        if file_issue is not None or not plan.ok:
            db.session.rollback()
            return redirect(url_for(".preview", token=token))
        if plan.digest() != request.form.get("digest"):
            db.session.rollback()
            flash(
                _("The data changed since the preview; please check the preview again."), "warning"
            )
            return redirect(url_for(".preview", token=token))
        try:
            plan, file_issue = _plan(meta, data, apply=True)
            if file_issue is not None or not plan.ok or not plan.applied:
                raise RuntimeError("the import did not validate at write time")
            db.session.commit()
        except Exception:  # noqa: BLE001 - nothing is written; the admin sees why on the preview
            db.session.rollback()
            current_app.logger.exception("import failed")
            flash(_("The import failed; nothing was written."), "error")
            return redirect(url_for(".preview", token=token))
        _discard(token)
        gather_statistics(db.session, IMPORTED_TABLES)  # the planner sees the new rows
        db.session.commit()
        return self.render("admin/imports/result.html", meta=meta, plan=plan)

    @expose("/cancel/<token>", methods=["POST"])
    def cancel(self, token):
        _load(token)
        _discard(token)
        flash(_("The uploaded file was discarded; nothing was written."), "info")
        return redirect(url_for(".index"))

    @expose("/template/<filename>")
    def template(self, filename):
        """Empty files with the right header rows, for the admin to fill in."""
        buffer = io.BytesIO()
        if filename == "catalog.xlsx":
            catalog_io.export_catalog_xlsx(db.session, buffer, empty=True)
        elif filename == "catalog.zip":
            catalog_io.export_catalog_zip(db.session, buffer, empty=True)
        elif filename == "dossiers.xlsx":
            dossier_template_xlsx(buffer)
        elif filename == "dossiers.csv":
            buffer.write(b"\xef\xbb\xbf" + ",".join(dossier_import.COLUMNS).encode() + b"\r\n")
        else:
            abort(404)
        return _download(buffer, f"mau-{filename}")

    @expose("/export/<filename>")
    def export(self, filename):
        buffer = io.BytesIO()
        if filename == "catalog.xlsx":
            catalog_io.export_catalog_xlsx(db.session, buffer)
        elif filename == "catalog.zip":
            catalog_io.export_catalog_zip(db.session, buffer)
        else:
            abort(404)
        return _download(buffer, f"danh-muc-{filename}")


def _download(buffer: io.BytesIO, filename: str):
    buffer.seek(0)
    mimetype = {"xlsx": XLSX_MIME, "zip": "application/zip", "csv": "text/csv"}[
        filename.rsplit(".", 1)[1]
    ]
    return send_file(buffer, mimetype=mimetype, as_attachment=True, download_name=filename)


def dossier_template_xlsx(target) -> None:
    workbook = new_workbook(target)
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("dossiers")
    write_row(
        sheet,
        0,
        list(dossier_import.COLUMNS),
        {i: bold for i in range(len(dossier_import.COLUMNS))},
    )
    notes = workbook.add_worksheet(catalog_io.NOTES_SHEET)
    write_row(
        notes, 0, ["cột (column)", "bắt buộc", "ý nghĩa / giá trị"], {0: bold, 1: bold, 2: bold}
    )
    for row, name in enumerate(dossier_import.COLUMNS, start=1):
        write_row(
            notes,
            row,
            [
                name,
                "có" if name in dossier_import.REQUIRED else "",
                dossier_import.COLUMN_HELP[name],
            ],
        )
    workbook.close()


def register(admin):
    admin.add_view(
        ImportView(
            name=_l("Import and export"),
            category=_l("Administration"),
            endpoint="imports",
            url="/imports",
        )
    )
