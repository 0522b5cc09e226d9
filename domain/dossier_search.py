"""What a search of the dossiers looks for (the dossier list; the dossier pickers of payments and
feedback): the accent-free words typed (domain/text.search_words), every one to be found in the
dossier's search text; a procedure code or its start ("1.004616", "1.0046") finds that
procedure's dossiers (views/dossier_columns.search_criterion). A phone number is also looked
for as its digits, which a dossier's search text holds whatever spacing its phone was typed
with (models.Dossier, text.searchable_text): "0912345678" finds a phone typed "0912 345 678",
and "0912 345 678", "0912.345.678" or "+84 912 345 678" find both. What the words alone found
is still found (a dossier code's "190304 0001"): the digits are one more way to match, never
the only one."""

from __future__ import annotations

import re

from domain.text import phone_digits, search_words

PROCEDURE_CODE_START = re.compile(r"^\d{1,2}\.\d{1,6}$")  # a code d.dddddd, or its start

# One criterion of a search: its alternatives, each the words that must all be found.
Term = tuple[tuple[str, ...], ...]


def _as_phone(text: str) -> str | None:
    """The digits of a phone number typed as `text`, unless it reads as a procedure code."""
    return None if PROCEDURE_CODE_START.match(text) else phone_digits(text)


def search_terms(query: str | None) -> list[Term]:
    """The criteria of a search, every one to be met: a whole query that is a phone number is
    one (its words, or its digits); otherwise one per word (a word that is a phone number:
    itself, or its digits)."""
    words = search_words(query)
    whole = _as_phone(" ".join(words)) if words else None
    if whole is not None and len(words) > 1:
        return [(tuple(words), (whole,))]
    terms = []
    for word in words:
        digits = _as_phone(word)
        terms.append(((word,),) if digits in (None, word) else ((word,), (digits,)))
    return terms
