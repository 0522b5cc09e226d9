"""The open API against its own OpenAPI document, by schemathesis (issue 15), on both databases:
whatever parameters are generated, no 5xx, and every response conforms to the document
(status codes, content types, headers, bodies).

The schema is loaded from the document the API serves (the test checks they are the same) when
the module is collected: schemathesis' lazy fixture loader does not run under pytest 9."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode

from tests.public_catalog_data import build_catalog
from views.api import encode_cursor, openapi_document

DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.hook("map_case")
def cursors_come_from_the_server(context, case):
    """A cursor is opaque: clients pass back what the API gave them, and anything else is
    refused (400, tests/test_api_v1.py). Valid requests therefore carry a cursor as the API
    makes them, around whatever position was generated (odd codes reach the keyset query)."""
    cursor = (case.query or {}).get("cursor")
    if cursor and case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        case.query["cursor"] = encode_cursor({"after": cursor[:32]})  # a code's length
    return case


@pytest.fixture
def api_app(app):
    with app.app_context():
        build_catalog()
    assert app.test_client().get("/api/v1/openapi.json").get_json() == DOCUMENT
    return app


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_conforms_to_its_document(case, api_app):
    case.call_and_validate(app=api_app)
