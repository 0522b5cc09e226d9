"""Plain domain modules: no HTTP in here, so views, CLI and tests share one implementation."""


def N_(msgid: str) -> str:
    """Marks a msgid for translation without translating it here (no Flask in domain): the
    screen that shows it translates it (pybabel extracts N_ by default)."""
    return msgid
