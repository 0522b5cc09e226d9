"""The open API /api/v1/ (issue 15): procedures listed, searched and looked up by code;
cursor pagination, ETags, CORS for configured origins only, JSON errors, no session cookie."""

from __future__ import annotations

import base64
import json

import pytest

from models import Procedure, db
from tests.factories import login
from tests.public_catalog_data import (
    BIRTH,
    COMPANY,
    DRIVING_NEW,
    DRIVING_RENEW,
    INACTIVE,
    OF_INACTIVE_AGENCY,
    PUBLIC_CODES,
    STAFF_NAME,
    add_many,
    build_catalog,
)

PORTAL = "https://dichvucong.example.gov.vn"


@pytest.fixture
def catalog(app):
    with app.app_context():
        return build_catalog()


def items(client, **args) -> list[dict]:
    response = client.get("/api/v1/procedures", query_string=args)
    assert response.status_code == 200, response.data
    return response.get_json()["items"]


def codes(client, **args) -> set[str]:
    return {item["code"] for item in items(client, **args)}


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value)) if value else set()
    return set()


def test_the_list_has_the_active_procedures_by_code(client, catalog):
    listed = items(client)
    assert [item["code"] for item in listed] == sorted(PUBLIC_CODES)
    first = listed[0]
    assert first == {
        "code": COMPANY,
        "name": "Đăng ký thành lập doanh nghiệp tư nhân",
        "agency": {
            "code": "SKHDT",
            "name": "Sở Kế hoạch và Đầu tư",
            "short_name": "Sở Kế hoạch và Đầu tư",
        },
        "field": {"code": "SKHDT-DN", "name": "Thành lập và hoạt động doanh nghiệp"},
        "level": first["level"],
        "processing_days": 3,
        "processing_hours": None,
        "cutoff_time": None,
        "online_level": "full",
        "saturday_service": True,
        "four_on_spot": True,
        "postal_in": False,
        "postal_out": False,
        "interagency": False,
        "url": f"http://localhost/thu-tuc/{COMPANY}",
    }
    assert "id" not in keys_of(listed)  # no row ids, only public codes


def test_search_and_filters_are_those_of_the_catalog(client, catalog):
    assert codes(client, q="giay phep lai xe") == {DRIVING_NEW, DRIVING_RENEW}
    assert codes(client, q="dang ky khai sinh") == {BIRTH}
    assert codes(client, q="1.0046") == {DRIVING_NEW}
    assert codes(client, agency="STP") == {BIRTH}
    assert codes(client, field="SGTVT-DB") == {DRIVING_NEW, DRIVING_RENEW}
    assert codes(client, online_level="full", four_on_spot="true") == {DRIVING_RENEW, COMPANY}
    assert codes(client, saturday_service="true", postal_in="true") == {DRIVING_NEW}
    assert codes(client, postal_out="true", saturday_service="false") == {DRIVING_NEW, BIRTH}
    assert codes(client, q="giay phep", agency="SCU") == set()  # inactive agency


def test_one_procedure_by_code(client, catalog):
    response = client.get(f"/api/v1/procedures/{DRIVING_NEW}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["name"] == "Cấp mới giấy phép lái xe"
    assert data["required_documents"] == [
        "Đơn đề nghị cấp giấy phép lái xe",
        "Giấy khám sức khỏe của người lái xe",
        "Bản sao căn cước",
    ]
    assert data["fees"] == [
        {
            "kind": "charge",
            "name": "Lệ phí cấp giấy phép lái xe",
            "amount_vnd": 135000,
            "channel": None,
            "note": None,
        },
        {
            "kind": "fee",
            "name": "Phí sát hạch lý thuyết",
            "amount_vnd": 0,
            "channel": None,
            "note": "Theo hạng xe",
        },
    ]
    assert data["processing_days"] == 7 and data["online_level"] == "partial"
    assert data["legal_basis"] == "Luật Trật tự, an toàn giao thông đường bộ 2024"
    assert data["publication_decision"] == "1234/QĐ-UBND"
    assert data["publication_date"] == "2025-07-15"
    assert data["result"] == "Giấy phép lái xe"
    assert "id" not in keys_of(data) and STAFF_NAME not in response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("code", [INACTIVE, OF_INACTIVE_AGENCY, "9.999999", "x" * 100])
def test_inactive_or_unknown_is_404_in_json(client, catalog, code):
    response = client.get(f"/api/v1/procedures/{code}")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"status": 404, "message": "Không có thủ tục đang áp dụng nào có mã này."}
    }
    english = client.get(
        f"/api/v1/procedures/{code}", headers={"Accept-Language": "en-US,en;q=0.9,vi;q=0.5"}
    )
    assert english.get_json()["error"]["message"] == "No active procedure has this code."
    assert english.headers["Content-Language"] == "en"


def test_cursor_pagination_round_trip(app, client, catalog):
    """Pages of 7 from the first cursor to the last: every active procedure once, in code
    order; a procedure added meanwhile behind the cursor does not shift the pages."""
    with app.app_context():
        added = add_many(30)
    expected = sorted(PUBLIC_CODES | set(added))
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/procedures", query_string=args)
        assert response.status_code == 200
        page = response.get_json()
        assert len(page["items"]) <= 7
        seen += [item["code"] for item in page["items"]]
        pages += 1
        if pages == 2:
            with app.app_context():  # before the cursor: must not reappear or shift anything
                add_many(1, start=0)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert set(cursor) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
    assert seen == expected  # no duplicate, none missing, in order
    assert pages == 5  # 34 procedures: 7 + 7 + 7 + 7 + 6
    # With a search: the cursor walks the matching procedures only.
    first = client.get("/api/v1/procedures?q=thu+nghiem&limit=20").get_json()
    second = client.get(
        "/api/v1/procedures",
        query_string={"q": "thu nghiem", "limit": 20, "cursor": first["next_cursor"]},
    ).get_json()
    assert second["next_cursor"] is None
    found = [i["code"] for i in first["items"] + second["items"]]
    assert len(found) == len(set(found)) == 31


