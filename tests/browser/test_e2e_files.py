"""In a real Chromium (issue 14, point 3): a counter clerk opens a dossier, attaches the scan of
a received document, sees it listed with its size and pages, downloads it, is told in
Vietnamese why a disguised file is refused, and withdraws a wrong file with a reason.
Screenshots: /tmp/files-shots/."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, Dossier, DossierDocument, DossierFile, Procedure, db
from tests import file_samples as samples
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/files-shots")


def test_clerk_attaches_a_scan_and_downloads_it(app, live_server, page, users, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
    app.config["FILES_DIR"] = str(tmp_path / "files")
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        proc = Procedure(
            code="1.002804",
            name="Đổi giấy phép lái xe do ngành GTVT cấp",
            agency=agency,
            processing_days=5,
        )
        dossier = Dossier(
            procedure=proc,
            applicant_name="Vi Văn Thắng",
            documents=[
                DossierDocument(name="Đơn đề nghị đổi giấy phép lái xe", kind="original"),
                DossierDocument(name="Giấy phép lái xe cũ", kind="copy"),
            ],
        )
        lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 3, 4, 9), "000.00.20.H37")
        db.session.commit()
        dossier_id, document_id = dossier.id, dossier.documents[0].id

    scan = samples.pdf(3)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "staff1", f"/dossier/details/?id={dossier_id}")
    assert "Chưa có tệp đính kèm" in page.inner_text("#file-list")

    page.select_option("#upload-target", str(document_id))
    # The file box speaks Vietnamese whatever the browser's language (file_picker.html).
    assert page.inner_text("label[for=upload-input]").strip() == "Chọn tệp…"
    assert page.inner_text("#upload-input-chosen") == "Chưa chọn tệp"
    page.set_input_files(
        "#upload-input",
        files=[{"name": "don-de-nghi.pdf", "mimeType": "application/pdf", "buffer": scan}],
    )
    assert page.inner_text("#upload-input-chosen") == "don-de-nghi.pdf"
    page.locator("#upload-files").screenshot(path=str(SHOTS / f"1-upload-form-{backend}.png"))
    page.click("#upload-submit")
    page.wait_for_url(f"{live_server}/dossier/details/*#files")
    assert "Đã đính kèm 1 tệp" in page.inner_text(".alert-success")
    row = page.locator("#file-list .file-row").first
    assert "don-de-nghi.pdf" in row.inner_text()
    assert "Đơn đề nghị đổi giấy phép lái xe" in row.inner_text()
    assert row.locator(".file-pages").inner_text() == "3"
    assert (
        row.locator(".file-size").inner_text().endswith(" B")
        or "KB" in row.locator(".file-size").inner_text()
    )
    assert "✓ Đơn đề nghị đổi giấy phép lái xe" in page.inner_text("#scan-checklist")
    page.locator("#files").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"2-listed-{backend}.png"), full_page=True)

    with page.expect_download() as info:
        row.locator(".file-download").click()
    download = info.value
    assert download.suggested_filename == "don-de-nghi.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == scan

    # A web page renamed .pdf: refused, in Vietnamese, nothing added.
    page.set_input_files(
        "#upload-input",
        files=[
            {"name": "ban-quet.pdf", "mimeType": "application/pdf", "buffer": samples.html()},
            {"name": "trang-2.pdf", "mimeType": "application/pdf", "buffer": samples.html()},
        ],
    )
    assert page.inner_text("#upload-input-chosen") == "Đã chọn 2 tệp"
    page.click("#upload-submit")
    page.wait_for_load_state()
    error = page.inner_text(".alert-danger")
    assert "ban-quet.pdf không phải tệp PDF, JPEG hoặc PNG" in error
    assert page.locator("#file-list .file-row").count() == 1
    page.screenshot(path=str(SHOTS / f"3-refused-{backend}.png"))

    # The scan was of the wrong paper: withdrawn with a reason, still listed.
    page.fill("#file-list .withdraw-file input[name=reason]", "Quét nhầm giấy tờ")
    page.click("#file-list .withdraw-file button")
    page.wait_for_load_state()
    assert "Đã thu hồi tệp don-de-nghi.pdf" in page.inner_text(".alert-success")
    assert "Quét nhầm giấy tờ" in page.inner_text("#file-list")
    assert "– Đơn đề nghị đổi giấy phép lái xe" in page.inner_text("#scan-checklist")
    page.locator("#files").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"4-withdrawn-{backend}.png"), full_page=True)
    with app.app_context():
        attachment = db.session.scalars(select(DossierFile)).one()
        assert attachment.withdrawn_reason == "Quét nhầm giấy tờ"
