"""The open API's procedures (issue 15): the list (searched and filtered as on /thu-tuc/,
paginated by cursor) and one procedure by its national code. What is public in the catalog
(domain/public_catalog.py) and nothing more: no row ids, no staff, no dossiers."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from domain import public_catalog
from domain.public_catalog import MAX_QUERY_LENGTH, CatalogFilters
from models import FEE_KINDS, ONLINE_LEVELS, PROCEDURE_LEVELS, Procedure, db
from views.api import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiError,
    bool_arg,
    bp,
    choice_arg,
    cursor_arg,
    encode_cursor,
    error_responses,
    json_response,
    limit_arg,
    ok_response,
    text_arg,
)

FLAGS = ("saturday_service", "four_on_spot", "postal_in", "postal_out")
MAX_CODE_LENGTH = 32


def _filters() -> CatalogFilters:
    return CatalogFilters(
        q=text_arg("q", MAX_QUERY_LENGTH) or "",
        agency=text_arg("agency", MAX_CODE_LENGTH),
        field=text_arg("field", MAX_CODE_LENGTH),
        level=choice_arg("level", PROCEDURE_LEVELS),
        online_level=choice_arg("online_level", ONLINE_LEVELS),
        **{flag: bool_arg(flag) for flag in FLAGS},
    )


def summary(procedure: Procedure) -> dict:
    agency, field = procedure.agency, procedure.field
    return {
        "code": procedure.code,
        "name": procedure.name,
        "agency": {"code": agency.code, "name": agency.name, "short_name": agency.short_name},
        "field": None if field is None else {"code": field.code, "name": field.name},
        "level": procedure.level,
        "processing_days": procedure.processing_days,
        "processing_hours": procedure.processing_hours,
        "cutoff_time": procedure.cutoff_time.strftime("%H:%M") if procedure.cutoff_time else None,
        "online_level": procedure.online_level,
        **{flag: bool(getattr(procedure, flag)) for flag in FLAGS},
        "interagency": bool(procedure.interagency),
        "url": url_for("public.procedure", code=procedure.code, _external=True),
    }


def detail(procedure: Procedure) -> dict:
    published = procedure.publication_date
    return {
        **summary(procedure),
        "required_documents": public_catalog.document_list(procedure.required_documents),
        "result": procedure.result,
        "legal_basis": procedure.legal_basis,
        "publication_decision": procedure.publication_decision,
        "publication_date": published.isoformat() if published else None,
        "fees": [
            {
                "kind": fee.kind,
                "name": fee.name,
                "amount_vnd": fee.amount_vnd,
                "channel": fee.channel,
                "note": fee.note,
            }
            for fee in procedure.fee_items
        ],
    }


@bp.get("/procedures")
def procedures():
    filters = _filters()
    limit = limit_arg()
    after = cursor_arg("after")
    # One more than asked: whether a next page exists, without a count.
    found = public_catalog.after_code(db.session, filters, after, limit + 1)
    items = found[:limit]
    next_cursor = encode_cursor({"after": items[-1].code}) if len(found) > limit else None
    return json_response({"items": [summary(p) for p in items], "next_cursor": next_cursor})


@bp.get("/procedures/<code>")
def procedure(code: str):
    found = public_catalog.find(db.session, code) if len(code) <= MAX_CODE_LENGTH else None
    if found is None:
        raise ApiError(404, lambda: _("No active procedure has this code."))
    return json_response(detail(found))


# ---- OpenAPI ----------------------------------------------------------------------------------

# Any text but NUL, which no route takes (views/errors.py answers 400 before the view).
NO_NUL = "^[^\\u0000]*$"


def _text(max_length: int, **more) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL, **more}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _list_parameters() -> list:
    """The query parameters of the list: the catalog's filters, then the page."""
    return [
        _query(
            "q",
            _text(MAX_QUERY_LENGTH),
            "Words of the name or the code; case and Vietnamese accents are ignored "
            '("giay phep lai xe" finds "Giấy phép lái xe"). Every word must match.',
        ),
        _query("agency", _text(MAX_CODE_LENGTH), "Code of the agency (e.g. SGTVT)."),
        _query("field", _text(MAX_CODE_LENGTH), "Code of the field."),
        _query("level", {"type": "string", "enum": list(PROCEDURE_LEVELS)}, "Level."),
        _query(
            "online_level",
            {"type": "string", "enum": list(ONLINE_LEVELS)},
            "Online service: none, partial or full.",
        ),
        *[
            _query(flag, {"type": "boolean"}, f"Only procedures with {flag} true.")
            for flag in FLAGS
        ],
        _query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            "Items per page.",
        ),
        _query(
            "cursor",
            {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": 400},
            "The next_cursor of the previous page (opaque); absent or empty: the first page.",
        ),
    ]


