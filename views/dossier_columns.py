"""What the dossier lists show and filter: choices read per request, status and due-date
formatters, the overdue / due-soon filters, working days left."""

from __future__ import annotations

import functools
import textwrap

from flask import current_app, g
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import not_, select
from sqlalchemy.orm import joinedload

from domain import clock, deadlines
from domain import lifecycle as lc
from domain.calendar import load_calendar
from domain.dossier_search import PROCEDURE_CODE_START
from domain.formatting import format_date
from domain.search_index import contains_any
from models import Dossier, Procedure, db
from views import labels
from views.base import db_options, own_agency_ids
from views.list_cells import escaped_labels, page_cells, row_link, row_url, translated

ACTION_LABELS = {
    "accept": _l("Accept"),
    "refuse": _l("Refuse"),
    "transfer": _l("Transfer to agency"),
    "request_supplement": _l("Request supplement"),
    "supplement_received": _l("Supplement received"),
    "await_payment": _l("Await payment"),
    "payment_received": _l("Payment received"),
    "resolve": _l("Result received"),
    "return": _l("Return the result"),
    "withdraw": _l("Withdraw"),
    "stop": _l("Stop processing"),
    "reschedule": _l("Reschedule with apology"),
}


def intake_procedures(model):
    """Procedures offered at intake: active ones of the clerk's own agencies (with the agency,
    which the intake's dossier code needs)."""
    query = db.session.query(model).options(joinedload(model.agency)).filter(model.active.is_(True))
    ids = own_agency_ids()
    return query if ids is None else query.filter(model.agency_id.in_(ids))


@db_options
def procedure_options():
    query = db.session.query(Procedure.id, Procedure.code + " – " + Procedure.name).order_by(
        Procedure.code
    )
    ids = own_agency_ids()
    return (query if ids is None else query.filter(Procedure.agency_id.in_(ids))).all()


def status_label(code) -> str:
    return str(translated(labels.DOSSIER_STATUSES).get(code, code))


def error_message(exc: lc.LifecycleError) -> str:
    params = dict(exc.params)
    if "status" in params:
        params["status"] = status_label(params["status"])
    if "action" in params:
        params["action"] = str(ACTION_LABELS.get(params["action"], params["action"]))
    return gettext(exc.msgid, **params)


def _overdue_criterion():
    return deadlines.overdue_now(clock.today())


def _due_soon_criterion():
    today = clock.today()
    return deadlines.due_soon(today, deadlines.due_soon_horizon(load_calendar(db.session), today))


class _FlagFilter(BaseSQLAFilter):
    """A yes/no filter on a criterion computed when the list is shown (today, the calendar)."""

    def __init__(self, criterion, name):
        super().__init__(Dossier.id, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self.criterion = criterion

    def apply(self, query, value, alias=None):
        return query.filter(self.criterion() if value == "1" else not_(self.criterion()))

    def operation(self):
        return _l("equals")


def _status_cells(view, context, name):
    html = escaped_labels(labels.DOSSIER_STATUSES)
    return lambda model: html.get(model.status) or str(escape(model.status))


@page_cells(_status_cells)
def _status_formatter(view, context, model, name):
    return status_label(model.status)


def _choice_formatter(mapping):
    def cells(view, context, name):
        html = escaped_labels(mapping)
        return lambda model: html.get(getattr(model, name)) or ""

    @page_cells(cells)
    def formatter(view, context, model, name):
        return str(translated(mapping).get(getattr(model, name), "") or "")

    return formatter


def _due_cells(view, context, name):
    today = clock.today()

    def cell(model):
        due = model.due_date
        if due is None:
            return ""
        # (dates as digits and slashes: nothing to escape)
        text = format_date(due)
        if model.rescheduled_due_date:
            text += f" → {format_date(model.rescheduled_due_date)}"
        if deadlines.is_overdue(model.status, due, today):
            return f'<span class="badge badge-danger">{text}</span>'
        return text

    return cell


@page_cells(_due_cells)
def _due_formatter(view, context, model, name):
    return Markup(_due_cells(view, context, name)(model))  # its page form, for one row


def _procedure_cells(view, context, name):
    def cell(model):
        procedure = model.procedure
        return "" if procedure is None else _procedure_html(procedure.code, procedure.name)

    return cell


@page_cells(_procedure_cells)
def _procedure_formatter(view, context, model, name):
    """The procedure as its code and a short name; the whole name on hover (the list stays one
    line per dossier even for a 200-character name)."""
    procedure = model.procedure
    if procedure is None:
        return ""
    return _procedure_html(procedure.code, procedure.name)


@functools.lru_cache(maxsize=4096)
def _procedure_html(code, name) -> Markup:
    # A list shows a few procedures many times: each shortened once (textwrap is slow).
    short = textwrap.shorten(name or "", width=60, placeholder=" …")
    return Markup('<span title="{}">{} – {}</span>').format(name, code, short)


def request_calendar():
    """The working calendar with the configured working hours, loaded once per request (lists
    compute days per row; intake and transitions compute due dates and moments with it)."""
    if "motcua_calendar" not in g:
        # No autoflush: called while a new dossier is half set up (intake's on_model_change).
        with db.session.no_autoflush:
            g.motcua_calendar = load_calendar(db.session, current_app.settings.working_hours_parsed)
    return g.motcua_calendar


def working_days_left(model) -> int:
    return deadlines.days_left(request_calendar(), model.due_date, clock.today())


def _agency_cells(view, context, name):
    return lambda model: str(escape(model.agency)) if model.agency else ""


@page_cells(_agency_cells)
def _agency_formatter(view, context, model, name):
    return str(model.agency) if model.agency else ""


def _code_cells(view, context, name):
    link = row_link("dossier.details_view")

    def cell(model):
        return f'<a href="{link(model.id)}">{escape(model.code or f"#{model.id}")}</a>'

    return cell


@page_cells(_code_cells)
def _code_link(view, context, model, name):
    # (Markup.format is several times slower than escaping the two values: once per row)
    url, code = row_url("dossier.details_view", model.id), model.code or f"#{model.id}"
    return Markup(f'<a href="{escape(url)}">{escape(code)}</a>')


def _children_changed(dossier) -> bool:
    """Whether the form added, changed or removed a row hanging off the dossier (documents)."""
    session = db.session
    changed = [
        *session.new,
        *session.deleted,
        *(o for o in session.dirty if session.is_modified(o)),
    ]
    return any(getattr(o, "dossier", None) is dossier for o in changed if o is not dossier)


def search_criterion(dialect: str, term):
    """What one criterion of the dossier list's search matches (domain/dossier_search.py; every
    criterion must match): a procedure code or its beginning ("1.004616", "1.0046") finds that
    procedure's dossiers — looked up in the small procedure table, then matched by the indexed
    procedure_id (milliseconds among a million dossiers); anything else the dossier's
    accent-free search_text (code, applicant, ID number, phone and its digits, tracking no.),
    through its search index (domain/search_index.py)."""
    (first, *others) = term
    if not others and len(first) == 1 and PROCEDURE_CODE_START.match(first[0]):
        return Dossier.procedure_id.in_(
            select(Procedure.id).where(Procedure.code.startswith(first[0], autoescape=True))
        )
    return contains_any(dialect, Dossier.search_text, term)
