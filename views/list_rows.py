"""The rows of a list page, written in Python: the same HTML as Flask-Admin's template
(admin/model/list.html, block list_row) without a Jinja block, macro and url_for per row and cell.

A list page of 50 dossiers spent most of its time in the rows: per row a checkbox, the view and
edit links (two url_for with the list's return URL encoded in each), eight cells through Jinja's
call machinery. Here the parts that are the same on every row (the links up to the row's id, the
checkbox's label, the action icons) are built once per page, then each row is strings joined.

The cells are the view's own: `get_list_value` (its formatters, type formatters, choices) as the
template calls it; only their assembly is done here. Anything this does not know how to write the
way the template does — an editable column, a row action other than Flask-Admin's view/edit links
or an endpoint link, a popup, a primary key that is not a number — leaves the row to the
template (templates/admin/motcua_list.html, block list_row), which stays the reference: the test
tests/views/test_list_rows.py compares the two on every list screen."""

from __future__ import annotations

import datetime as dt

from flask import g
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import template as row_templates
from jinja2 import pass_context
from markupsafe import Markup, escape

from domain.formatting import format_datetime, utc_to_local
from views.list_cells import ROW_ID, plain_id, url_maker

# The icons of Flask-Admin's row actions (flask_admin/templates/.../model/row_actions.html).
_ENDPOINT_ICONS = {
    row_templates.ViewRowAction: (".details_view", "fa fa-eye glyphicon glyphicon-eye-open"),
    row_templates.EditRowAction: (".edit_view", "fa fa-pencil glyphicon glyphicon-pencil"),
}


class _Link:
    """A row action's link: <a class="icon" href="…" title="…"><span class="…"></span></a>."""

    def __init__(self, url_of, title, icon_class):
        self.url_of = url_of  # row id -> URL (str)
        self.head = Markup('<a class="icon" href="')
        self.tail = Markup('" title="{}"> <span class="{}"></span> </a>').format(
            title or "", icon_class
        )
        # The URL around the id, escaped once (a plain id is digits: nothing to escape)
        parts = getattr(url_of, "parts", None)
        self.around = None if parts is None else tuple(str(escape(p)) for p in parts)

    def html(self, row_id) -> str:
        if self.around is not None and plain_id(row_id):
            return f"{self.head}{self.around[0]}{row_id}{self.around[1]}{self.tail}"
        return f"{self.head}{escape(self.url_of(row_id))}{self.tail}"


# Rows kept written per page (a few pages' worth).
ROWS_KEPT = 200


class _Page:
    """What every row of one list page shares."""

    def __init__(self, view, context):
        resolve = context.resolve
        self.ok = True
        list_columns = resolve("list_columns")
        if any(view.is_editable(c) for c, _ in list_columns):
            self.ok = False
            return
        self.columns = [
            (c, Markup('<td class="col-{}"> ').format(c), *view.list_cell(c, context))
            for c, _ in list_columns
        ]
        # Rows written, by the values they were read with (views/list_select.py), when every
        # cell is written from the row alone: a page form or Flask-Admin's value (no formatter
        # of the screen's own, which might read more). The page is kept per role, language,
        # query and day (views/list_page.py): page 1 seen again writes only its new rows.
        pure = all(
            is_html or (cell is not None and view.column_formatters.get(c) is None)
            for c, _, cell, is_html in self.columns
        )
        self.written = {} if pure else None
        self.checkbox = None
        if resolve("actions"):
            label = escape(resolve("_gettext")("Select record"))
            self.checkbox = (
                '<td> <input type="checkbox" name="rowid" class="action-checkbox" value="',
                f'" title="{label}" aria-label="{label}" /> </td> ',
            )
        self.links = None
        if view.column_display_actions:
            get_url, return_url = resolve("get_url"), resolve("return_url")
            self.links = []
            for action in resolve("list_row_actions"):
                link = self._link(action, get_url, return_url)
                if link is None:
                    self.ok = False
                    return
                self.links.append(link)

    @staticmethod
    def _link(action, get_url, return_url):
        kind = type(action)
        if kind in _ENDPOINT_ICONS:
            endpoint, icon = _ENDPOINT_ICONS[kind]
            url_of = url_maker(get_url, endpoint, {"id": ROW_ID, "url": return_url})
            return _Link(url_of, action.title, icon)
        if kind is row_templates.EndpointLinkRowAction:
            args = {**(action.url_args or {}), action.id_arg: ROW_ID}
            url_of = url_maker(get_url, action.endpoint, args)
            return _Link(url_of, action.title, action.icon_class)
        return None


