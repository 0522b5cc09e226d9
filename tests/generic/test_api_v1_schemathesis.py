"""The open API against its own OpenAPI document, by schemathesis (issue 15), on both databases:
whatever parameters are generated, no 5xx, and every response conforms to the document
(status codes, content types, headers, bodies).

The schema is the document the API serves (the test checks they are the same). One test per
operation and database, as `schema.parametrize()` would make them, but each operation's
hypothesis test is built when the test first runs (once per process), not when the module is
collected: building it computes the coverage phase's cases (about 10 s of CPU), which every
xdist worker paid at collection, whichever ran the tests. schemathesis' lazy fixture loader
does not run under pytest 9."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source

from tests.public_catalog_data import build_catalog
from views.api import encode_cursor, openapi_document

DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in METHODS
]


@schema.hook("map_case")
def cursors_come_from_the_server(context, case):
    """A cursor is opaque: clients pass back what the API gave them, and anything else is
    refused (400, tests/test_api_v1.py). Valid requests therefore carry a cursor as the API
    makes them, around whatever position was generated (odd codes reach the keyset query)."""
    cursor = (case.query or {}).get("cursor")
    if cursor and case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        case.query["cursor"] = encode_cursor({"after": cursor[:32]})  # a code's length
    return case


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def conforms(case, api_app):
    case.call_and_validate(app=api_app)


_built: dict = {}


def hypothesis_test(label: str):
    """The operation's hypothesis test as schemathesis' pytest plugin builds it (its phases,
    settings, seed and constants), once per process."""
    if label not in _built:
        operation = schema.find_operation_by_label(label)
        assert operation is not None, f"{label} not in the document"
        _built[label] = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=conforms,
            given_kwargs={},
            feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
        )
    return _built[label]


@pytest.fixture
def api_app(app):
    with app.app_context():
        build_catalog()
    assert app.test_client().get("/api/v1/openapi.json").get_json() == DOCUMENT
    return app


def test_every_operation_is_tested():
    """The labels above are schemathesis' own: none missed, none invented."""
    found = [result.ok().label for result in schema.get_all_operations()]
    assert sorted(found) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_conforms_to_its_document(label, api_app):
    hypothesis_test(label)(api_app=api_app)
