"""The open API's dossier status (issue 15): GET /api/v1/dossiers/{code} with the look-up secret
of the receipt, in the X-Lookup-Secret header (kept out of access logs and browser history) or
the `secret` query parameter (what a QR code can carry). The same fields as /tra-cuu/, the same
single answer for an unknown code and a wrong secret, the same count of failures per address
(views/lookup.py). Never cached: the answer is for whoever holds the secret."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from domain import lookup
from views.api import (
    ApiError,
    _language,
    bp,
    error_response,
    error_responses,
    json_response,
    ok_response,
)
from views.lookup import find_dossier, lookup_limit, public_status, retry_after

SECRET_HEADER = "X-Lookup-Secret"


def _too_many(limit):
    wait = retry_after(limit)
    minutes = -(-wait // 60)
    response = error_response(
        429,
        lambda: ngettext(
            "Too many look-ups found nothing. Try again in %(num)d minute.",
            "Too many look-ups found nothing. Try again in %(num)d minutes.",
            minutes,
        ),
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def as_json(status: dict) -> dict:
    supplement, apology = status["supplement"], status["apology"]
    return {
        **status,
        "accepted_on": _iso(status["accepted_on"]),
        "due_date": _iso(status["due_date"]),
        "returned_on": _iso(status["returned_on"]),
        "supplement": None
        if supplement is None
        else {"requested_on": _iso(supplement["requested_on"]), "what": supplement["what"]},
        "apology": None
        if apology is None
        else {
            "new_due_date": _iso(apology["new_due_date"]),
            "written_on": _iso(apology["written_on"]),
            "reason": apology["reason"],
        },
    }


@bp.get("/dossiers/<code>")
@lookup_limit(_too_many)
def dossier(code: str):
    secret = request.headers.get(SECRET_HEADER) or request.args.get("secret") or ""
    found = find_dossier(code, secret[: lookup.MAX_SECRET_INPUT])
    if found is None:
        raise ApiError(404, lambda: _("No dossier matches this code and look-up secret."))
    language = _language()
    with force_locale(language):  # the status in words, like the errors' messages
        response = json_response(as_json(public_status(found)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


# ---- OpenAPI ----------------------------------------------------------------------------------


def openapi_paths() -> dict:
    text = {"type": "string", "pattern": "^[^\\u0000]*$"}
    not_found_or_limited = error_responses(400, 404, 429)
    not_found_or_limited["429"]["headers"] = {
        "Retry-After": {
            "schema": {"type": "string"},
            "description": "Seconds until look-ups are taken again.",
        }
    }
    return {
        "/api/v1/dossiers/{code}": {
            "get": {
                "operationId": "getDossierStatus",
                "summary": "Where a dossier stands, by its code and the look-up secret of its receipt",
                "description": (
                    "The look-up secret is printed on the receipt (Mẫu 01) under the QR code: 10 "
                    "letters and digits, case, spaces and dashes ignored. Send it in the "
                    f"{SECRET_HEADER} header (preferred) or the `secret` query parameter. Only the "
                    "progress of the dossier is returned, never the applicant's details. An unknown "
                    "code and a wrong secret get the same 404; after LOOKUP_LIMIT_PER_ADDRESS of those "
                    "from one address (20 in 15 minutes unless configured; shared with the /tra-cuu/ "
                    "page) the answer is 429 with Retry-After. A new receipt print issues a new secret "
                    "and the old one stops working."
                ),
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": {**text, "minLength": 1, "maxLength": lookup.MAX_CODE_LENGTH},
                        "description": "Dossier code as on the receipt, e.g. 000.00.12.H56-251130-0001.",
                    },
                    {
                        "name": SECRET_HEADER,
                        "in": "header",
                        "required": False,
                        "schema": {**text, "maxLength": lookup.MAX_SECRET_INPUT},
                        "description": "The look-up secret of the receipt.",
                    },
                    {
                        "name": "secret",
                        "in": "query",
                        "required": False,
                        "schema": {**text, "maxLength": lookup.MAX_SECRET_INPUT},
                        "description": f"The look-up secret, when it cannot go in {SECRET_HEADER}.",
                    },
                ],
                "responses": {
                    **ok_response("The dossier's status", "#/components/schemas/DossierStatus"),
                    **not_found_or_limited,
                },
            }
        }
    }


def openapi_schemas() -> dict:
    string = {"type": "string"}
    day = {"type": "string", "format": "date"}
    nullable_day = {"type": ["string", "null"], "format": "date"}
    properties = {
        "code": string,
        "procedure": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "name"],
            "properties": {"code": string, "name": string},
        },
        "status": {"type": "string", "enum": list(lookup.STATUS_KEYS.values())},
        "status_text": {
            **string,
            "description": "The status in plain words (Vietnamese, or "
            "English with Accept-Language: en).",
        },
        "accepted_on": nullable_day,
        "due_date": {
            **nullable_day,
            "description": "The date of the result, the apology's new date if there was one.",
        },
        "supplement": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["requested_on", "what"],
            "description": "While the applicant is asked to supplement the dossier.",
            "properties": {"requested_on": day, "what": string},
        },
        "result_ready": {"type": "boolean"},
        "collect_at": {
            "type": ["string", "null"],
            "description": "Where to collect the result, once it is ready.",
        },
        "returned_on": nullable_day,
        "apology": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["new_due_date", "written_on", "reason"],
            "description": "The letter of apology, if the date was moved.",
            "properties": {
                "new_due_date": day,
                "written_on": nullable_day,
                "reason": {"type": ["string", "null"]},
            },
        },
    }
    return {
        "DossierStatus": {
            "type": "object",
            "additionalProperties": False,
            "required": list(properties),
            "properties": properties,
        }
    }
