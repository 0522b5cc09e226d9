"""Agency codes (SNV, STP, SGTVT): written in capitals, and unique whatever the case — "stp"
is the code STP, not a second agency. The one rule of the agency form (views/catalog.py), the
catalog import (domain/catalog_io.py) and every write of Agency.code (models.py), kept by the
database too: a unique index on upper(code) (migration 0024)."""

from __future__ import annotations

from domain.text import clean_text


def agency_code(text: str | None) -> str | None:
    """An agency code as stored: tidied as any typed text (domain.text.clean_text) and in
    capitals, " stp" -> "STP". None stays None, a blank stays blank (the form and the import
    say it is required)."""
    if text is None:
        return None
    return clean_text(str(text)).upper()
