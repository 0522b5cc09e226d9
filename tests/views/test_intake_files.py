"""Scans sent with the intake (issue 14 point 3: "at intake and later"), posted as the browser
sends the intake page (multipart, its CSRF and one-time tokens, the checklist as the page script
builds it): each allowed type attached to the dossier and to its ticked documents in the intake's
own transaction, counted as scanned at intake; each refused kind leaves no dossier, no file row
and no stored file, and the form comes back with what was typed — on SQLite and PostgreSQL."""

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.test import encode_multipart

from domain import clock
from domain.digitisation import scanned_at_intake_counts
from domain.periods import Period
from models import Dossier, DossierFile, Procedure, ProcedureDocument, StoredFile, db
from tests import file_samples as samples
from tests.browser_forms import open_form
from tests.factories import licence_procedure, user_agencies
from tests.views.test_dossier_files import REFUSED

NOW = dt.datetime(2026, 11, 30, 9, 15)
NAME = "Hà Thị Quỳnh"


@pytest.fixture
def desk(app, users, files_dir):
    """A procedure of SGTVT (staff1's agency) with two papers, and one of STP."""
    with app.app_context():
        sgtvt, stp = user_agencies()
        licence = licence_procedure(
            sgtvt,
            documents=[
                ProcedureDocument(position=1, name="Đơn đề nghị cấp lại GPLX"),
                ProcedureDocument(position=2, name="Bản sao CCCD", kind="copy"),
            ],
        )
        other = Procedure(code="2.000488", name="Cấp Phiếu lý lịch tư pháp", agency=stp)
        other.documents = [ProcedureDocument(position=1, name="Tờ khai")]
        db.session.add_all([licence, other])
        db.session.commit()
        return {
            "licence": licence.id,
            "documents": [d.id for d in licence.documents],
            "other_document": other.documents[0].id,
        }


@pytest.fixture
def clerk(app, client, login_as, desk):
    """staff1 logged in; from then on the forms carry their CSRF token, as in production."""
    login_as("staff")
    app.config["WTF_CSRF_ENABLED"] = True
    return client


def _form(client, desk, ticked=(0, 1)):
    """The intake form as the browser sends it once the clerk has filled it in: the page's own
    fields and tokens, the procedure picked, the checklist the page script shows."""
    form = open_form(client, "/dossier/new/", "intake-form")
    assert form.enctype == "multipart/form-data"
    form.set("procedure", desk["licence"])
    form.set("id_number", "020190004321")
    form.set("applicant_name", NAME)
    form.set("phone", "0912 000 999")
    form.set("address", "Số 1 Lê Lợi, Lạng Sơn")
    for i, doc in enumerate(desk["documents"]):
        if i in ticked:
            form.set(f"checklist-{doc}", "1")
        form.set(f"checklist-{doc}-kind", "copy" if i else "original")
        form.set(f"checklist-{doc}-copies", "1")
    form.set("_intake_print", "1")  # the one button
    return form


def _send(client, form, files):
    """files: {field name: [(name, content)]}, each field a file input (several files each)."""
    data = form.data()
    for field, items in files.items():
        for name, content in items:
            data.add(field, (io.BytesIO(content), name))
    with clock.frozen(NOW):
        return client.post(form.action, data=data, content_type="multipart/form-data")


def _on_disk(files_dir: Path) -> list[Path]:
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Dossier, StoredFile, DossierFile)
        )


def test_the_page_offers_a_file_input_for_the_dossier(clerk, desk):
    page = clerk.get("/dossier/new/").get_data(as_text=True)
    assert 'type="file" name="intake-files" id="intake-files" multiple' in page
    assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in page
    assert "Bản quét cả hồ sơ" in page and "tối đa 20 MB mỗi tệp" in page
    # What the page script needs to offer one per document and to catch a file too large.
    config = json.loads(BeautifulSoup(page, "html.parser").find(id="intake-script")["data-config"])
    assert config["files"]["max_bytes"] == 20 * 1024 * 1024
    assert config["files"]["too_large"] == "{name} lớn hơn 20 MB: tệp không được lưu."
    assert config["words"]["scans"] == "Bản quét"


