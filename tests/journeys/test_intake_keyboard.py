"""Intake at the counter by keyboard only (issue 14 point 2), in Chromium: the procedure picker
has the focus, the procedure is found by its code or without accents, the page shows the due
date, fees, channels and checklist from the server, Enter in a field sends nothing, one key sends
the form, and the clerk lands on the receipt (Mẫu 01). Every key press is counted; typed text is
not. Screenshots under /tmp/intake-shots/: a 1280×800 desktop and a 1024×768 counter tablet."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain import lifecycle as lc
from domain.calendar import load_calendar
from models import Dossier, DossierFile, Procedure, db
from tests import file_samples as samples
from tests.browser.test_e2e_vietnamese import NATIVE_WIDGETS
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/intake-shots")
MAX_KEYS = 12


class Keys:
    """The keyboard, counting each key action (a chord such as Control+Enter is one)."""

    def __init__(self, page):
        self.page, self.pressed = page, []

    def press(self, key):
        self.pressed.append(key)
        self.page.keyboard.press(key)

    def type(self, text):  # typing: not counted
        self.page.keyboard.type(text)


def _active(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def _dossiers(app, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Dossier).filter_by(**where))


def _intake_by_keyboard(
    app, page, base, shot, procedure_typed, id_number, name, phone=None, address=None
):
    """From the intake page to the receipt, by keyboard; returns the key actions."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}/dossier/new/")
    page.wait_for_function("document.activeElement.classList.contains('select2-focusser')")
    keys = Keys(page)
    keys.type(procedure_typed)
    try:
        page.wait_for_selector(".select2-highlighted:has-text('1.002809')")
    finally:
        page.screenshot(path=str(SHOTS / f"{shot}-procedure.png"))
    keys.press("Enter")
    page.wait_for_selector("#intake-info:not(.d-none)")
    page.wait_for_selector("#intake-documents .intake-document")
    keys.press("Tab")
    assert _active(page) == "id_number"
    keys.type(id_number)
    keys.press("Tab")
    assert _active(page) == "applicant_name"
    if phone is None:  # a returning applicant: the page fills in what it knows
        page.wait_for_selector("#intake-returning:not(.d-none)")
        keys.press("Tab")
        keys.press("Tab")
        keys.press("Tab")
    else:
        keys.type(name)
        keys.press("Tab")
        keys.type(phone)
        keys.press("Tab")
        keys.type(address)
        keys.press("Enter")  # Enter in a field: nothing is sent
        assert page.url.endswith("/dossier/new/") and _dossiers(app, applicant_name=name) == 0
        keys.press("Tab")  # to the checklist: the clerk sees the first paper's box
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{shot}-filled.png"), full_page=True)
    # The receipt's print dialog, recorded instead of shown (headless Chromium has none).
    page.add_init_script("window.print = function () { window.__printed = true; };")
    keys.press("Control+Enter")
    page.wait_for_url(f"{base}/dossier/print/01/**")
    page.wait_for_function("window.__printed === true")
    page.screenshot(path=str(SHOTS / f"{shot}-receipt.png"))
    return keys.pressed


def test_intake_by_keyboard_on_the_desktop(app, live_server, page, centre):
    log_in(page, live_server, "staff1")
    page.goto(f"{live_server}/dossier/new/")
    keys = _intake_by_keyboard(
        app,
        page,
        live_server,
        "desktop",
        "1.002809",
        "020190001234",
        "Vi Thị Ngọc Ánh",
        "0912 345 678",
        "Số 5, đường Bà Triệu, phường Vĩnh Trại, thành phố Lạng Sơn",
    )
    assert len(keys) <= MAX_KEYS, keys
    assert keys == ["Enter", "Tab", "Tab", "Tab", "Tab", "Enter", "Tab", "Control+Enter"]
    text = page.inner_text("body")
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Vi Thị Ngọc Ánh"))
        assert (d.procedure.code, d.id_number, d.phone) == (
            "1.002809",
            "020190001234",
            "0912 345 678",
        )
        # The required papers, ticked in advance; the optional one ("nếu có") was not brought.
        assert [(x.name, x.kind, x.copies) for x in d.documents] == [
            ("Đơn đề nghị cấp lại giấy phép lái xe", "original", 1),
            ("Bản sao Căn cước công dân", "copy", 1),
            ("Giấy khám sức khỏe của người lái xe", "original", 1),
        ]
        assert d.due_date == load_calendar(db.session).due_date(d.accepted_at, 5)
        code, due = d.code, f"{d.due_date:%d/%m/%Y}"
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text.upper()
    assert code in text and due in text and "Bản sao Căn cước công dân" in text


