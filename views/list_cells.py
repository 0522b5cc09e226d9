"""What a list column's formatter uses to write its cells once per page rather than once per
row (views/list_rows.py): its page form (`page_cells`), its labels translated and escaped once,
the link of a row to its record with url_for run once."""

from __future__ import annotations

from flask import g, has_app_context, url_for
from markupsafe import escape

# An id that url_for writes as it is: the link of a row is the page's link with the row's id
# in its place.
ROW_ID = "0motcuarowid0"


def plain_id(row_id) -> bool:
    """An id written as it is in a URL and in HTML: an integer, or its digits (Flask-Admin's
    get_pk_value gives the text of the key)."""
    if type(row_id) is int:
        return True
    return type(row_id) is str and row_id.isascii() and row_id.isdigit()


def url_maker(get_url, endpoint: str, args: dict):
    """row id -> the URL of `endpoint` for that row, `args` its arguments in the template's
    order with ROW_ID where the row's id goes: built once, the id put in its place (a number needs
    no quoting); per row through get_url for anything else."""

    def each(row_id):
        return get_url(endpoint, **{k: row_id if v is ROW_ID else v for k, v in args.items()})

    sample = get_url(endpoint, **args)
    if sample.count(ROW_ID) != 1:
        return each
    head, _, tail = sample.partition(ROW_ID)

    def url_of(row_id):
        if plain_id(row_id):
            return f"{head}{row_id}{tail}"
        return each(row_id)

    url_of.parts = (head, tail)
    return url_of


def page_cells(prepare):
    """Give a column formatter its form for a whole page (views/list_rows.py):
    prepare(view, context, name) -> cell(model) -> the cell's HTML, escaped: what every row
    shares (the labels in the page's language, today, the link up to the id) found once per
    page, not once per row. The formatter itself stays what the template calls; the two write
    the same cells (tests/views/test_list_rows.py)."""

    def mark(formatter):
        formatter.page_cells = prepare
        return formatter

    return mark


def escaped_labels(mapping: dict) -> dict:
    """{key: its label in the request's language, escaped} (see translated)."""
    return {k: str(escape(v)) for k, v in translated(mapping).items()}


def row_link(endpoint: str):
    """row id -> url_for(endpoint, id=row id), escaped for an attribute: url_for once."""
    url_of = url_maker(url_for, endpoint, {"id": ROW_ID})
    head, tail = (str(escape(p)) for p in url_of.parts) if hasattr(url_of, "parts") else ("", "")

    def link(row_id) -> str:
        if head and plain_id(row_id):
            return f"{head}{row_id}{tail}"
        return str(escape(url_of(row_id)))

    return link


def row_url(endpoint: str, row_id) -> str:
    """url_for(endpoint, id=row_id) for a formatter called on every row (a code linked to its
    record): the same URL, url_for run once per request and endpoint."""
    urls = g.setdefault("motcua_row_urls", {})
    url_of = urls.get(endpoint)
    if url_of is None:
        url_of = urls[endpoint] = url_maker(url_for, endpoint, {"id": ROW_ID})
    return url_of(row_id)


def translated(mapping: dict) -> dict:
    """{key: its label in the request's language} of a mapping of lazy labels (statuses,
    channels): each translated once per request, not once per row."""
    if not has_app_context():
        return {k: str(v) for k, v in mapping.items()}
    done = g.setdefault("motcua_translated", {})
    kept = done.get(id(mapping))
    if kept is None:
        # (the mapping kept with its labels: its id is not another's during the request)
        kept = done[id(mapping)] = (mapping, {k: str(v) for k, v in mapping.items()})
    return kept[1]
