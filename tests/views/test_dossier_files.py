"""Files of a dossier through the web (issue 14, point 3 and "Bad input"): each allowed type
stored once by its hash, each refused kind leaving no row and no file, the size limits, an
interrupted upload, path tricks in names, who may download (404 for another agency's staff),
the electronic result, withdrawal instead of deletion — on SQLite and PostgreSQL."""

import datetime as dt
import hashlib
import io
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain import clock
from domain import lifecycle as lc
from models import (
    Agency,
    AuditLog,
    Dossier,
    DossierDocument,
    DossierFile,
    Procedure,
    StoredFile,
    db,
)
from tests import file_samples as samples
from tests.factories import create_user, login, user_agencies

UNIT = "000.00.20.H37"


@pytest.fixture
def world(app, users, files_dir):
    """A dossier of SGTVT (staff1's agency) with two received documents, one of STP."""
    with app.app_context():
        sgtvt, stp = user_agencies()
        create_user("staff_stp", "staff", [stp])
        p1 = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=sgtvt, processing_days=5
        )
        p2 = Procedure(
            code="1.000002", name="Cấp phiếu lý lịch tư pháp", agency=stp, processing_days=10
        )
        db.session.add_all([p1, p2])
        own = Dossier(
            procedure=p1,
            applicant_name="Nguyễn Văn Ánh",
            documents=[
                DossierDocument(name="Đơn đề nghị", kind="original"),
                DossierDocument(name="Giấy phép lái xe cũ", kind="copy"),
            ],
        )
        other = Dossier(procedure=p2, applicant_name="Trần Thị Bình")
        for d in (own, other):
            lc.accept_dossier(db.session, d, None, dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        return {"own": own.id, "other": other.id, "documents": [d.id for d in own.documents]}


def _upload(client, dossier_id, *files, target="dossier"):
    data = {
        "dossier_id": str(dossier_id),
        "target": str(target),
        "files": [(io.BytesIO(content), name) for name, content in files],
    }
    return client.post("/dossier-files/upload/", data=data, content_type="multipart/form-data")


def _flashes(client):
    with client.session_transaction() as session:
        return " ".join(m for _, m in session.get("_flashes", []))


def _stored_on_disk(files_dir: Path) -> list[Path]:
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(StoredFile)),
            db.session.scalar(select(func.count()).select_from(DossierFile)),
        )


@pytest.mark.parametrize(
    "name, make, media_type, pages",
    [
        ("ho-so.pdf", lambda: samples.pdf(3), "application/pdf", 3),
        ("anh.jpg", samples.jpeg, "image/jpeg", None),
        ("anh.png", samples.png, "image/png", None),
    ],
)
def test_each_allowed_type_is_stored_once_under_its_hash(
    app, client, login_as, world, files_dir, name, make, media_type, pages
):
    login_as("staff")
    content = make()
    digest = hashlib.sha256(content).hexdigest()
    response = _upload(client, world["own"], (name, content), target=world["documents"][0])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dossier/details/?id={world['own']}#files")
    assert "Đã đính kèm 1 tệp" in _flashes(client)
    with app.app_context():
        attachment = db.session.scalars(select(DossierFile)).one()
        assert (
            attachment.stored.sha256,
            attachment.stored.size,
            attachment.stored.media_type,
            attachment.stored.pages,
        ) == (digest, len(content), media_type, pages)
        assert attachment.document_id == world["documents"][0]
        assert attachment.original_name == name and attachment.kind == "scan"
        assert attachment.uploaded_by.username == "staff1"
        assert attachment.uploaded_at.date() == clock.today()
        audit = db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == "dossier_file")
        ).one()
        assert audit.action == "insert" and audit.user_id == attachment.uploaded_by_id
    # One file, where its hash says, with exactly the bytes sent; no temporary file left.
    assert _stored_on_disk(files_dir) == [files_dir / digest[:2] / digest[2:4] / digest]
    assert (files_dir / digest[:2] / digest[2:4] / digest).read_bytes() == content

    page = client.get(f"/dossier/details/?id={world['own']}").get_data(as_text=True)
    assert name in page and 'id="file-list"' in page
    if pages:
        assert '<td class="text-right file-pages">3</td>' in page