@pytest.mark.parametrize(
    "name, make, media_type, pages",
    [
        ("don.pdf", lambda: samples.pdf(2), "application/pdf", 2),
        ("cccd.jpg", samples.jpeg, "image/jpeg", None),
        ("cccd.png", samples.png, "image/png", None),
    ],
)
def test_each_allowed_type_is_attached_at_intake(
    app, clerk, desk, files_dir, name, make, media_type, pages
):
    content, whole = make(), samples.pdf(3)
    first, second = desk["documents"]
    response = _send(
        clerk,
        _form(clerk, desk),
        {
            "intake-files": [("ca-ho-so.pdf", whole)],
            f"checklist-{first}-files": [(name, content)],
            f"checklist-{second}-files": [("cccd-2.png", samples.png(seed=3))],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "/dossier/print/01/" in response.location  # the receipt, as without files
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.applicant_name == NAME))
        assert response.location.endswith(f"?id={dossier.id}&autoprint=1")
        by_document = {d.id: d.name for d in dossier.documents}
        attached = [
            (
                by_document.get(f.document_id),
                f.original_name,
                f.stored.media_type,
                f.stored.pages,
                f.kind,
                f.uploaded_at,
                f.uploaded_by.username,
            )
            for f in db.session.scalars(select(DossierFile).order_by(DossierFile.id))
        ]
        assert attached == [
            (None, "ca-ho-so.pdf", "application/pdf", 3, "scan", NOW, "staff1"),
            ("Đơn đề nghị cấp lại GPLX", name, media_type, pages, "scan", NOW, "staff1"),
            ("Bản sao CCCD", "cccd-2.png", "image/png", None, "scan", NOW, "staff1"),
        ]
        assert dossier.accepted_at == NOW
        # Every received paper has its scan from the counter: scanned at intake (Decision 766).
        counts = scanned_at_intake_counts(db.session, Period.between(NOW.date(), NOW.date()))
        assert counts[dossier.agency_id] == (1, 1)
    digest = hashlib.sha256(content).hexdigest()
    assert files_dir / digest[:2] / digest[2:4] / digest in _on_disk(files_dir)
    assert (files_dir / digest[:2] / digest[2:4] / digest).read_bytes() == content
    assert len(_on_disk(files_dir)) == 3  # each where its hash says, no temporary file left
    # And the dossier page lists them.
    page = clerk.get(f"/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert name in page and "ca-ho-so.pdf" in page


def test_a_paper_without_its_scan_is_not_scanned_at_intake(app, clerk, desk, files_dir):
    first, _ = desk["documents"]
    response = _send(
        clerk, _form(clerk, desk), {f"checklist-{first}-files": [("don.pdf", samples.pdf(1))]}
    )
    assert response.status_code == 302
    with app.app_context():
        counts = scanned_at_intake_counts(db.session, Period.between(NOW.date(), NOW.date()))
        assert list(counts.values()) == [(1, 0)]
    assert _counts(app) == (1, 1, 1)


def _refused_page(response) -> str:
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    assert "Tiếp nhận và in phiếu" in page  # the intake form again
    assert "Chưa lưu gì cả" in page and "hãy chọn lại tệp" in page
    assert f'value="{NAME}"' in page and 'value="020190004321"' in page  # what was typed
    assert "Số 1 Lê Lợi, Lạng Sơn" in page
    return page


@pytest.mark.parametrize("what, name, make, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_kinds_leave_no_dossier_and_no_file(
    app, clerk, desk, files_dir, what, name, make, message
):
    first, second = desk["documents"]
    form = _form(clerk, desk)
    response = _send(
        clerk,
        form,
        {
            "intake-files": [("tot.pdf", samples.pdf(1))],  # a good one in the same send
            f"checklist-{second}-files": [(name, make())],
        },
    )
    page = _refused_page(response)
    assert message in page, what
    # The ticks come back as they were sent (the page script puts them back).
    assert f"&#34;checklist-{first}&#34;: &#34;1&#34;" in page
    assert _counts(app) == (0, 0, 0)
    assert _on_disk(files_dir) == []
    # The same form, its bad file left out: taken in once, with the good file.
    again = _send(clerk, form, {"intake-files": [("tot.pdf", samples.pdf(1))]})
    assert again.status_code == 302, again.get_data(as_text=True)[:3000]
    assert _counts(app) == (1, 1, 1)


def test_a_file_over_the_limit_is_refused_and_nothing_is_saved(app, clerk, desk, files_dir):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    big = samples.pdf(40)
    assert len(big) > 1000
    page = _refused_page(_send(clerk, _form(clerk, desk), {"intake-files": [("lon.pdf", big)]}))
    assert "lon.pdf lớn hơn" in page
    assert _counts(app) == (0, 0, 0) and _on_disk(files_dir) == []


def test_files_for_a_paper_not_ticked_are_refused(app, clerk, desk, files_dir):
    _, second = desk["documents"]
    form = _form(clerk, desk, ticked=(0,))
    response = _send(clerk, form, {f"checklist-{second}-files": [("cccd.png", samples.png())]})
    page = _refused_page(response)
    assert "chưa được đánh dấu là đã nhận" in page
    # Nor for a paper of another procedure (a forged field name).
    form = _form(clerk, desk)
    forged = f"checklist-{desk['other_document']}-files"
    page = _refused_page(_send(clerk, form, {forged: [("x.png", samples.png())]}))
    assert "chưa được đánh dấu là đã nhận" in page
    assert _counts(app) == (0, 0, 0) and _on_disk(files_dir) == []


def test_the_same_file_twice_on_one_paper_is_refused(app, clerk, desk, files_dir):
    first, second = desk["documents"]
    scan = samples.png(seed=9)
    page = _refused_page(
        _send(
            clerk,
            _form(clerk, desk),
            {f"checklist-{first}-files": [("a.png", scan), ("b.png", scan)]},
        )
    )
    assert "b.png đã được đính kèm" in page
    assert _counts(app) == (0, 0, 0) and _on_disk(files_dir) == []
    # On two papers it is one stored file, attached twice.
    files = {f"checklist-{first}-files": [("a.png", scan)]}
    files[f"checklist-{second}-files"] = [("b.png", scan)]
    assert _send(clerk, _form(clerk, desk), files).status_code == 302
    assert _counts(app) == (1, 1, 2) and len(_on_disk(files_dir)) == 1


def test_a_form_error_says_the_files_must_be_chosen_again(app, clerk, desk, files_dir):
    form = _form(clerk, desk)
    form.set("applicant_name", "")
    response = _send(clerk, form, {"intake-files": [("tot.pdf", samples.pdf(1))]})
    assert response.status_code == 200
    assert "hãy chọn lại tệp" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0) and _on_disk(files_dir) == []


