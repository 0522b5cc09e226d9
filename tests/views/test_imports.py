"""The admin's import screens: upload → preview → confirm, with CSRF on, and who may use them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from domain.dossier_import import COLUMNS
from models import Agency, Dossier, DossierEvent, Procedure, db
from tests.factories import PASSWORD, create_agency, create_user
from tests.import_helpers import BILLION_LAUGHS, replace_in_xlsx, snapshot, xlsx_bytes

DOSSIERS = [
    ["code", "procedure_code", "applicant_name", "channel", "accepted_at", "status"],
    ["CU-1", "1.002809", "Đặng Thị Thu", "direct", "26/01/2019 09:00", "2"],
]


def _token(page: bytes) -> str:
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "form without a CSRF token"
    return match.group(1).decode()


def _setup(app):
    with app.app_context():
        agency = create_agency()
        db.session.add(
            Procedure(
                code="1.002809", name="Cấp lại Giấy phép lái xe", agency=agency, processing_days=5
            )
        )
        create_user("admin1", "admin")
        create_user("admin2", "admin")
        create_user("staff1", "staff", [agency])
        create_user("manager1", "manager")
        db.session.commit()


def _login(client, username="admin1"):
    token = _token(client.get("/login").data)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _upload(client, data: bytes, name: str, kind: str = "catalog"):
    token = _token(client.get("/imports/").data)
    return client.post(
        "/imports/",
        data={"kind": kind, "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def admin_client(csrf_app):
    _setup(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    return client


def test_catalog_upload_preview_confirm(csrf_app, admin_client):
    client = admin_client
    exported = client.get("/imports/export/catalog.xlsx")
    assert exported.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(exported.data))
    workbook["agencies"]["C2"] = "GTVT mới"  # short_name of SGTVT
    workbook["agencies"]["G2"] = False  # active
    workbook["agencies"].append(["SNV", "Sở Nội vụ", None, None, "department", 5, True])
    buffer = io.BytesIO()
    workbook.save(buffer)

    # Without the CSRF token the upload is refused.
    response = client.post(
        "/imports/",
        data={"kind": "catalog", "file": (io.BytesIO(buffer.getvalue()), "c.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400

    response = _upload(client, buffer.getvalue(), "c.xlsx")
    assert response.status_code == 302
    preview_url = response.location
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    with csrf_app.app_context():
        before = snapshot()
    page = client.get(preview_url)
    assert page.status_code == 200
    html = page.data.decode()
    assert html.count('class="import-new"') == 1 and html.count('class="import-changed"') == 1
    assert html.count('class="import-unchanged"') == 1  # the procedure
    assert "GTVT mới" in html and "SNV" in html and "Có → Không" in html
    with csrf_app.app_context():
        assert snapshot() == before  # the preview wrote nothing

    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    confirm = f"/imports/confirm/{token}"
    assert client.post(confirm, data={"digest": digest}).status_code == 400  # no CSRF token
    tampered = client.post(confirm, data={"digest": "0" * 64, "csrf_token": _token(page.data)})
    assert tampered.status_code == 302 and tampered.location.endswith(f"/preview/{token}")
    with csrf_app.app_context():
        assert snapshot() == before

    response = client.post(confirm, data={"digest": digest, "csrf_token": _token(page.data)})
    assert response.status_code == 200
    assert 'id="import-result"' in response.data.decode()
    with csrf_app.app_context():
        assert db.session.execute(
            select(Agency.short_name, Agency.active).where(Agency.code == "SGTVT")
        ).one() == ("GTVT mới", False)
        assert db.session.scalar(select(func.count()).select_from(Agency)) == 2
    # The stored upload is gone: the same confirmation cannot run twice.
    assert client.get(preview_url).status_code == 404
    assert not list((Path(csrf_app.instance_path) / "imports").glob(f"{token}.*"))


def test_agency_codes_that_differ_only_by_case_are_one_agency(csrf_app, admin_client):
    """Uploaded as the browser sends it: "sgtvt" is the stored SGTVT (no second agency); two
    rows "SNV" and "snv" are refused with the reason, and nothing is written."""
    client = admin_client
    header = ["code", "name", "kind"]
    rows = [header, ["sgtvt", "Sở Giao thông vận tải", "department"]]
    twice = rows + [["SNV", "Sở Nội vụ", "department"], ["snv", "Sở Nội vụ", "department"]]
    response = _upload(client, xlsx_bytes({"agencies": twice}), "c.xlsx")
    assert response.status_code == 302
    html = client.get(response.location).data.decode()
    assert 'id="import-errors"' in html and 'id="confirm-form"' not in html
    assert "mã cơ quan snv trùng với mã SNV ở dòng 3 (mã cơ quan không phân biệt chữ hoa" in html

    response = _upload(
        client, xlsx_bytes({"agencies": rows + [["snv", "Sở Nội vụ", None]]}), "c.xlsx"
    )
    page = client.get(response.location)
    html = page.data.decode()
    assert html.count('class="import-new"') == 1 and html.count('class="import-unchanged"') == 1
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    confirm = response.location.replace("/preview/", "/confirm/")
    assert (
        client.post(confirm, data={"digest": digest, "csrf_token": _token(page.data)}).status_code
        == 200
    )
    with csrf_app.app_context():
        assert sorted(db.session.scalars(select(Agency.code))) == ["SGTVT", "SNV"]


def test_dossier_errors_block_the_confirmation(csrf_app, admin_client):
    client = admin_client
    rows = DOSSIERS + [["CU-1", "9.999999", "Trùng", "fax", "hôm qua", "2"]]
    response = _upload(client, xlsx_bytes({"dossiers": rows}), "hs.xlsx", kind="dossiers")
    token = response.location.rstrip("/").rsplit("/", 1)[1]
    html = client.get(response.location).data.decode()
    assert 'id="import-errors"' in html and 'id="confirm-form"' not in html
    assert "dòng 3: mã hồ sơ CU-1 trùng với dòng 2" in html
    assert "không có thủ tục mã 9.999999" in html
    with csrf_app.app_context():
        before = snapshot()
    # Posting the confirmation anyway (a forged form) writes nothing.
    forged = client.post(
        f"/imports/confirm/{token}", data={"digest": "x", "csrf_token": _token(html.encode())}
    )
    assert forged.status_code == 302
    with csrf_app.app_context():
        assert snapshot() == before


def test_dossier_import_through_the_browser_flow(csrf_app, admin_client):
    client = admin_client
    response = _upload(client, xlsx_bytes({"dossiers": DOSSIERS}), "hs.xlsx", kind="dossiers")
    token = response.location.rstrip("/").rsplit("/", 1)[1]
    page = client.get(response.location)
    html = page.data.decode()
    assert "Đặng Thị Thu" in html and "11/02/2019" in html  # due date computed for the preview
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/imports/confirm/{token}", data={"digest": digest, "csrf_token": _token(page.data)}
    )
    assert response.status_code == 200
    with csrf_app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert dossier.code == "CU-1" and dossier.due_date.isoformat() == "2019-02-11"
        event = db.session.scalar(select(DossierEvent))
        admin_id = db.session.execute(
            db.text("SELECT id FROM \"user\" WHERE username='admin1'")
        ).scalar()
        assert event.user_id == admin_id and event.reason == "Nhập từ hệ thống cũ"


def test_hostile_upload_is_refused_on_the_preview(csrf_app, admin_client):
    client = admin_client
    attack = replace_in_xlsx(
        client.get("/imports/template/catalog.xlsx").data,
        "xl/worksheets/sheet1.xml",
        BILLION_LAUGHS,
    )
    with csrf_app.app_context():
        before = snapshot()
    response = _upload(client, attack, "c.xlsx")
    html = client.get(response.location).data.decode()
    assert "DOCTYPE/ENTITY" in html and 'id="confirm-form"' not in html
    with csrf_app.app_context():
        assert snapshot() == before


def test_templates_have_the_documented_layout(csrf_app, admin_client):
    client = admin_client
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/imports/template/catalog.xlsx").data))
    assert workbook.sheetnames == [
        "agencies",
        "fields",
        "procedures",
        "fee_items",
        "procedure_documents",
        "huong_dan",
    ]
    assert [c.value for c in workbook["fee_items"][1]] == [
        "procedure_code",
        "kind",
        "name",
        "amount_vnd",
        "channel",
        "note",
    ]
    assert [c.value for c in workbook["procedure_documents"][1]] == [
        "procedure_code",
        "position",
        "name",
        "kind",
        "copies",
        "required",
    ]
    assert workbook["agencies"].max_row == 1  # header only
    dossiers = openpyxl.load_workbook(
        io.BytesIO(client.get("/imports/template/dossiers.xlsx").data)
    )
    assert [c.value for c in dossiers["dossiers"][1]] == list(COLUMNS)
    csv_template = client.get("/imports/template/dossiers.csv").data
    assert csv_template.startswith(b"\xef\xbb\xbfcode,procedure_code,")
    assert client.get("/imports/template/other.xlsx").status_code == 404


def test_another_admin_cannot_use_my_upload(csrf_app, admin_client):
    response = _upload(admin_client, xlsx_bytes({"dossiers": DOSSIERS}), "hs.xlsx", kind="dossiers")
    other = csrf_app.test_client()
    _login(other, "admin2")
    assert other.get(response.location).status_code == 404
    assert other.get("/imports/preview/..%2F..%2Fsecret_key").status_code == 404
    assert other.get("/imports/preview/short").status_code == 404


URLS = [
    ("get", "/imports/"),
    ("post", "/imports/"),
    ("get", "/imports/preview/" + "a" * 32),
    ("post", "/imports/confirm/" + "a" * 32),
    ("post", "/imports/cancel/" + "a" * 32),
    ("get", "/imports/template/catalog.xlsx"),
    ("get", "/imports/export/catalog.xlsx"),
]


def test_anonymous_is_sent_to_login(client, users):
    for method, url in URLS:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.location, url


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_only_admins_may_import_or_export(app, client, login_as, role, tmp_path, monkeypatch):
    # An instance folder of this test's own: the other xdist worker stores uploads meanwhile.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    login_as(role)
    uploads = Path(app.instance_path) / "imports"
    stored = len(list(uploads.glob("*"))) if uploads.exists() else 0
    with app.app_context():
        before = snapshot()
    for method, url in URLS:
        kwargs = {}
        if method == "post" and url == "/imports/":
            kwargs = {
                "data": {"kind": "dossiers", "file": (io.BytesIO(b"x"), "hs.csv")},
                "content_type": "multipart/form-data",
            }
        assert getattr(client, method)(url, **kwargs).status_code == 403, (role, url)
    with app.app_context():
        assert snapshot() == before
    assert (len(list(uploads.glob("*"))) if uploads.exists() else 0) == stored