def openapi_paths() -> dict:
    return {
        "/api/v1/procedures": {
            "get": {
                "operationId": "listProcedures",
                "summary": "List and search the active procedures, by code",
                "parameters": _list_parameters(),
                "responses": {
                    **ok_response("A page of procedures", "#/components/schemas/ProcedurePage"),
                    **error_responses(400),
                },
            }
        },
        "/api/v1/procedures/{code}": {
            "get": {
                "operationId": "getProcedure",
                "summary": "One active procedure by its national code",
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": _text(MAX_CODE_LENGTH, minLength=1),
                        "description": "National code, e.g. 1.004616.",
                    }
                ],
                "responses": {
                    **ok_response("The procedure", "#/components/schemas/Procedure"),
                    **error_responses(400, 404),
                },
            }
        },
    }


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _closed_object(properties: dict, nullable: bool = False) -> dict:
    """An object with exactly these properties, every one present."""
    return {
        "type": ["object", "null"] if nullable else "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


STRING = {"type": "string"}


def _summary_properties() -> dict:
    string = STRING
    return {
        "code": string,
        "name": string,
        "agency": _closed_object({"code": string, "name": string, "short_name": _nullable(string)}),
        "field": _closed_object({"code": string, "name": string}, nullable=True),
        "level": {"type": "string", "enum": list(PROCEDURE_LEVELS)},
        "processing_days": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "Working days; 0: the same day; null when the limit is in hours.",
        },
        "processing_hours": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "Working hours, when the limit is in hours (else null).",
        },
        "cutoff_time": {
            "type": ["string", "null"],
            "pattern": "^[0-2][0-9]:[0-5][0-9]$",
            "description": "HH:MM: a dossier received after it counts from the next working day.",
        },
        "online_level": {"type": "string", "enum": list(ONLINE_LEVELS)},
        **{flag: {"type": "boolean"} for flag in FLAGS},
        "interagency": {"type": "boolean"},
        "url": {"type": "string", "format": "uri", "description": "The public page."},
    }


def _detail_properties() -> dict:
    string = STRING
    return {
        **_summary_properties(),
        "required_documents": {"type": "array", "items": string},
        "result": _nullable(string),
        "legal_basis": _nullable(string),
        "publication_decision": _nullable(string),
        "publication_date": {"type": ["string", "null"], "format": "date"},
        "fees": {
            "type": "array",
            "items": _closed_object(
                {
                    "kind": {"type": "string", "enum": list(FEE_KINDS)},
                    "name": string,
                    "amount_vnd": {"type": "integer", "minimum": 0},
                    "channel": _nullable(string),
                    "note": _nullable(string),
                }
            ),
        },
    }


def openapi_schemas() -> dict:
    return {
        "ProcedureSummary": _closed_object(_summary_properties()),
        "Procedure": _closed_object(_detail_properties()),
        "ProcedurePage": _closed_object(
            {
                "items": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ProcedureSummary"},
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                },
            }
        ),
    }
