"""Vietnamese is the default language: every string the code marks for translation has a
Vietnamese translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("**/.venv/**", "ignore"),
    ("tests/**", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}


def _extracted() -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) pairs: one English word with two meanings has a context per meaning."""
    ids = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        ids.add((context, message[0] if isinstance(message, tuple) else message))
    return {(c, i) for c, i in ids if i}


def test_every_string_has_a_vietnamese_translation():
    with open(ROOT / "translations/vi/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    extracted = _extracted()
    assert {(None, "Log in"), (None, "Agencies"), ("salutation", "To")} <= extracted
    missing = sorted(
        (c or "", m)
        for c, m in extracted
        if catalog.get(m, context=c) is None or not catalog.get(m, context=c).string
    )
    assert missing == []