class ListRowsMixin:
    """`list_row_html(row)` for templates/admin/motcua_list.html: the row's cells as the
    template writes them, or None (the template writes it). `list_rows_in_python = False`
    leaves every row to the template (a screen whose template changes the row's blocks)."""

    list_rows_in_python = True

    def _list_page(self, context) -> _Page:
        pages = g.setdefault("motcua_list_rows", {})
        page = pages.get(self.endpoint)
        if page is None:
            page = pages[self.endpoint] = _Page(self, context)
        return page

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name in self.utc_columns and name not in column_formatters:
            stamp = getattr(model, name, None)
            if isinstance(stamp, dt.datetime):  # stored in UTC; shown on the local clock
                return format_datetime(utc_to_local(stamp))
        # Flask-Admin returns a choice column's raw value when it has no label: an empty
        # value would print "None" in lists and details.
        value = super()._get_list_value(
            context, model, name, column_formatters, column_type_formatters
        )
        return "" if value is None else value

    def list_cell(self, name, context=None):
        """(value(context, model), False) of list column `name`: what get_list_value gives
        (the two _get_list_value above), with what is the same on every row looked up once (the
        formatter, the choices, the type formatter of each type met) — for views/list_rows.py;
        (None, False) when a screen changes how a list value is read (then get_list_value per
        cell); (html(model), True) when the column's formatter has a page form (`page_cells`)."""
        formatter = self.column_formatters.get(name)
        page_cells = getattr(formatter, "page_cells", None)
        if page_cells is not None and context is not None and self._reads_as_flask_admin():
            return page_cells(self, context, name), True
        return self._list_value(name), False

    def _reads_as_flask_admin(self) -> bool:
        return (
            type(self)._get_list_value is ListRowsMixin._get_list_value
            and type(self).get_list_value is ModelView.get_list_value
            and type(self)._get_field_value is ModelView._get_field_value
        )

    def _list_value(self, name):
        if not self._reads_as_flask_admin():
            return None
        formatters, type_formatters = self.column_formatters, self.column_type_formatters
        column_fmt = formatters.get(name)
        choices = self._column_choices_map.get(name, {})
        utc = name in self.utc_columns and name not in formatters
        by_type: dict = {}  # type of a value -> its type formatter (Flask-Admin: isinstance)
        view = self

        def value(context, model):
            if utc:
                stamp = getattr(model, name, None)
                if isinstance(stamp, dt.datetime):
                    return format_datetime(utc_to_local(stamp))
            if column_fmt is not None:
                got = column_fmt(view, context, model, name)
            else:
                got = view._get_field_value(model, name)
            if choices:
                got = choices.get(got) or got
            else:
                kind = type(got)
                if kind not in by_type:
                    by_type[kind] = next(
                        (f for t, f in type_formatters.items() if isinstance(got, t)), None
                    )
                type_fmt = by_type[kind]
                if type_fmt is not None:
                    try:
                        got = type_fmt(view, got, name)
                    except TypeError:  # Flask-Admin's own handling (older two-argument ones)
                        return view.get_list_value(context, model, name)
            return "" if got is None else got

        return value

    @pass_context
    def list_row_html(self, context, row):
        page = self.list_rows_page(context)
        rows = None if page is None else self.list_rows_html(page, context, (row,))
        return None if rows is None else rows[0]

    def list_rows_page(self, context) -> _Page | None:
        """What the rows of this page share (the same for every page of the same role, language
        and query: views/list_page.py keeps it); None when the template writes the rows."""
        if not self.list_rows_in_python:
            return None
        page = self._list_page(context)
        return page if page.ok else None

    def list_rows_kept(self, page: _Page, rows) -> list | None:
        """The HTML of each of `rows` as `page` kept it for the values it was read with; None
        when one of them is not kept (then list_rows_html, with the template's context)."""
        written = page.written
        if written is None:
            return None
        out = []
        for row in rows:
            html = written.get(getattr(row, "row_key", None))
            if html is None:
                return None
            out.append(html)
        return out

    def list_rows_html(self, page: _Page, context, rows) -> list | None:
        """list_row_html of each of `rows` (a page's: views/list_page.py); None when the
        template writes them."""
        out, written = [], page.written
        for row in rows:
            key = getattr(row, "row_key", None) if written is not None else None
            html = None if key is None else written.get(key)
            if html is None:
                row_id = self.get_pk_value(row)
                if not plain_id(row_id):
                    return None
                html = self._row_html(page, context, row, row_id)
                if key is not None:
                    if len(written) >= ROWS_KEPT:
                        written.clear()
                    written[key] = html
            out.append(html)
        return out

    def _row_html(self, page: _Page, context, row, row_id) -> Markup:
        parts = []
        if page.checkbox is not None:
            parts += (page.checkbox[0], str(row_id), page.checkbox[1])
        if page.links is not None:
            parts.append('<td class="list-buttons-column"> ')
            parts.extend(link.html(row_id) + " " for link in page.links)
            parts.append("</td> ")
        for name, head, cell, is_html in page.columns:
            if is_html:
                parts.append(f"{head}{cell(row)} </td> ")
                continue
            value = (
                cell(context, row) if cell is not None else self.get_list_value(context, row, name)
            )
            parts.append(f"{head}{escape(value)} </td> ")
        return Markup("".join(parts))