REFUSED = [
    ("renamed executable", "ho-so.pdf", samples.executable, "không phải tệp PDF, JPEG hoặc PNG"),
    ("ELF program", "anh.png", samples.elf, "không phải tệp PDF, JPEG hoặc PNG"),
    ("HTML", "trang.pdf", samples.html, "không phải tệp PDF, JPEG hoặc PNG"),
    ("SVG", "hinh.svg", samples.svg, "không phải tệp PDF, JPEG hoặc PNG"),
    ("zip bomb named .pdf", "ho-so.pdf", samples.zip_bomb, "không phải tệp PDF, JPEG hoặc PNG"),
    ("PDF with JavaScript", "ho-so.pdf", lambda: samples.pdf(1, "app.alert(1)"), "JavaScript"),
    (
        "PDF with a JavaScript open action",
        "ho-so.pdf",
        samples.pdf_with_open_action_js,
        "JavaScript",
    ),
    ("PNG bomb", "anh.png", samples.png_bomb, "không đọc được"),
    ("truncated JPEG", "anh.jpg", lambda: samples.jpeg()[:-2], "không đọc được"),
    ("truncated PDF", "ho-so.pdf", lambda: samples.pdf(2)[:300], "không đọc được"),
    ("empty file", "rong.pdf", lambda: b"", "trống"),
]


@pytest.mark.parametrize("what, name, make, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_kinds_leave_no_row_and_no_file(
    app, client, login_as, world, files_dir, what, name, make, message
):
    login_as("staff")
    response = _upload(client, world["own"], (name, make()))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"?id={world['own']}")  # the message on top
    flashes = _flashes(client)
    assert message in flashes and "không được lưu" in flashes, flashes
    assert _counts(app) == (0, 0)
    assert _stored_on_disk(files_dir) == []


def test_a_file_over_the_limit_is_refused_in_vietnamese(app, client, login_as, world, files_dir):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    login_as("staff")
    big = samples.pdf(40)
    assert len(big) > 1000
    _upload(client, world["own"], ("lon.pdf", big))
    assert "lớn hơn" in _flashes(client)
    assert _counts(app) == (0, 0) and _stored_on_disk(files_dir) == []


def test_a_request_over_max_content_length_gets_the_vietnamese_413_page(
    app, client, login_as, world, files_dir
):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    login_as("staff")
    response = _upload(client, world["own"], ("lon.png", samples.png(300, 200, seed=1) * 3))
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0) and _stored_on_disk(files_dir) == []


def test_one_refused_file_in_a_send_stores_none_of_them(app, client, login_as, world, files_dir):
    login_as("staff")
    _upload(client, world["own"], ("tot.pdf", samples.pdf(1)), ("xau.pdf", samples.executable()))
    flashes = _flashes(client)
    assert "xau.pdf" in flashes and "Không lưu tệp nào" in flashes
    assert _counts(app) == (0, 0) and _stored_on_disk(files_dir) == []


