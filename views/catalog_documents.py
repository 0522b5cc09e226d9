"""The documents a procedure asks for, on the procedure form: the inline list "Thêm giấy tờ" and
the numbers (STT) of its rows. A new row gets the next number in the browser (data-next-number,
static/motcua.js); on save, a number left blank gets the next free one and a number given twice
is refused on its row; the rule: domain/procedure_documents.py."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from domain import procedure_documents
from models import ProcedureDocument, db
from views import labels

DOCUMENTS_INLINE = (
    ProcedureDocument,
    {
        # The checklist the clerk ticks at intake, in this order.
        "form_columns": ("id", "position", "name", "kind", "copies", "required"),
        "column_labels": dict(
            labels.LABELS, position=_l("No."), name=_l("Document"), required=_l("Required")
        ),
        "form_choices": {"kind": labels.choices(labels.DOCUMENT_KINDS)},
        "form_args": {
            "position": {
                # Blank: the next free number on save.
                "validators": [Optional(), NumberRange(min=1, max=999)],
                "render_kw": {"data-next-number": ""},
            },
            "copies": {"validators": [NumberRange(min=1, max=99)], "default": 1},
        },
    },
)


class DocumentNumbersMixin:
    """ProcedureView's documents: each its own number, checked before anything is written and
    stored without meeting the unique constraint half way (`store_document_positions`, called by
    the view's on_model_change)."""

    def validate_form(self, form):
        valid = super().validate_form(form)
        documents = getattr(form, "documents", None)
        if request.method != "POST" or documents is None:
            return valid
        rows = [
            entry.form
            for entry in documents.entries
            if not documents.should_delete(entry) and not entry.form.position.errors
        ]
        numbers, clashes = procedure_documents.settle_positions([r.position.data for r in rows])
        for row, number in zip(rows, numbers, strict=True):
            row.position.data = number
        for row, earlier in clashes:
            message = gettext(
                procedure_documents.POSITION_TAKEN,
                position=numbers[row],
                other=rows[earlier].name.data or "",
            )
            rows[row].position.errors = [*rows[row].position.errors, message]
            flash(message, "error")
        return valid and not clashes

    @staticmethod
    def store_document_positions(model) -> None:
        procedure_documents.store_positions(db.session, model)
