"""The public procedure catalog (issue 15, /thu-tuc/): no login, server-rendered, for a phone
first. Only active procedures of active agencies, and nothing internal: procedures are named by
their national codes, agencies and fields by theirs; no staff, no dossiers.

Runs without the staff session (views/public_access.py); its forms are GET forms (nothing to
protect with a CSRF token); it keeps the security headers of every page (views/headers.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from domain import public_catalog
from domain.public_catalog import MAX_QUERY_LENGTH, CatalogFilters
from models import ONLINE_LEVELS, PROCEDURE_LEVELS, db
from views import labels
from views.public_access import public_prefix

bp = Blueprint("public", __name__, url_prefix="/thu-tuc")

PAGE_SIZE = 20
MAX_PAGE = 1000  # far beyond any catalog (1,300 procedures are 65 pages)
# A short while in browsers and proxies: the catalog changes a few times a year.
CACHE_CONTROL = "public, max-age=300"

FLAGS = {
    "saturday_service": _l("Received on Saturday mornings"),
    "four_on_spot": _l("4 on the spot (received, appraised, approved and returned at the center)"),
    "postal_in": _l("Dossier can be sent by post"),
    "postal_out": _l("Result can be returned by post"),
}


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name, "").strip()
    return value if value in allowed else None


def filters_from_request() -> CatalogFilters:
    """The form's fields as typed; what does not fit is left out (a page, not an API: a
    citizen with an old link gets the catalog, not an error)."""
    return CatalogFilters(
        q=request.args.get("q", "")[:MAX_QUERY_LENGTH].strip(),
        agency=request.args.get("agency", "").strip()[:32] or None,
        field=request.args.get("field", "").strip()[:32] or None,
        level=_choice("level", PROCEDURE_LEVELS),
        online_level=_choice("online_level", ONLINE_LEVELS),
        **{flag: request.args.get(flag) == "1" for flag in FLAGS},
    )


def _page_number() -> int:
    number = request.args.get("page", 1, type=int)
    return min(max(1, number), MAX_PAGE)


@bp.get("/")
def index():
    filters = filters_from_request()
    number = _page_number()
    total = public_catalog.count(db.session, filters)
    pages = max(1, -(-total // PAGE_SIZE))
    procedures = public_catalog.page(db.session, filters, min(number, pages), PAGE_SIZE)
    agencies, fields = public_catalog.filter_choices(db.session)
    args = {k: v for k, v in request.args.items() if k != "page" and v}

    def page_url(n: int) -> str:
        return url_for("public.index", **args, **({"page": n} if n > 1 else {}))

    return _cached(
        render_template(
            "public/index.html",
            filters=filters,
            procedures=procedures,
            total=total,
            number=min(number, pages),
            pages=pages,
            page_url=page_url,
            agencies=agencies,
            fields=fields,
            flags=FLAGS,
            levels=labels.PROCEDURE_LEVELS,
            online_levels=labels.ONLINE_LEVELS,
        )
    )


@bp.get("/<code>")
def procedure(code: str):
    found = public_catalog.find(db.session, code) if len(code) <= 32 else None
    if found is None:
        abort(404)
    return _cached(
        render_template(
            "public/procedure.html",
            procedure=found,
            flags=FLAGS,
            documents=public_catalog.document_list(found.required_documents),
            levels=labels.PROCEDURE_LEVELS,
            online_levels=labels.ONLINE_LEVELS,
            fee_kinds=labels.FEE_KINDS,
            channels=labels.CHANNELS,
        )
    )


@bp.route("/<path:rest>")
def unknown(rest: str):
    abort(404)  # in the public layout, not the staff one


@bp.errorhandler(404)
def _not_found(error):
    return render_template("public/not_found.html"), 404


def _cached(html: str):
    response = current_app.make_response(html)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def register(app) -> None:
    public_prefix(app, bp.url_prefix)
    app.register_blueprint(bp)