def test_an_upload_interrupted_half_way_leaves_nothing(app, client, login_as, world, files_dir):
    login_as("staff")
    boundary = "----motcua"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="dossier_id"\r\n\r\n'
        f"{world['own']}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="target"\r\n\r\ndossier\r\n--{boundary}\r\nContent-Disposition: form-data; '
        f'name="files"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode() + samples.pdf(5)
    half = body[: len(body) // 2 + 200]
    response = client.post(
        "/dossier-files/upload/",
        input_stream=io.BytesIO(half),
        content_type=f"multipart/form-data; boundary={boundary}",
        # as a WSGI server hands it over: the announced length, less data
        environ_overrides={"wsgi.input_terminated": False, "CONTENT_LENGTH": str(len(body) + 100)},
    )
    assert response.status_code == 400
    assert _counts(app) == (0, 0) and _stored_on_disk(files_dir) == []


def test_the_same_content_is_stored_once(app, client, login_as, world, files_dir):
    login_as("staff")
    content = samples.png(seed=7)
    _upload(client, world["own"], ("a.png", content), target=world["documents"][0])
    _upload(client, world["own"], ("b.png", content), target=world["documents"][1])
    assert _counts(app) == (1, 2)
    # The same file again on the same document: a double send, refused, nothing added.
    _upload(client, world["own"], ("c.png", content), target=world["documents"][1])
    assert "đã được đính kèm" in _flashes(client)
    assert _counts(app) == (1, 2)
    assert len(_stored_on_disk(files_dir)) == 1


def test_the_same_content_twice_in_one_send_stores_nothing(app, client, login_as, world, files_dir):
    """Refused before anything is written (it once left the first copy on disk, no row)."""
    login_as("staff")
    content = samples.png(seed=11)
    _upload(client, world["own"], ("a.png", content), ("b.png", content))
    assert "b.png đã được đính kèm" in _flashes(client)
    assert _counts(app) == (0, 0) and _stored_on_disk(files_dir) == []


@pytest.mark.parametrize(
    "name, shown",
    [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/cron.d/job.pdf", "job.pdf"),
        # (the multipart quoting reads "\\W" as "W": what arrives has no separator left)
        ("C:\\Windows\\System32\\scan.pdf", "C:WindowsSystem32scan.pdf"),
        ("ho\x00so.pdf", "hoso.pdf"),
        ("..", "tep"),
    ],
)
def test_path_tricks_in_names_have_no_effect(
    app, client, login_as, world, files_dir, tmp_path, name, shown
):
    login_as("staff")
    content = samples.pdf(1)
    digest = hashlib.sha256(content).hexdigest()
    response = _upload(client, world["own"], (name, content))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(DossierFile.original_name)).one() == shown
    assert _stored_on_disk(files_dir) == [files_dir / digest[:2] / digest[2:4] / digest]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files"]  # nothing beside FILES_DIR


def _one_file(app, client, login_as, world, make=samples.pdf, name="ho-so.pdf"):
    login_as("staff")
    _upload(client, world["own"], (name, make()))
    client.post("/logout")
    with app.app_context():
        return db.session.scalars(select(DossierFile.id)).one()


def test_downloads_follow_the_dossier_rule(app, client, login_as, world, files_dir):
    content = samples.pdf(2)
    file_id = _one_file(app, client, login_as, world, make=lambda: content)
    url = f"/dossier-files/{file_id}/download"
    assert client.get(url).status_code == 302  # anonymous: to the login page

    assert login(client, "staff_stp").status_code == 302  # another agency's clerk
    assert client.get(url).status_code == 404
    assert client.get(f"/dossier/details/?id={world['own']}").status_code == 404
    assert _upload(client, world["own"], ("x.pdf", samples.pdf(1))).status_code == 404
    assert (
        client.post(
            "/dossier-files/withdraw/", data={"file_id": file_id, "reason": "nhầm"}
        ).status_code
        == 404
    )
    assert client.get("/dossier-files/99999999999/download").status_code == 404
    client.post("/logout")

    login_as("manager")
    response = client.get(url)
    assert response.status_code == 200 and response.data == content
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "ho-so.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    # Managers read, never attach nor withdraw.
    assert _upload(client, world["own"], ("x.pdf", samples.pdf(1))).status_code == 403
    assert (
        client.post(
            "/dossier-files/withdraw/", data={"file_id": file_id, "reason": "nhầm"}
        ).status_code
        == 403
    )
    assert _counts(app) == (1, 1)


def test_download_name_carries_the_real_type(app, client, login_as, world, files_dir):
    file_id = _one_file(app, client, login_as, world, make=samples.png, name="scan.pdf")
    login_as("staff")
    response = client.get(f"/dossier-files/{file_id}/download")
    assert response.mimetype == "image/png"
    assert "filename=scan.png" in response.headers["Content-Disposition"]


