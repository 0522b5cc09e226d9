"""Usernames (canbo.tuphap, lanhdao): stored in lower case and unique whatever the case —
"Canbo.TuPhap2" is the account canbo.tuphap2, not a second one, and logs in as it. The one rule
of the user screen (views/users.py), the login form and its limiter (views/auth.py),
`flask users create` (cli.py) and every write of User.username (models.py), kept by the
database too: a unique index on lower(username) (migration 0026)."""

from __future__ import annotations

from domain.text import clean_text


def normalize_username(text: str | None) -> str | None:
    """A username as stored and looked up: tidied as any typed text (domain.text.clean_text:
    Unicode NFC, no surrounding spaces) and in lower case, " Canbo.TuPhap2 " -> "canbo.tuphap2".
    None stays None, a blank stays blank (the forms say it is required)."""
    if text is None:
        return None
    return clean_text(str(text)).lower()
