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

import math
from urllib.parse import quote_plus

from flask import current_app, g, request, session
from flask_admin import babel as admin_babel
from flask_admin import expose
from flask_admin import helpers as admin_helpers
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from domain import clock
from views import kept_pages, page_parts
from views.access import own_agency_ids
from views.idle import idle_seconds


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

    @expose("/")
    def index_view(self):
        """Flask-Admin's list view, its page served from the kept text when all of it is kept:
        the list read as Flask-Admin reads it (its arguments, the view's get_list), then the
        kept page filled, without the rest of Flask-Admin's work for the template (its
        actions, row actions, URLs, translated texts: in the kept text already). Otherwise
        Flask-Admin's index_view writes the page, with the list already read."""
        if not (self.keep_list_pages and _keepable()):
            return super().index_view()
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        page_size = self.get_safe_page_size(args.page_size)
        read = self.get_list(
            args.page,
            sort[0] if sort is not None else None,
            args.sort_desc,
            args.search,
            args.filters,
            page_size=page_size,
        )
        count, data = read
        if not self.column_editable_list:
            # The values of the page's key that index_view would pass to render.
            if count is not None and page_size:
                num_pages = math.ceil(count / float(page_size))
            else:
                num_pages = None if page_size else 0
            kwargs = {
                "data": data,
                "count": count,
                "num_pages": num_pages,
                "filter_groups": self._get_filter_groups(),
            }
            html = _kept_page(self, self.list_template, kwargs, write=False)
            if html is not None:
                return html
        # (Flask-Admin's own function: its exposed wrapper would check access again and call
        # it with the view itself)
        index_view = super().index_view.__func__
        return getattr(index_view, "__wrapped__", index_view)(_ListRead(self, read))

    def render(self, template, **kwargs):
        if template == self.list_template and self.keep_list_pages and "data" in kwargs:
            html = _kept_page(self, template, kwargs)
            if html is not None:
                return html
            _share_kept_rows(self, template, kwargs)
        return super().render(template, **kwargs)


class _ListRead:
    """The view as Flask-Admin's index_view sees it once the list is read: its get_list answers
    the count and rows already read (not read twice), everything else is the view's."""

    def __init__(self, view, read: tuple):
        self._view, self._read = view, read

    def get_list(self, *args, **kwargs):
        return self._read

    def __getattr__(self, name):
        return getattr(self._view, name)


class _Unkept(Exception):
    """Part of the page is not kept and write=False: the template is to write it."""


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


def _rows_key(view, template: str) -> tuple:
    """What the page's rows depend on besides their values (views/list_rows.py: their links,
    columns, labels): not the count, the pager or the filter choices, which change with a new
    row while the rows already written stay the same."""
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
        clock.today(),
        id(current_app.settings),
    )


def _key(view, template: str, kwargs: dict) -> tuple:
    """What the page's text depends on besides its holes."""
    return (
        *_rows_key(view, template),
        kwargs.get("count"),
        kwargs.get("num_pages"),
        bool(kwargs["data"]),
        # The filter choices (their menu is in the page), by content: read again once a
        # minute (domain/catalog_cache.py), the same choices keep the page.
        page_parts.filter_groups_digest(kwargs.get("filter_groups")),
        idle_seconds(),
    )


def _share_kept_rows(view, template: str, kwargs: dict) -> None:
    """A page the template writes whole (a message to show, a form draft) writes its rows with
    what is kept of them (views/list_rows.py): the rows it writes are kept for the next page,
    those kept are not written again. (The first list page after an intake shows its message:
    without this, the page after it wrote every new row again.)"""
    if not (current_user.is_authenticated and kwargs["data"] and view.list_rows_in_python):
        return
    rows_page = kept_pages.rows_page(view, _rows_key(view, template))
    if rows_page is not None:
        g.setdefault("motcua_list_rows", {})[view.endpoint] = rows_page


def _keepable() -> bool:
    """Nothing on the page is this request's own but the holes: no message to show (the
    template takes them from the session), no form draft to fill in."""
    return (
        current_user.is_authenticated
        and not session.get("_flashes")
        and g.get("form_draft") is None
    )


