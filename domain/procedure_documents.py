"""The documents a procedure asks for, as structured rows (issue 14): what the free text of
`Procedure.required_documents` becomes, once, in migration 0009 and in the demo seed; and the
numbers (STT) of a procedure's documents as its form sends them: each its own, a blank one the
next free number (`settle_positions`), written without meeting the unique constraint half way
(`store_positions`). The catalog import keys a document by procedure code and number, so a number
given twice there is a duplicate key (domain/catalog_io.py).

No Flask here."""

from __future__ import annotations

from sqlalchemy import inspect

from domain import N_
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


# Each of a procedure's documents has its own number (STT; unique in the database too).
POSITION_TAKEN = N_(
    "No. %(position)s is already used for the document “%(other)s”: give each document its own"
    " number."
)


def settle_positions(positions: list[int | None]) -> tuple[list[int], list[tuple[int, int]]]:
    """The numbers of a procedure's documents as its form sends them, in the form's order: a
    number left blank becomes the next free one (after the highest number given, in the rows'
    order). Returns the numbers and the clashes: (row, earlier row) for each row whose number an
    earlier row already has (POSITION_TAKEN)."""
    numbers, clashes, first = [], [], {}
    following = max((p for p in positions if p is not None), default=0) + 1
    for row, position in enumerate(positions):
        if position is None:
            position, following = following, following + 1
        if position in first:
            clashes.append((row, first[position]))
        else:
            first[position] = row
        numbers.append(position)
    return numbers, clashes


def store_positions(session, procedure) -> None:
    """Write a procedure's renumbered documents so that no statement of the flush meets the
    unique (procedure, position) half done: the rows moved to (or added at) a number that
    another row held before this change (two rows swapped, a row deleted and one added in its
    place) go first to a temporary negative number in a flush of their own, and to their
    number at the next flush. Call it after the change is made, before the commit."""
    deleted = [d for d in procedure.documents if d in session.deleted]
    documents = [d for d in procedure.documents if d not in session.deleted]
    held = {_stored_position(d) for d in documents if _moved(d)}
    held |= {_stored_position(d) for d in deleted}
    held.discard(None)
    waiting = [d for d in documents if _moved(d) and d.position in held]
    if not waiting:
        return
    wanted = [d.position for d in waiting]
    for temporary, document in enumerate(waiting, start=1):
        document.position = -temporary
    session.flush()
    for document, position in zip(waiting, wanted, strict=True):
        document.position = position


def _stored_position(document) -> int | None:
    """The number the row has in the database (None for a new row)."""
    state = inspect(document)
    if not state.persistent:
        return None
    history = state.attrs.position.history
    return history.deleted[0] if history.deleted else document.position


def _moved(document) -> bool:
    """A new row, or one whose number changed."""
    state = inspect(document)
    return not state.persistent or state.attrs.position.history.has_changes()