def test_intake_by_keyboard_on_the_counter_tablet(app, live_server, browser, centre):
    """1024×768, a returning applicant found by ID number, the procedure typed without accents."""
    with app.app_context():
        procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.002809"))
        lc.accept_dossier(
            db.session,
            Dossier(
                procedure=procedure,
                applicant_name="Hoàng Thị Lụa",
                id_number="020188004321",
                phone="0205 3870 123",
                address="Thôn Pò Mới, xã Mai Pha, Lạng Sơn",
            ),
            None,
            dt.datetime(2025, 5, 6, 9),
            "000.00.20.H37",
        )
        db.session.commit()
    context = browser.new_context(locale="vi-VN", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        log_in(page, live_server, "staff1")
        # The shown due date and fees, as the page has them before saving.
        page.goto(f"{live_server}/dossier/new/")
        keys = _intake_by_keyboard(
            app, page, live_server, "tablet", "cap lai giay phep lai xe", "020188004321", None
        )
        assert len(keys) <= MAX_KEYS, keys
        assert _dossiers(app, applicant_name="Hoàng Thị Lụa", phone="0205 3870 123") == 2
    finally:
        context.close()


def test_the_page_shows_the_due_date_it_then_stores(app, live_server, page, centre):
    log_in(page, live_server, "staff1")
    page.goto(f"{live_server}/dossier/new/")
    page.wait_for_function("document.activeElement.classList.contains('select2-focusser')")
    page.keyboard.type("doi giay phep")
    page.wait_for_selector(".select2-highlighted:has-text('1.002804')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#intake-info:not(.d-none)")
    shown_due, shown_fees = page.inner_text("#intake-due"), page.inner_text("#intake-fees")
    assert shown_fees == "Lệ phí đổi giấy phép lái xe: 135.000 đ"
    assert page.locator("#intake-checklist").is_hidden()  # no checklist for this one
    page.fill("#applicant_name", "Lò Văn Sinh")
    page.click("#intake-submit")
    page.wait_for_url(f"{live_server}/dossier/print/01/**")
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Lò Văn Sinh"))
        assert f"{d.due_at:%H:%M %d/%m/%Y}" == shown_due  # (the due moment, issue 16)
        assert d.due_at.date() == d.due_date
        assert [
            f"{f.name}: {f.amount_vnd:,} đ".replace(",", ".") for f in d.procedure.fee_items
        ] == [shown_fees]


def _procedure_chosen(page, keys, base, typed, code="1.002809"):
    """The intake page opened, the procedure found by what is typed and taken with Enter."""
    page.goto(f"{base}/dossier/new/")
    page.wait_for_function("document.activeElement.classList.contains('select2-focusser')")
    keys.type(typed)
    page.wait_for_selector(f".select2-highlighted:has-text('{code}')")
    keys.press("Enter")
    page.wait_for_selector("#intake-info:not(.d-none)")


def test_a_scan_attached_at_intake_by_keyboard(app, live_server, page, centre, tmp_path):
    """Issue 14 point 3 at the counter: the first paper's scan chosen from its file input by
    keyboard (Enter or Space opens the chooser; Playwright stands in for the system dialog), sent with the
    same key as the rest, and listed on the dossier page — still within the key budget."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    scan = tmp_path / "don-de-nghi.pdf"
    scan.write_bytes(samples.pdf(2))
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "staff1")
    keys = Keys(page)
    _procedure_chosen(page, keys, live_server, "1.002809")
    page.wait_for_selector("#intake-documents .intake-document")
    for text in ("020190007777", "Nông Văn Thắng", "0915 222 333", "Thôn Nà Pàn, xã Mai Pha"):
        keys.press("Tab")
        keys.type(text)
    # No file box drawn by the browser in its own language: each is a Vietnamese button.
    assert page.evaluate(NATIVE_WIDGETS) == []
    papers = page.locator("#intake-documents .intake-document").count()
    assert page.locator("label.vn-file-button").count() == 1 + papers  # the dossier, each paper
    keys.press("Tab")  # the first paper's box (ticked: it is required)
    keys.press("Tab")  # its kind
    keys.press("Tab")  # its copies
    keys.press("Tab")  # its scans
    first = page.evaluate("document.activeElement.name")
    assert first.startswith("checklist-") and first.endswith("-files"), first
    # Playwright takes every chooser the page opens (no system dialog left pending).
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    keys.press("Enter")  # Enter in a file input sends nothing (Chromium may open the chooser)
    page.wait_for_timeout(500)
    assert page.url.endswith("/dossier/new/")
    assert _dossiers(app, applicant_name="Nông Văn Thắng") == 0
    if not choosers:
        keys.press("Space")  # Space opens the file chooser
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "no file chooser opened from the keyboard"
    choosers[0].set_files(str(scan))
    assert page.inner_text(f"#{first}-chosen") == "don-de-nghi.pdf"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "scan-filled.png"), full_page=True)
    page.add_init_script("window.print = function () { window.__printed = true; };")
    keys.press("Control+Enter")
    page.wait_for_url(f"{live_server}/dossier/print/01/**")
    assert len(keys.pressed) <= MAX_KEYS, keys.pressed
    opened = ["Enter"] if keys.pressed[-2] == "Enter" else ["Enter", "Space"]
    assert keys.pressed == ["Enter"] + ["Tab"] * 8 + opened + ["Control+Enter"]
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Nông Văn Thắng"))
        [attachment] = db.session.scalars(select(DossierFile)).all()
        assert attachment.dossier_id == d.id
        assert attachment.document_id == d.documents[0].id
        assert (attachment.original_name, attachment.stored.pages) == ("don-de-nghi.pdf", 2)
        assert attachment.uploaded_at == d.accepted_at
    page.goto(f"{live_server}/dossier/details/?id={d.id}#files")
    row = page.locator("#file-list .file-row")
    assert row.count() == 1
    assert "don-de-nghi.pdf" in row.inner_text() and d.documents[0].name in row.inner_text()
    assert "✓ " + d.documents[0].name in page.inner_text("#scan-checklist")
    page.locator("#files").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "scan-dossier-page.png"))


def test_a_scan_too_large_is_caught_before_the_send(app, live_server, page, centre, tmp_path):
    """Over UPLOAD_MAX_BYTES: said on the page before anything is sent, the form as typed."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    app.config["UPLOAD_MAX_BYTES"] = 1000
    big = tmp_path / "lon.pdf"
    big.write_bytes(samples.pdf(40))
    log_in(page, live_server, "staff1")
    _procedure_chosen(page, Keys(page), live_server, "1.002809")
    page.wait_for_selector("#intake-documents .intake-document")
    page.fill("#applicant_name", "Lường Thị Mai")
    page.set_input_files("#intake-files", str(big))
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#intake-files-error:not(.d-none)")
    assert "lon.pdf lớn hơn" in page.inner_text("#intake-files-error")
    assert page.url.endswith("/dossier/new/")
    assert page.input_value("#applicant_name") == "Lường Thị Mai"
    assert _active(page) == "intake-files"
    page.screenshot(path=str(SHOTS / "scan-too-large.png"), full_page=True)
    assert _dossiers(app, applicant_name="Lường Thị Mai") == 0