def test_a_double_send_makes_one_dossier_with_its_files_once(app, clerk, desk, files_dir):
    form = _form(clerk, desk)
    files = {"intake-files": [("ho-so.pdf", samples.pdf(2))]}
    first = _send(clerk, form, files)
    second = _send(clerk, form, files)  # the same form (its one-time token) sent again
    assert first.status_code == second.status_code == 302
    with app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id))
    assert f"id={dossier_id}" in second.location
    assert _counts(app) == (1, 1, 1) and len(_on_disk(files_dir)) == 1


def test_no_file_is_an_intake_as_before(app, clerk, desk, files_dir):
    response = _send(clerk, _form(clerk, desk), {"intake-files": [("", b"")]})  # none chosen
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _counts(app) == (1, 0, 0) and _on_disk(files_dir) == []


def test_an_intake_interrupted_half_way_leaves_nothing(app, clerk, desk, files_dir):
    """The browser's send cut in the middle of a scan (the counter's network drops): the form
    never arrived whole, so there is no dossier, no file row and no partial file."""
    data = _form(clerk, desk).data()
    data.add("intake-files", (io.BytesIO(samples.pdf(30)), "ho-so.pdf"))
    boundary, body = encode_multipart(data)
    half = body[: len(body) - 2000]
    response = clerk.post(
        "/dossier/new/",
        input_stream=io.BytesIO(half),
        content_type=f"multipart/form-data; boundary={boundary}",
        # as a WSGI server hands it over: the announced length, less data
        environ_overrides={"wsgi.input_terminated": False, "CONTENT_LENGTH": str(len(body))},
    )
    assert response.status_code == 400, response.status_code
    assert _counts(app) == (0, 0, 0) and _on_disk(files_dir) == []
