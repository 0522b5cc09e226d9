"""A list page written once per role, screen, language and query, then filled on each page:
the parts that change with the rows (the rows, the count above them, the pager), with the user
(their name) or with the request (its CSP nonce, its CSRF token, the filter choices' kept JSON)
are holes in a text kept per view.

Flask-Admin's list template costs several milliseconds a page without a single row: its menus,
filter form, sort links (a url_for each), actions, static URLs and scripts, translated anew on
every page. Once written for a (role, agencies, language, path and query, row count, day) the
page is that text again but for its holes; the rows are views/list_rows.py's.

The template stays the reference: a page is kept only when nothing in it is the user's own
beyond the holes (no flashed message, no form draft) and every row is written by the view; the
page as kept equals the page the template writes (tests/views/test_list_page.py, every list
screen and role)."""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict

from flask import current_app, g, request, session
from flask_admin import babel as admin_babel
from flask_admin import helpers as admin_helpers
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2.environment import TemplateModule
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from domain import clock
from views import page_parts
from views.access import own_agency_ids
from views.idle import idle_seconds

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


class _Kept:
    """One kept page: its text split at the holes (text as UTF-8, hole name, text, ...), the
    settings it was written with (held: their id in the key stays theirs), and what its rows
    share (their links up to the row's id, the cells' formatters).

    The page is kept and filled as bytes: a page of Vietnamese text is not ASCII, and encoding
    its 250 KB (the filter choices' JSON, the rows) on every page cost about a fifth of it."""

    def __init__(self, parts: tuple, settings):
        self.parts = parts
        self.holes = frozenset(parts[1::2])
        self.settings = settings
        self.rows_page = None  # what its rows share (views/list_rows.py), once it had rows
        self.written: dict = {}  # (macro, what it reads beyond the key) -> its text, encoded
        self.rows: dict = {}  # a row's HTML (views/list_rows.py keeps it) -> its <tr>, encoded

    def part(self, parts: _Parts, name: str, reads) -> bytes:
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


class KeptListPageMixin:
    """`render` of the list template through a kept page (put it before the model view in the
    bases). `keep_list_pages = False` writes every page with the template."""

    keep_list_pages = True

    def action_form(self, obj=None):
        if obj is not None or request.endpoint != f"{self.endpoint}.index_view":
            return super().action_form(obj)
        # The list's own: made when the template writes it (a kept page has it already).
        made = []
        make = super().action_form

        def form():
            if not made:
                made.append(make())
            return made[0]

        return LocalProxy(form)

    def render(self, template, **kwargs):
        if template == self.list_template and self.keep_list_pages and "data" in kwargs:
            html = _kept_page(self, template, kwargs)
            if html is not None:
                return html
        return super().render(template, **kwargs)


def _context(view, kwargs: dict) -> dict:
    """The template's context as BaseView.render and Flask's render_template make it."""
    admin = view.admin
    context = dict(kwargs)
    context.update(
        admin_view=view,
        admin_base_template=admin.theme.base_template,
        admin_csp_nonce_attribute=(
            Markup(f'nonce="{admin.csp_nonce_generator()}"') if admin.csp_nonce_generator else ""
        ),
        _gettext=admin_babel.gettext,
        _ngettext=admin_babel.ngettext,
        h=admin_helpers,
        get_url=view.get_url,
        config=current_app.config,
        theme=admin.theme,
    )
    context.update(view._template_args)
    current_app.update_template_context(context)
    return context


def _key(view, template: str, kwargs: dict) -> tuple:
    """What the page's text depends on besides its holes."""
    by_role = page_parts._menus_of(view.admin) is not None
    return (
        template,
        current_user.role if by_role else current_user.get_id(),
        current_user.role,
        tuple(own_agency_ids() or ()),
        str(get_locale()),
        request.script_root,
        request.path,
        request.query_string,
        kwargs.get("count"),
        kwargs.get("num_pages"),
        bool(kwargs["data"]),
        # The filter choices (their menu is in the page), by content: read again once a
        # minute (domain/catalog_cache.py), the same choices keep the page.
        page_parts.filter_groups_digest(kwargs.get("filter_groups")),
        clock.today(),
        id(current_app.settings),
        idle_seconds(),
    )