def _kept_page(view, template: str, kwargs: dict, write: bool = True) -> bytes | None:
    """The page (UTF-8) from its kept text and this request's holes; None: the template writes
    it. write=False: None as soon as any part of it would be written (`kwargs` then holds only
    what the page's key reads: data, count, num_pages, filter_groups)."""
    if not _keepable():
        return None
    made: list = []

    def context() -> dict:  # the template's, made only when something is written
        if not write:
            raise _Unkept
        if not made:
            made.append(_context(view, kwargs))
        return made[0]

    try:
        return _fill(view, template, kwargs, context)
    except _Unkept:
        return None


def _fill(view, template: str, kwargs: dict, context) -> bytes | None:
    """The kept page filled; context(): the template's, when a part must be written."""
    jinja_template = current_app.jinja_env.get_or_select_template(template)
    key = _key(view, template, kwargs)
    kept = kept_pages.lookup(view, key)
    rows_key = _rows_key(view, template)
    rows, rows_page = [], kept_pages.rows_page(view, rows_key)
    if kwargs["data"]:  # (no rows: the template's message, whoever writes the rows)
        if not view.list_rows_in_python:
            return None
        rows = view.list_rows_kept(rows_page, kwargs["data"]) if rows_page else None
        if rows is None and rows_page is not None and rows_page.written is not None:
            # Every cell written from its row alone (list_rows.py): a new row needs no context.
            rows = view.list_rows_html(rows_page, None, kwargs["data"])
        if rows is None:
            row_context = jinja_template.new_context(context())
            if rows_page is None:
                rows_page = view.list_rows_page(row_context)
                if rows_page is None:
                    return None
                kept_pages.keep_rows_page(view, rows_key, rows_page)
            rows = view.list_rows_html(rows_page, row_context, kwargs["data"])
        if rows is None:
            return None
    if kept is None:
        kept = kept_pages.write(view, key, jinja_template, context(), kwargs)
    parts = kept_pages.ListParts(current_app.jinja_env, context)
    keyset = g.get("motcua_keyset")
    nonce = view.admin.csp_nonce_generator
    values = {
        "rows": kept.rows_html(rows),
        "count": kept.part(parts, "count_text", g.get("motcua_list_count")),
        "pager": _pager(kept, parts, keyset, len(kwargs["data"])),
        "user": escape(current_user.full_name).encode(),
        "filters": page_parts.filter_groups_bytes(kwargs.get("filter_groups")),
        # (the template's context makes it: made here when the page needs none of it)
        "nonce": nonce().encode() if nonce else b"",
    }
    if "csrf" in kept.holes:  # Flask-WTF's token of this request (made once, if the page has it)
        values["csrf"] = page_parts.csrf_token().encode()
    out = kept.parts
    return b"".join(out[i] if i % 2 == 0 else values[out[i]] for i in range(len(out)))


# The keyset pager's cursors as written in a kept pager (letters only: URL-encoding and HTML
# escaping leave them as they are).
_CURSOR_MARKS = {"next": "motcuaNextCursor", "prev": "motcuaPrevCursor"}


def _pager(kept, parts, keyset: dict | None, rows: int) -> bytes:
    """The pager (views/listing.py KeysetPagingMixin): kept by its links' shape (the page's
    number, which cursors it has) with marks for the cursors, then this page's cursors put in
    their place, as `keyset_links` writes them (URL-encoded). A page 1 whose first rows are new
    has new cursors, not a new pager."""
    if not keyset:
        return kept.part(parts, "pager", (None, rows))
    shape = tuple(
        sorted((k, v if k not in _CURSOR_MARKS else v is not None) for k, v in keyset.items())
    )
    g.motcua_keyset = {
        k: _CURSOR_MARKS[k] if k in _CURSOR_MARKS and v is not None else v
        for k, v in keyset.items()
    }
    try:
        text = kept.part(parts, "pager", (shape, rows))
    finally:
        g.motcua_keyset = keyset
    for name, mark in _CURSOR_MARKS.items():
        if keyset.get(name) is not None:
            text = text.replace(mark.encode(), quote_plus(keyset[name]).encode())
    return text
