"""Vietnamese is the default language: every string the code marks for translation has a
Vietnamese translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
METHODS = [("**/.venv/**", "ignore"), ("tests/**", "ignore"), ("**.py", "python"),
           ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _extracted() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, strip_comment_tags=True):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return {i for i in ids if i}


def test_every_string_has_a_vietnamese_translation():
    with open(ROOT / "translations/vi/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    extracted = _extracted()
    assert {"Log in", "Agencies", "Due date"} <= extracted  # the extraction itself works
    missing = sorted(m for m in extracted if m not in catalog or not catalog[m].string)
    assert missing == []