def _keepable() -> bool:
    """Nothing on the page is this request's own but the holes: no message to show (the
    template takes them from the session), no form draft to fill in."""
    return (
        current_user.is_authenticated
        and not session.get("_flashes")
        and g.get("form_draft") is None
    )


def _kept_page(view, template: str, kwargs: dict) -> bytes | None:
    """The page (UTF-8) from its kept text and this request's holes; None: the template writes
    it."""
    if not _keepable():
        return None
    made: list = []

    def context() -> dict:  # the template's, made only when something is written
        if not made:
            made.append(_context(view, kwargs))
        return made[0]

    jinja_template = current_app.jinja_env.get_or_select_template(template)
    kept = _lookup(view, template, kwargs)
    rows, rows_page = [], None if kept is None else kept.rows_page
    if kwargs["data"]:  # (no rows: the template's message, whoever writes the rows)
        if not view.list_rows_in_python:
            return None
        rows = view.list_rows_kept(rows_page, kwargs["data"]) if rows_page else None
        if rows is None:
            row_context = jinja_template.new_context(context())
            rows_page = rows_page or view.list_rows_page(row_context)
            if rows_page is None:
                return None
            rows = view.list_rows_html(rows_page, row_context, kwargs["data"])
        if rows is None:
            return None
    if kept is None:
        kept = _write(view, jinja_template, context(), kwargs)
    kept.rows_page = kept.rows_page or rows_page
    parts = _Parts(current_app.jinja_env, context)
    keyset = g.get("motcua_keyset")
    nonce = view.admin.csp_nonce_generator
    values = {
        "rows": kept.rows_html(rows),
        "count": kept.part(parts, "count_text", g.get("motcua_list_count")),
        "pager": kept.part(
            parts,
            "pager",
            (tuple(sorted(keyset.items())) if keyset else None, len(kwargs["data"])),
        ),
        "user": escape(current_user.full_name).encode(),
        "filters": page_parts.filter_groups_bytes(kwargs.get("filter_groups")),
        # (the template's context makes it: made here when the page needs none of it)
        "nonce": nonce().encode() if nonce else b"",
    }
    if "csrf" in kept.holes:  # Flask-WTF's token of this request (made once, if the page has it)
        values["csrf"] = generate_csrf().encode()
    out = kept.parts
    return b"".join(out[i] if i % 2 == 0 else values[out[i]] for i in range(len(out)))


class _Parts:
    """The macros of templates/admin/motcua_list_parts.html with the page's context."""

    def __init__(self, env, context):
        self.env, self.context, self.module = env, context, None  # context(): the page's

    def macro(self, name: str):
        if self.module is None:
            template = self.env.get_template("admin/motcua_list_parts.html")
            self.module = TemplateModule(template, template.new_context(self.context()))
        return getattr(self.module, name)()


_lock = threading.Lock()
# Per view: its kept pages, the least recently used first.
_pages: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _kept_of(view) -> OrderedDict:
    kept = _pages.get(view)
    if kept is None:
        kept = _pages.setdefault(view, OrderedDict())
    return kept


def clear() -> None:
    """Forget every kept page (tests: another test's screens)."""
    with _lock:
        _pages.clear()


def _lookup(view, template: str, kwargs: dict) -> _Kept | None:
    key = _key(view, template, kwargs)
    g.motcua_kept_key = key
    with _lock:
        kept = _kept_of(view).get(key)
        if kept is not None:
            _kept_of(view).move_to_end(key)
    if kept is None:
        return None
    if kept.settings is not current_app.settings:
        return None
    return kept


def _write(view, jinja_template, context: dict, kwargs: dict) -> _Kept:
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
    kept = _Kept(tuple(parts), current_app.settings)
    with _lock:
        pages = _kept_of(view)
        pages[g.motcua_kept_key] = kept
        while len(pages) > KEPT_PER_VIEW:
            pages.popitem(last=False)
    return kept
