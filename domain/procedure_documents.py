"""The documents a procedure asks for, as structured rows (issue 14): what the free text of
`Procedure.required_documents` becomes, once, in migration 0009 and in the demo seed.

No Flask here."""

from __future__ import annotations

from domain.public_catalog import document_list
from domain.text import clean_text, normalize_search

NAME_MAX = 500

# How the catalogs word the kind of a paper at the start of its line (compared without accents).
_KIND_PREFIXES = (
    ("ban sao co chung thuc", "certified_copy"),
    ("ban sao chung thuc", "certified_copy"),
    ("ban sao", "copy"),
)
# "(nếu có)" / "(if any)": the paper is asked for only in some cases.
_OPTIONAL_MARKS = ("neu co", "truong hop")


def documents_from_text(text: str | None) -> list[dict]:
    """One document per line (or per ";" — as the published catalogs separate them), in the
    text's order: {position, name, kind, copies, required}. The kind is read from the wording
    ("Bản sao có chứng thực …", "Bản sao …"), otherwise an original; one copy; required unless
    the line says "(nếu có)" or "trường hợp"."""
    documents = []
    for line in document_list(text):
        name = clean_text(line)
        if not name:
            continue
        plain = normalize_search(name)
        kind = next((k for prefix, k in _KIND_PREFIXES if plain.startswith(prefix)), "original")
        documents.append(
            {
                "position": len(documents) + 1,
                "name": name[:NAME_MAX],
                "kind": kind,
                "copies": 1,
                "required": not any(mark in plain for mark in _OPTIONAL_MARKS),
            }
        )
    return documents