def test_the_electronic_result_needs_a_resolved_dossier(app, client, login_as, world, files_dir):
    login_as("staff")
    _upload(client, world["own"], ("ket-qua.pdf", samples.pdf(1)), target="result")
    assert "đã giải quyết xong" in _flashes(client)
    assert _counts(app) == (0, 0)
    with app.app_context():
        dossier = db.session.get(Dossier, world["own"])
        lc.transition(db.session, dossier, "resolve", None, clock.now())
        db.session.commit()
    page = client.get(f"/dossier/details/?id={world['own']}").get_data(as_text=True)
    assert '<option value="result">Kết quả điện tử</option>' in page
    _upload(client, world["own"], ("ket-qua.pdf", samples.pdf(1)), target="result")
    with app.app_context():
        attachment = db.session.scalars(select(DossierFile)).one()
        assert attachment.kind == "result" and attachment.document_id is None


def test_a_document_of_another_dossier_is_not_a_target(app, client, login_as, world, files_dir):
    with app.app_context():
        stranger = DossierDocument(dossier_id=world["other"], name="Giấy khác")
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id
    login_as("staff")
    response = _upload(client, world["own"], ("a.pdf", samples.pdf(1)), target=stranger_id)
    assert response.status_code == 404
    assert _counts(app) == (0, 0)


def test_a_wrong_file_is_withdrawn_with_a_reason_never_deleted(
    app, client, login_as, world, files_dir
):
    file_id = _one_file(app, client, login_as, world)
    login_as("staff")
    response = client.post("/dossier-files/withdraw/", data={"file_id": file_id, "reason": ""})
    assert response.status_code == 302 and "lý do" in _flashes(client)
    response = client.post(
        "/dossier-files/withdraw/", data={"file_id": file_id, "reason": "Quét nhầm hồ sơ khác"}
    )
    assert response.status_code == 302
    with app.app_context():
        attachment = db.session.get(DossierFile, file_id)
        assert attachment.withdrawn_reason == "Quét nhầm hồ sơ khác"
        assert attachment.withdrawn_by.username == "staff1" and attachment.withdrawn_at
        audit = db.session.scalars(
            select(AuditLog).where(
                AuditLog.table_name == "dossier_file", AuditLog.action == "update"
            )
        ).one()
        assert audit.changes["withdrawn_reason"] == [None, "Quét nhầm hồ sơ khác"]
    # Still there, still readable; shown as withdrawn with its reason.
    assert client.get(f"/dossier-files/{file_id}/download").status_code == 200
    page = client.get(f"/dossier/details/?id={world['own']}").get_data(as_text=True)
    assert "Quét nhầm hồ sơ khác" in page
    # Withdrawn once only.
    client.post("/dossier-files/withdraw/", data={"file_id": file_id, "reason": "lần nữa"})
    assert "đã được thu hồi" in _flashes(client)
    assert _counts(app) == (1, 1)


def test_the_upload_form_needs_its_csrf_token(csrf_app, users, tmp_path):
    csrf_app.config["FILES_DIR"] = str(tmp_path / "files")
    with csrf_app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        proc = Procedure(code="1.000001", name="Thủ tục", agency=agency, processing_days=5)
        dossier = Dossier(procedure=proc, applicant_name="A")
        lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        dossier_id = dossier.id
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    client.post(
        "/login",
        data={"username": "staff1", "password": "correct horse 42", "csrf_token": token.group(1)},
    )
    response = _upload(client, dossier_id, ("a.pdf", samples.pdf(1)))
    assert response.status_code == 400
    assert _counts(csrf_app) == (0, 0)
    assert not (tmp_path / "files").exists()


@pytest.mark.commits  # threads with their own connections
def test_the_same_new_content_sent_twice_at_once_is_stored_once(app, users, world, files_dir):
    """Two clerks send the same new scan at the same moment (to two documents): one stored
    file, two attachments, no error page — on PostgreSQL the second insert of the hash loses
    the race and is retried."""

    content = samples.png(seed=11)
    clients = [app.test_client() for _ in world["documents"]]
    for each in clients:
        assert login(each, "staff1").status_code == 302
    barrier = threading.Barrier(len(clients))
    statuses = []

    def send(each, document_id):
        barrier.wait()
        statuses.append(
            _upload(each, world["own"], ("a.png", content), target=document_id).status_code
        )

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(clients, world["documents"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302, 302]
    assert _counts(app) == (1, 2)
    assert len(_stored_on_disk(files_dir)) == 1
