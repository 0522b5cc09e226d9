"""The open API, version 1 (issue 15, /api/v1/): read-only JSON for the provincial portal or a
Zalo mini-app, described by an OpenAPI 3.1 document at /api/v1/openapi.json.

This module is the frame every resource shares: JSON errors (Vietnamese, or English when the
client's Accept-Language prefers it), opaque cursors, bounded limits, ETags (If-None-Match →
304), CORS for the origins of the API_CORS_ORIGINS setting only, no staff session. A resource is
a module of RESOURCES that adds its routes to `bp` and describes them in PATHS and SCHEMAS
(views/api_procedures.py); the OpenAPI document is their union."""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import json
import re

from flask import Blueprint, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from views.public_access import public_prefix

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"
LANGUAGES = ("vi", "en")
RESOURCES = ("views.api_procedures", "views.api_dossiers", "views.api_queue")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
CACHE_CONTROL = "public, max-age=60"
READ_METHODS = "GET, HEAD, OPTIONS"  # all the API takes


class ApiError(Exception):
    """A request the API refuses: answered as JSON with `status` and a message, `message_of()`
    being called in the client's language."""

    def __init__(self, status: int, message_of, parameter: str | None = None):
        super().__init__(status, parameter)
        self.status, self.message_of, self.parameter = status, message_of, parameter


def _language() -> str:
    return request.accept_languages.best_match(LANGUAGES, default="vi") or "vi"


def error_response(status: int, message_of, parameter: str | None = None):
    """`message_of()` is called in the client's language (a gettext call, not its result)."""
    language = _language()
    with force_locale(language):
        message = str(message_of())
    body = {"error": {"status": status, "message": message}}
    if parameter:
        body["error"]["parameter"] = parameter
    response = current_app.response_class(_json(body), status=status, mimetype="application/json")
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Language")
    return response


HTTP_MESSAGES = {
    400: lambda: _("The request is not valid."),
    404: lambda: _("Not found."),
    405: lambda: _("This method is not allowed here; the API only reads (GET)."),
}


def _http_message(status: int):
    return HTTP_MESSAGES.get(status, lambda: _("The request could not be served."))


# ---- parameters (as strict as the OpenAPI document: what it refuses is a 400) -------------


def text_arg(name: str, max_length: int) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length:
        raise ApiError(
            400,
            lambda: _(
                "%(parameter)s is longer than %(max)s characters.", parameter=name, max=max_length
            ),
            name,
        )
    return value


def choice_arg(name: str, allowed) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise ApiError(
            400,
            lambda: _(
                "%(parameter)s must be one of: %(values)s.",
                parameter=name,
                values=", ".join(allowed),
            ),
            name,
        )
    return value


def bool_arg(name: str) -> bool:
    value = request.args.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise ApiError(400, lambda: _("%(parameter)s must be true or false.", parameter=name), name)
    return value == "true"


def limit_arg() -> int:
    value = request.args.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(
            400,
            lambda: _("limit must be a whole number from 1 to %(max)s.", max=MAX_LIMIT),
            "limit",
        )
    return int(value)


def encode_cursor(position: dict) -> str:
    """An opaque cursor: where the next page starts, not meant to be read or built by clients."""
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_arg(key: str) -> str | None:
    """The `key` of the position in ?cursor=, None without a cursor (or an empty one: the first
    page); 400 for anything else."""
    value = request.args.get("cursor")
    if value is None or value == "":
        return None
    try:
        if len(value) > 400 or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            raise ValueError(value)
        position = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        found = position[key]
        if not isinstance(found, str):
            raise ValueError(value)
        return found
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400, lambda: _("The cursor is not valid; start again without one."), "cursor"
        ) from None


# ---- responses --------------------------------------------------------------------------------


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data):
    """200 with an ETag of the body; 304 without a body when the client already has it."""
    response = current_app.response_class(_json(data), mimetype="application/json")
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


def _json_errors_and_cors(response):
    """Every answer under /api/v1/, whoever made it: a refusal before any view (an unknown
    path, a method the API does not take, the NUL guard of views/errors.py) is JSON too, not
    the staff site's error page; CORS for the configured origins."""
    if request.path != bp.url_prefix and not request.path.startswith(bp.url_prefix + "/"):
        return response
    if response.status_code >= 400 and response.mimetype != "application/json":
        response = error_response(response.status_code, _http_message(response.status_code))
    if response.status_code == 405 or request.method == "OPTIONS":
        response.headers["Allow"] = READ_METHODS
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in current_app.settings.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Language"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = READ_METHODS
            response.headers["Access-Control-Allow-Headers"] = (
                "If-None-Match, Accept-Language, X-Lookup-Secret"
            )
            response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.message_of, error.parameter)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.response is not None:  # an answer made already (the look-up limit's 429)
        return error.response
    return error_response(error.code or 400, _http_message(error.code or 400))


# ---- the OpenAPI document ----------------------------------------------------------------------


def _resources():
    return [importlib.import_module(name) for name in RESOURCES]


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {
                    "type": "string",
                    "description": "In Vietnamese, or in English when Accept-Language prefers it.",
                },
                "parameter": {"type": "string", "description": "The query parameter at fault."},
            },
        }
    },
}


def error_responses(*statuses: int) -> dict:
    text = {
        400: "Bad parameters",
        404: "Not found",
        405: "Method not allowed",
        429: "Too many requests",
    }
    return {
        str(s): {
            "description": text.get(s, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def ok_response(description: str, schema_ref: str) -> dict:
    """A cacheable 200 (with its ETag) and the 304 that answers a matching If-None-Match."""
    return {
        "200": {
            "description": description,
            "headers": {"ETag": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": schema_ref}}},
        },
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
    }


def openapi_document() -> dict:
    paths, schemas = {}, {"Error": ERROR_SCHEMA}
    for resource in _resources():
        paths.update(resource.openapi_paths())
        schemas.update(resource.openapi_schemas())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "motcua open API",
            "version": API_VERSION,
            "description": (
                "Read-only data of the one-stop center for portals and mini-apps. JSON, UTF-8; "
                'errors as {"error": {"status", "message"}} in Vietnamese (English with '
                "Accept-Language: en). Lists are paginated by an opaque `cursor`: pass the "
                "`next_cursor` of a page to get the next one. Responses carry an ETag; send it "
                "back in If-None-Match to get 304 when nothing changed."
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


@bp.get("/openapi.json")
def openapi():
    return json_response(openapi_document())


def register(app) -> None:
    _resources()  # their routes join the blueprint before it is registered
    public_prefix(app, bp.url_prefix)
    app.register_blueprint(bp)
    app.after_request(_json_errors_and_cors)
