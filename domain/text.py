"""Text normalisation: tidying what people type or import, and accent- and case-insensitive
search."""

import re
import unicodedata


def normalize_search(text: str | None) -> str:
    """Lower-case, strip Vietnamese diacritics ("Đăng ký" -> "dang ky"), collapse spaces."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def clean_text(text: str) -> str:
    """Text as typed in a form or read from an imported file, tidied the one way both use:
    Unicode NFC, line breaks as LF (browsers send CR LF), no surrounding whitespace (a name
    pasted with a leading tab would otherwise be a different name on re-import)."""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


# A search uses its first words only: each word is one more LIKE, and SQLite refuses a query of
# about a thousand of them ("Expression tree is too large").
MAX_SEARCH_WORDS = 10


def search_words(text: str | None) -> list[str]:
    """The normalised words a search looks for, at most MAX_SEARCH_WORDS of them."""
    return normalize_search(text).split()[:MAX_SEARCH_WORDS]


_PHONE = re.compile(r"\+?[0-9 .\-()]+")


def is_phone_number(text: str) -> bool:
    """A phone number as people write it: 8 to 15 digits (0912 345 678, 0205.3871.234,
    +84 912 345 678), with spaces, dots, dashes, brackets and a leading +."""
    text = text.strip()
    return bool(_PHONE.fullmatch(text)) and 8 <= sum(c in "0123456789" for c in text) <= 15


def phone_digits(text: str | None) -> str | None:
    """A phone number as its digits, dialled from Vietnam: "0912 345 678", "0912.345.678" ->
    "0912345678"; "+84 912 345 678" (or 84912345678) -> "0912345678". None when the text is
    not a phone number (is_phone_number)."""
    text = (text or "").strip()
    if not is_phone_number(text):
        return None
    digits = "".join(c for c in text if c in "0123456789")
    if text.startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits


# A phone number inside a longer text ("0912 345 678 / 0205.3871.234").
_PHONE_RUN = re.compile(r"\+?[0-9][0-9 .\-()]*[0-9]")


def phone_numbers_in(text: str | None) -> list[str]:
    """The digits (phone_digits) of every phone number written in `text`, once each."""
    found = (phone_digits(m.group()) for m in _PHONE_RUN.finditer(text or ""))
    return list(dict.fromkeys(d for d in found if d))


def searchable_text(values, phones=()) -> str:
    """The accent-free text a row is searched in (models.SearchableMixin): its `values`
    normalised, then the digits of each phone number among `phones` that are not a word of it
    already — "0912 345 678" is found by 0912345678, "+84 912 345 678" by 0912345678."""
    text = normalize_search(" ".join(str(v or "") for v in values))
    words = set(text.split())
    extra = [d for p in phones for d in phone_numbers_in(p) if d not in words]
    return " ".join(w for w in (text, *dict.fromkeys(extra)) if w)
