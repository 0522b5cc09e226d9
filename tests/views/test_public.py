"""The public procedure catalog /thu-tuc/ (issue 15): accent-free search by name or code,
filters, the procedure page, only active procedures, no staff session, no staff data."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import event

from models import Procedure, db
from tests.factories import login
from tests.public_catalog_data import (
    BIRTH,
    COMPANY,
    DRIVING_NEW,
    DRIVING_RENEW,
    INACTIVE,
    LAST_LEVEL,
    OF_INACTIVE_AGENCY,
    PUBLIC_CODES,
    STAFF_NAME,
    add_many,
    build_catalog,
)


@pytest.fixture
def catalog(app):
    with app.app_context():
        return build_catalog()


def codes_found(response) -> list[str]:
    assert response.status_code == 200, response.data[:300]
    return re.findall(r'class="public-code">([^<]+)<', response.get_data(as_text=True))


def search(client, **args) -> set[str]:
    return set(codes_found(client.get("/thu-tuc/", query_string=args)))


def test_the_catalog_lists_only_active_procedures_of_active_agencies(client, catalog):
    response = client.get("/thu-tuc/")
    assert set(codes_found(response)) == PUBLIC_CODES
    html = response.get_data(as_text=True)
    assert "Tìm thấy 4 thủ tục" in html
    assert 'lang="vi"' in html
    assert "đã bãi bỏ" not in html and "Sở Đã Giải Thể" not in html  # nor in the filters


def test_search_ignores_accents_and_case(client, catalog):
    assert search(client, q="giay phep lai xe") == {DRIVING_NEW, DRIVING_RENEW}
    assert search(client, q="GIẤY PHÉP lái") == {DRIVING_NEW, DRIVING_RENEW}
    assert search(client, q="dang ky khai sinh") == {BIRTH}  # "đ" is found by "d"
    assert search(client, q="cap moi giay phep") == {DRIVING_NEW}  # every word must match
    assert search(client, q="khai sinh xe") == set()
    html = client.get("/thu-tuc/?q=khai+sinh+xe").get_data(as_text=True)
    assert "Không tìm thấy thủ tục nào" in html


def test_search_by_code_or_its_start(client, catalog):
    assert search(client, q=DRIVING_NEW) == {DRIVING_NEW}
    assert search(client, q="1.0046") == {DRIVING_NEW}
    assert search(client, q=INACTIVE) == set()


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"agency": "STP"}, {BIRTH}),
        ({"agency": "SGTVT"}, {DRIVING_NEW, DRIVING_RENEW}),
        ({"agency": "SCU"}, set()),  # inactive agency
        ({"field": "SKHDT-DN"}, {COMPANY}),
        ({"level": LAST_LEVEL}, {BIRTH}),
        ({"online_level": "full"}, {DRIVING_RENEW, COMPANY}),
        ({"online_level": "partial"}, {DRIVING_NEW}),
        ({"saturday_service": "1"}, {DRIVING_NEW, COMPANY}),
        ({"four_on_spot": "1"}, {DRIVING_RENEW, COMPANY}),
        ({"postal_in": "1"}, {DRIVING_NEW}),
        ({"postal_out": "1"}, {DRIVING_NEW, BIRTH}),
        ({"four_on_spot": "1", "agency": "SKHDT"}, {COMPANY}),
        ({"q": "giay phep", "online_level": "full"}, {DRIVING_RENEW}),
        # Nonsense from an old or edited link: ignored, or nothing found, never an error.
        ({"level": "galaxy", "online_level": "x", "page": "abc"}, PUBLIC_CODES),
        ({"agency": "x" * 500, "q": "y" * 5000}, set()),
    ],
)
def test_filters(client, catalog, args, expected):
    assert search(client, **args) == expected


def test_the_filters_offer_only_what_finds_something(client, catalog):
    html = client.get("/thu-tuc/").get_data(as_text=True)
    agencies = re.findall(
        r'<option value="([^"]+)"', html.split('id="agency"')[1].split("</select>")[0]
    )
    assert agencies == ["SGTVT", "STP", "SKHDT"]  # the center's order; no inactive agency
    assert 'value="STP-HT"' in html and 'value="SKHDT-DN"' in html
    for flag in ("saturday_service", "four_on_spot", "postal_in", "postal_out"):
        assert f'name="{flag}"' in html
    assert 'method="get"' in html and "csrf_token" not in html


def test_the_procedure_page(client, catalog):
    response = client.get(f"/thu-tuc/{DRIVING_NEW}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 class="h4" id="procedure-name">Cấp mới giấy phép lái xe</h1>' in html
    assert "7 ngày làm việc" in html
    documents = re.findall(r"<li>([^<]+)</li>", html.split('id="documents"')[1].split("</ul>")[0])
    assert documents == [
        "Đơn đề nghị cấp giấy phép lái xe",
        "Giấy khám sức khỏe của người lái xe",
        "Bản sao căn cước",
    ]
    fees = html.split('id="fees"')[1].split("</ul>")[0]
    assert "Lệ phí: Lệ phí cấp giấy phép lái xe" in fees and "135.000 đ" in fees
    assert "Phí: Phí sát hạch lý thuyết" in fees and "Theo hạng xe" in fees
    channels = html.split('id="channels"')[1].split("</ul>")[0]
    for text in (
        "Trực tiếp tại quầy",
        "Trực tuyến một phần",
        "Nộp hồ sơ qua bưu chính",
        "Nhận kết quả qua bưu chính",
        "Tiếp nhận vào sáng thứ Bảy",
    ):
        assert text in channels
    assert "Luật Trật tự, an toàn giao thông đường bộ 2024" in html
    assert "Công bố tại Quyết định số 1234/QĐ-UBND ngày 15/07/2025" in html
    assert "Sở Giao thông vận tải" in html and "Đường bộ" in html

    birth = client.get(f"/thu-tuc/{BIRTH}").get_data(as_text=True)
    assert "Trong ngày" in birth and "Không thu phí, lệ phí." in birth
    assert "Thủ tục liên thông" in birth


@pytest.mark.parametrize(
    "code", [INACTIVE, OF_INACTIVE_AGENCY, "9.999999", "x" * 300, "1.004616/extra", "%3Cscript%3E"]
)
def test_inactive_or_unknown_procedures_are_not_found(client, catalog, code):
    response = client.get(f"/thu-tuc/{code}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'id="not-found"' in html and "Không tìm thấy thủ tục" in html
    assert "<script" not in html


def test_no_session_cookie_and_no_staff_data(app, client, catalog):
    """Anonymous or with a staff member's cookie: the public pages neither set nor read it,
    show nobody's name and keep the security headers; the staff session still works after."""
    for path in ("/thu-tuc/", f"/thu-tuc/{DRIVING_NEW}", "/thu-tuc/?q=giay+phep", "/thu-tuc/0"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
    assert login(client, "staff_public").status_code == 302
    staff_cookie = client.get_cookie("session").value
    for path in ("/thu-tuc/", f"/thu-tuc/{DRIVING_NEW}", "/thu-tuc/0"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers, path
        assert STAFF_NAME not in html and "staff_public" not in html
        assert "logout" not in html and "Đăng xuất" not in html
        csp = response.headers["Content-Security-Policy"]
        assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp)
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if response.status_code == 200:  # the same for everybody: cacheable
            assert response.headers["Cache-Control"].startswith("public")
    assert client.get_cookie("session").value == staff_cookie
    staff_page = client.get("/dossier/")
    assert staff_page.status_code == 200 and STAFF_NAME in staff_page.get_data(as_text=True)


def test_a_staff_session_is_not_read(app, client, catalog):
    """With session protection, a session read on a public page from another browser would be
    emptied (Set-Cookie); on the public pages it is not even opened."""
    assert login(client, "staff_public").status_code == 302
    response = client.get("/thu-tuc/", headers={"User-Agent": "another browser"})
    assert "Set-Cookie" not in response.headers
    assert client.get("/dossier/").status_code == 200


def test_pages_of_a_large_catalog(app, client, catalog):
    """1,300 procedures: 20 a page, every procedure on exactly one page, a few queries a page
    whatever its length (no query per row), quickly."""
    with app.app_context():
        added = add_many(1296)
    statements = []

    def count(*args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        first = client.get("/thu-tuc/")
        elapsed = time.perf_counter() - started
        first_queries = len(statements)
        html = first.get_data(as_text=True)
        assert "Tìm thấy 1.300 thủ tục" in html and "Trang 1/65" in html
        seen = []
        page = 1
        while True:
            statements.clear()
            response = client.get("/thu-tuc/", query_string={"page": page} if page > 1 else {})
            assert len(statements) == first_queries  # the same few queries on every page
            codes = codes_found(response)
            seen += codes
            match = re.search(r'href="([^"]+)" id="next-page"', response.get_data(as_text=True))
            if not match:
                break
            page += 1
            assert match.group(1).replace("&amp;", "&") == f"/thu-tuc/?page={page}"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page == 65 and len(seen) == 1300 and len(set(seen)) == 1300
    assert set(seen) == PUBLIC_CODES | set(added)
    assert first_queries <= 6
    assert elapsed < 2.0, elapsed
    # A search among them, with the filters kept on the next page's link.
    response = client.get("/thu-tuc/?q=thu+nghiem&agency=SGTVT")
    assert "Tìm thấy 1.296 thủ tục" in response.get_data(as_text=True)
    assert (
        'href="/thu-tuc/?q=thu+nghiem&amp;agency=SGTVT&amp;page=2" id="next-page"'
        in response.get_data(as_text=True)
    )
    beyond = client.get("/thu-tuc/?q=thu+nghiem&page=99999")
    assert "Trang 65/65" in beyond.get_data(as_text=True)


def test_a_procedure_made_inactive_disappears(app, client, catalog):
    assert client.get(f"/thu-tuc/{DRIVING_RENEW}").status_code == 200
    with app.app_context():
        db.session.query(Procedure).filter_by(code=DRIVING_RENEW).one().active = False
        db.session.commit()
    assert client.get(f"/thu-tuc/{DRIVING_RENEW}").status_code == 404
    assert DRIVING_RENEW not in search(client)


def test_the_favicon_is_served_without_a_session(app, client, catalog):
    """The browser asks for /favicon.ico on every site: an icon, not a 404, for anybody, and
    the staff cookie is neither read nor refreshed."""
    for logged_in in (False, True):  # anonymous, then with a staff member's cookie
        if logged_in:
            assert login(client, "staff_public").status_code == 302
        response = client.get("/favicon.ico")
        assert response.status_code == 200
        assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert "Set-Cookie" not in response.headers