@pytest.mark.parametrize(
    "args, parameter",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "e30"}, "cursor"),  # "{}"
        ({"cursor": base64.urlsafe_b64encode(b'{"after": 5}').decode().rstrip("=")}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("=")}, "cursor"),
        ({"level": "galaxy"}, "level"),
        ({"online_level": "4"}, "online_level"),
        ({"four_on_spot": "yes"}, "four_on_spot"),
        ({"q": "x" * 201}, "q"),
        ({"agency": "A" * 33}, "agency"),
    ],
)
def test_bad_parameters_are_400_in_json(client, catalog, args, parameter):
    response = client.get("/api/v1/procedures", query_string=args)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["parameter"] == parameter
    assert error["message"]  # Vietnamese by default
    assert response.headers["Content-Language"] == "vi"


def test_requests_refused_before_the_view_are_json_too(client, catalog):
    for response, status in (
        (client.get("/api/v1/procedures?q=a%00b"), 400),
        (client.post("/api/v1/procedures"), 405),
        (client.delete(f"/api/v1/procedures/{BIRTH}"), 405),
        (client.get("/api/v1/dossiers"), 404),
    ):
        assert response.status_code == status
        assert response.get_json()["error"]["status"] == status
    assert client.post("/api/v1/procedures").headers["Allow"] == "GET, HEAD, OPTIONS"


def test_etag_and_304(app, client, catalog):
    first = client.get("/api/v1/procedures")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/procedures", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    one = client.get(f"/api/v1/procedures/{BIRTH}")
    assert (
        client.get(
            f"/api/v1/procedures/{BIRTH}", headers={"If-None-Match": one.headers["ETag"]}
        ).status_code
        == 304
    )
    assert (
        client.get(f"/api/v1/procedures/{BIRTH}", headers={"If-None-Match": etag}).status_code
        == 200
    )  # another ETag
    with app.app_context():
        db.session.query(Procedure).filter_by(code=BIRTH).one().processing_days = 3
        db.session.commit()
    changed = client.get("/api/v1/procedures", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert (
        client.get(
            f"/api/v1/procedures/{BIRTH}", headers={"If-None-Match": one.headers["ETag"]}
        ).get_json()["processing_days"]
        == 3
    )


def test_cors_only_for_configured_origins(app, client, catalog):
    def origin_header(origin, method="GET"):
        response = client.open(
            "/api/v1/procedures",
            method=method,
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
        assert "Origin" in response.headers.get("Vary", "")
        return response.headers.get("Access-Control-Allow-Origin"), response

    assert origin_header(PORTAL)[0] is None  # none configured: no origin allowed
    app.config["API_CORS_ORIGINS"] = f"{PORTAL}, https://zalo-mini-app.example"
    allowed, response = origin_header(PORTAL)
    assert allowed == PORTAL and "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert origin_header("https://zalo-mini-app.example")[0] == "https://zalo-mini-app.example"
    assert origin_header("https://evil.example")[0] is None
    assert origin_header(PORTAL + ".evil.example")[0] is None
    allowed, preflight = origin_header(PORTAL, "OPTIONS")
    assert preflight.status_code == 200 and allowed == PORTAL
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    denied, preflight = origin_header("https://evil.example", "OPTIONS")
    assert denied is None and "Access-Control-Allow-Methods" not in preflight.headers
    # Errors carry it too (a mini-app must be able to read the message).
    error = client.get("/api/v1/procedures?limit=0", headers={"Origin": PORTAL})
    assert error.headers["Access-Control-Allow-Origin"] == PORTAL


def test_no_session_cookie_even_for_staff(client, catalog):
    assert login(client, "staff_public").status_code == 302
    for path in (
        "/api/v1/procedures",
        f"/api/v1/procedures/{BIRTH}",
        "/api/v1/openapi.json",
        "/api/v1/procedures?limit=0",
        "/api/v1/nothing",
    ):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/dossier/").status_code == 200


def test_the_openapi_document_describes_these_endpoints(client, catalog):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and "ETag" in response.headers
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/procedures",
        "/api/v1/procedures/{code}",
        "/api/v1/dossiers/{code}",  # tests/test_lookup.py
        "/api/v1/queue",
    }  # tests/test_queue_web.py
    assert set(document["components"]["schemas"]) == {
        "Error",
        "ProcedureSummary",
        "Procedure",
        "ProcedurePage",
        "DossierStatus",
        "QueueStatus",
    }
    listing = document["paths"]["/api/v1/procedures"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "agency",
        "field",
        "level",
        "online_level",
        "saturday_service",
        "four_on_spot",
        "postal_in",
        "postal_out",
        "limit",
        "cursor",
    }
    # What the API answers has exactly the properties the document lists.
    detail = client.get(f"/api/v1/procedures/{DRIVING_NEW}").get_json()
    assert set(detail) == set(document["components"]["schemas"]["Procedure"]["properties"])
    summary = items(client)[0]
    assert set(summary) == set(document["components"]["schemas"]["ProcedureSummary"]["properties"])
    json.dumps(document)  # plain JSON all the way (no lazy strings)
