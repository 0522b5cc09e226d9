"""The kept list pages of views/list_page.py: each page's text split at its holes and kept per
view (the least recently used dropped first), with what was written for its parts (the count,
the pager) and its rows, encoded."""

from __future__ import annotations

import re

from flask import current_app, g
from jinja2.environment import TemplateModule
from markupsafe import Markup

from views.per_view import PerView

# "\x00" never appears in a rendered page (Jinja output of text and escaped values).
_HOLE = "\x00motcua:{}\x00"
_HOLES = re.compile("\x00motcua:([a-z]+)\x00")
# The rows' hole sits in the one <tr> the template writes for it: the rows bring their own.
_ROWS = re.compile(r"<tr>\s*(\x00motcua:rows\x00)\s*</tr>")
# Pages kept per view (the least recently used go first).
KEPT_PER_VIEW = 32
# Counts and pagers kept per kept page (the pager changes with its rows' cursors).
PARTS_PER_PAGE = 8
# Rows kept encoded per kept page (views/list_rows.py keeps their text: ROWS_KEPT per screen).
ROWS_ENCODED = 1000


class KeptPage:
    """One kept page: its text split at the holes (text as UTF-8, hole name, text, ...) and the
    settings it was written with (held: their id in the key stays theirs).

    The page is kept and filled as bytes: a page of Vietnamese text is not ASCII, and encoding
    its 250 KB (the filter choices' JSON, the rows) on every page cost about a fifth of it."""

    def __init__(self, parts: tuple, settings):
        self.parts = parts
        self.holes = frozenset(parts[1::2])
        self.settings = settings
        self.written: dict = {}  # (macro, what it reads beyond the key) -> its text, encoded
        self.rows: dict = {}  # a row's HTML (views/list_rows.py keeps it) -> its <tr>, encoded

    def part(self, parts: ListParts, name: str, reads) -> bytes:
        """The macro `name` of the list's parts as written for `reads`: the count and the pager
        read nothing of the request beyond the page's key but the count found
        (g.motcua_list_count), the pager's cursors (g.motcua_keyset) and the rows' number. A
        page 1 keeps its pager until a new row comes first."""
        key = (name, reads)
        text = self.written.get(key)
        if text is None:
            text = parts.macro(name).encode()
            if len(self.written) >= PARTS_PER_PAGE:
                self.written.clear()
            self.written[key] = text
        return text

    def rows_html(self, rows) -> bytes:
        """The rows' <tr>s: each row's HTML as kept by views/list_rows.py (the same text for the
        same values read) encoded once."""
        encoded, out = self.rows, []
        for html in rows:
            row = encoded.get(html)
            if row is None:
                row = f"<tr> {html} </tr> ".encode()
                if len(encoded) >= ROWS_ENCODED:
                    encoded.clear()
                encoded[html] = row
            out.append(row)
        return b"".join(out)


class ListParts:
    """The macros of templates/admin/motcua_list_parts.html with the page's context."""

    def __init__(self, env, context):
        self.env, self.context, self.module = env, context, None  # context(): the page's

    def macro(self, name: str):
        if self.module is None:
            template = self.env.get_template("admin/motcua_list_parts.html")
            self.module = TemplateModule(template, template.new_context(self.context()))
        return getattr(self.module, name)()


# Per view: its kept pages, the least recently used dropped first; and what the rows of its
# pages share (views/list_rows.py: their links up to the row's id, the cells' formatters, the
# rows written), kept apart: a page's count, pager and filter choices change with a new row,
# its rows already written do not.
_pages = PerView(KEPT_PER_VIEW)
_rows_pages = PerView(KEPT_PER_VIEW)


def clear() -> None:
    """Forget every kept page (tests: another test's screens)."""
    _pages.clear()
    _rows_pages.clear()


def rows_page(view, key: tuple):
    """What the rows of the pages of `key` (views/list_page.py _rows_key) share, once kept with
    the app's settings."""
    kept = _rows_pages.lookup(view, key)
    if kept is None or kept[0] is not current_app.settings:
        return None
    return kept[1]


def keep_rows_page(view, key: tuple, page) -> None:
    _rows_pages.keep(view, key, (current_app.settings, page))


def lookup(view, key: tuple) -> KeptPage | None:
    """The page kept for `key` (views/list_page.py _key), written with the app's settings."""
    kept = _pages.lookup(view, key)
    if kept is None or kept.settings is not current_app.settings:
        return None
    return kept


def write(view, key: tuple, jinja_template, context: dict, kwargs: dict) -> KeptPage:
    """The page written by the template with markers for its holes, and kept."""
    holes = {name: Markup(_HOLE.format(name)) for name in ("count", "pager", "user")}
    html = jinja_template.render(
        {
            **context,
            "motcua_holes": holes,
            "data": [Markup(_HOLE.format("rows"))] if kwargs["data"] else [],
            "filter_groups_json": lambda groups: Markup(_HOLE.format("filters")),
        }
    )
    nonce = g.get("csp_nonce")
    if nonce:
        html = html.replace(nonce, _HOLE.format("nonce"))
    token = g.get("csrf_token")  # Flask-WTF's token of this request, once made
    if token:
        html = html.replace(token, _HOLE.format("csrf"))
    html = _ROWS.sub(r"\1", html)
    parts = _HOLES.split(html)
    parts[::2] = [text.encode() for text in parts[::2]]
    kept = KeptPage(tuple(parts), current_app.settings)
    _pages.keep(view, key, kept)
    return kept
