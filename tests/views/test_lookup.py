"""Dossier look-up by citizens (issue 15): /tra-cuu/ and /api/v1/dossiers/{code} with the code and
the look-up secret printed on the receipt; only the progress, nothing personal; one answer for an
unknown code and a wrong secret; failed look-ups limited per address (memory and Redis)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from domain import lookup
from models import DossierLookup, db
from tests.factories import login
from tests.lookup_data import (  # noqa: E402
    APOLOGY,
    PERSONAL,
    SUPPLEMENT,
    make_dossier,
    print_receipt,
)
from tests.support import make_app, redis_or_skip, reset_schema
from views.auth import limiter


@pytest.fixture
def supplement_dossier(app, users):
    dossier_id, code = make_dossier(
        app, steps=[("transfer", None, {}), ("request_supplement", SUPPLEMENT, {})]
    )
    html, secret = print_receipt(app, dossier_id)
    return {"id": dossier_id, "code": code, "secret": secret, "receipt": html}


def test_the_receipt_secret_shows_the_progress_and_nothing_personal(app, supplement_dossier):
    code, secret = supplement_dossier["code"], supplement_dossier["secret"]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", secret)
    response = app.test_client().get("/tra-cuu/", query_string={"code": code, "secret": secret})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Đăng ký biến động quyền sử dụng đất" in html
    assert "Đang chờ ông/bà bổ sung hồ sơ" in html
    assert SUPPLEMENT in html
    assert "30/12/2019" in html  # accepted
    for personal in PERSONAL:
        assert personal not in html
    # Typed by hand: any case, without the dash, with spaces.
    typed = secret.replace("-", " ").lower()
    again = app.test_client().get("/tra-cuu/", query_string={"code": code, "secret": typed})
    assert again.status_code == 200 and "Đang chờ ông/bà bổ sung hồ sơ" in again.get_data(
        as_text=True
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers


def test_the_api_gives_the_same_fields_by_header_or_query(app, supplement_dossier):
    code, secret = supplement_dossier["code"], supplement_dossier["secret"]
    client = app.test_client()
    by_header = client.get(f"/api/v1/dossiers/{code}", headers={"X-Lookup-Secret": secret})
    by_query = client.get(f"/api/v1/dossiers/{code}", query_string={"secret": secret})
    assert by_header.status_code == by_query.status_code == 200
    assert by_header.get_json() == by_query.get_json()
    data = by_header.get_json()
    assert data["code"] == code
    assert data["status"] == "awaiting_supplement"
    assert data["status_text"] == "Đang chờ ông/bà bổ sung hồ sơ"
    assert data["accepted_on"] == "2019-12-30"
    assert data["supplement"]["what"] == SUPPLEMENT
    assert data["result_ready"] is False and data["collect_at"] is None
    body = by_header.get_data(as_text=True)
    for personal in PERSONAL:
        assert personal not in body
    assert not {"applicant_name", "id_number", "phone", "email", "address"} & set(data)
    assert by_header.headers["Cache-Control"] == "no-store"
    english = client.get(
        f"/api/v1/dossiers/{code}", headers={"X-Lookup-Secret": secret, "Accept-Language": "en"}
    ).get_json()
    assert english["status_text"] == "Waiting for you to supplement the dossier"


def test_a_wrong_secret_is_answered_as_an_unknown_code(app, supplement_dossier):
    code, secret = supplement_dossier["code"], supplement_dossier["secret"]
    wrong = "ABCDE-FGHJK" if secret != "ABCDE-FGHJK" else "ZZZZZ-ZZZZZ"
    unknown = code[:-1] + ("9" if code[-1] != "9" else "8")
    client = app.test_client()
    page_wrong = client.get("/tra-cuu/", query_string={"code": code, "secret": wrong})
    page_unknown = client.get("/tra-cuu/", query_string={"code": unknown, "secret": wrong})
    assert page_wrong.status_code == page_unknown.status_code == 404
    # The same page but for the code typed, which the form gives back.
    assert page_wrong.get_data(as_text=True).replace(code, "X") == page_unknown.get_data(
        as_text=True
    ).replace(unknown, "X")
    assert "Không tìm thấy" in page_wrong.get_data(as_text=True)
    api_wrong = client.get(f"/api/v1/dossiers/{code}", headers={"X-Lookup-Secret": wrong})
    api_unknown = client.get(f"/api/v1/dossiers/{unknown}", headers={"X-Lookup-Secret": wrong})
    api_none = client.get(f"/api/v1/dossiers/{code}")
    assert api_wrong.status_code == api_unknown.status_code == api_none.status_code == 404
    assert api_wrong.get_data() == api_unknown.get_data() == api_none.get_data()


def test_the_secret_is_stored_hashed_and_a_reprint_replaces_it(app, supplement_dossier):
    code, first = supplement_dossier["code"], supplement_dossier["secret"]
    with app.app_context():
        row = db.session.scalar(select(DossierLookup))
        assert lookup.normalize_secret(first) not in row.secret_hash
        assert row.secret_hash.startswith("scrypt:")
        assert row.issue_count == 1
    assert "In lại" not in supplement_dossier["receipt"]
    html, second = print_receipt(app, supplement_dossier["id"])
    assert second != first
    assert "In lại lần 1: mã tra cứu trên phiếu in trước không còn dùng được." in html
    client = app.test_client()
    assert client.get("/tra-cuu/", query_string={"code": code, "secret": first}).status_code == 404
    assert client.get("/tra-cuu/", query_string={"code": code, "secret": second}).status_code == 200


def test_a_dossier_whose_receipt_was_never_printed_is_not_found(app, users):
    _, code = make_dossier(app)
    response = app.test_client().get(f"/api/v1/dossiers/{code}", query_string={"secret": "x"})
    assert response.status_code == 404


def test_result_ready_says_where_and_the_apology_is_shown(app, users):
    dossier_id, code = make_dossier(
        app,
        return_channel="postal",
        steps=[
            ("transfer", None, {}),
            ("reschedule", APOLOGY, {"new_due_date": dt.date(2020, 3, 16)}),
            ("resolve", None, {}),
        ],
    )
    _, secret = print_receipt(app, dossier_id)
    data = (
        app.test_client()
        .get(f"/api/v1/dossiers/{code}", headers={"X-Lookup-Secret": secret})
        .get_json()
    )
    assert data["status"] == "resolved" and data["result_ready"] is True
    assert data["collect_at"] == "Gửi qua bưu chính đến địa chỉ ghi trong hồ sơ"
    assert data["due_date"] == "2020-03-16"
    assert data["apology"]["reason"] == APOLOGY
    html = app.test_client().get("/tra-cuu/", query_string={"code": code, "secret": secret})
    text = html.get_data(as_text=True)
    assert "Thư xin lỗi" in text and APOLOGY in text and "16/03/2020" in text
    assert "Đã có kết quả: mời ông/bà đến nhận" in text


def test_the_staff_cookie_is_ignored_on_the_look_up(app, supplement_dossier):
    clerk = app.test_client()
    assert login(clerk, "staff1").status_code == 302
    response = clerk.get(
        "/tra-cuu/",
        query_string={"code": supplement_dossier["code"], "secret": supplement_dossier["secret"]},
    )
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "staff1" not in response.get_data(as_text=True)


def _guess(client, n: int, code: str, address: str = "127.0.0.1"):
    return [
        client.get(
            "/tra-cuu/",
            query_string={"code": code, "secret": f"WRONG{i:05d}"},
            environ_base={"REMOTE_ADDR": address},
        )
        for i in range(n)
    ]


def test_failed_look_ups_are_limited_per_address_page_and_api_together(app, supplement_dossier):
    app.config["LOOKUP_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    code, secret = supplement_dossier["code"], supplement_dossier["secret"]
    client = app.test_client()
    # Successful look-ups are not counted.
    for _ in range(6):
        assert (
            client.get("/tra-cuu/", query_string={"code": code, "secret": secret}).status_code
            == 200
        )
    answers = _guess(client, 3, code)
    answers += [
        client.get(f"/api/v1/dossiers/{code}X", headers={"X-Lookup-Secret": "A"}) for _ in range(2)
    ]
    assert [r.status_code for r in answers] == [404] * 5
    refused = client.get("/tra-cuu/", query_string={"code": code, "secret": secret})
    assert refused.status_code == 429  # the right secret too, once the limit is reached
    text = refused.get_data(as_text=True)
    assert "Tra cứu không thành công quá nhiều lần. Vui lòng thử lại sau 15 phút." in text
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    api = client.get(f"/api/v1/dossiers/{code}", headers={"X-Lookup-Secret": secret})
    assert api.status_code == 429 and api.headers["Retry-After"]
    assert api.get_json()["error"]["status"] == 429
    # Another address is not affected.
    other = app.test_client().get(
        "/tra-cuu/",
        query_string={"code": code, "secret": secret},
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert other.status_code == 200


REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own on the shared server


@pytest.fixture
def redis_client():
    yield from redis_or_skip(REDIS_URL)


def test_the_count_is_kept_in_redis_when_redis_url_is_set(tmp_path, redis_client, monkeypatch, app):
    """With REDIS_URL the failures are counted in Redis, which every worker and host share:
    two apps (two hosts) on one Redis refuse together."""

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    address = f"fd00::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"  # this run's own count
    url = f"sqlite:///{tmp_path / 'redis.db'}"
    hosts = [make_app(url, LOOKUP_LIMIT_PER_ADDRESS="4 per 15 minutes") for _ in range(2)]
    try:
        assert hosts[0].config["RATELIMIT_STORAGE_URI"] == REDIS_URL
        reset_schema(hosts[0])
        answers = _guess(hosts[0].test_client(), 2, "NO-SUCH-CODE", address)
        answers += _guess(hosts[1].test_client(), 2, "NO-SUCH-CODE", address)
        assert [r.status_code for r in answers] == [404] * 4
        assert _guess(hosts[0].test_client(), 1, "NO-SUCH-CODE", address)[0].status_code == 429
        assert _guess(hosts[1].test_client(), 1, "NO-SUCH-CODE", address)[0].status_code == 429
        keys = [k.decode() for k in redis_client.keys(f"*{address}*")]
        assert keys and all("dossier-lookup" in k for k in keys), keys
    finally:
        for key in redis_client.keys(f"*{address}*"):
            redis_client.delete(key)
        limiter.init_app(app)  # the other tests' apps count in memory again
