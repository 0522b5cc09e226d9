"""A clerk prints the receipt of a dossier — barcode and QR code on it, still one A4 sheet per
copy — and a citizen, in another browser with no cookie, opens the QR code's URL on a phone and
reads where the dossier stands. A scanner at the counter (it types the code and Enter) finds the
dossier in the search field and fills the courier run's list. Chromium under the real CSP.
Screenshots: /tmp/lookup-shots/."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from domain import printed_forms
from tests.journeys.browsing import log_in
from tests.lookup_data import NAME, PERSONAL, SUPPLEMENT, make_dossier

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/lookup-shots")


def shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_receipt_with_codes_then_the_citizen_follows_the_qr_code(
    app, users, live_server, browser, page
):
    dossier_id, code = make_dossier(
        app, steps=[("transfer", None, {}), ("request_supplement", SUPPLEMENT, {})]
    )
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))

    # The clerk prints the receipt.
    log_in(page, live_server, "staff1", f"/dossier/details/?id={dossier_id}")
    page.goto(f"{live_server}/dossier/print/01/?id={dossier_id}")
    barcode = page.locator("svg.barcode").first
    qr = page.locator("svg.qrcode").first
    assert barcode.is_visible() and qr.is_visible()
    bar_box, qr_box = barcode.bounding_box(), qr.bounding_box()
    # 0.25 mm bars over ~300 modules (~75 mm: 280 px at 96 dpi); the QR ~2 cm square.
    assert bar_box["width"] > 200 and bar_box["height"] > 25
    assert 60 < qr_box["width"] == pytest.approx(qr_box["height"], abs=1)
    secret = page.locator(".lookup-secret").first.inner_text()
    page.emulate_media(media="print")
    shot(page, "01-receipt-printed")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(pdf.pages) == 2  # one A4 sheet per copy, the codes included
    page.emulate_media(media="screen")
    assert not refused, refused

    # The QR code holds the look-up URL with the code and the secret (compared as SVG).
    url = f"{live_server}/tra-cuu/?code={code}&secret={secret}"
    # (the browser writes the SVG back its own way: the dark modules' path is compared)
    modules = re.search(r'stroke="#000" d="([^"]+)"', printed_forms.qr_svg(url)).group(1)
    assert f'd="{modules}"' in page.content()

    # The control sheet too.
    page.goto(f"{live_server}/dossier/print/05/?id={dossier_id}")
    assert page.locator("svg.barcode").is_visible() and page.locator("svg.qrcode").is_visible()
    page.emulate_media(media="print")
    shot(page, "02-control-sheet")
    assert len(PdfReader(io.BytesIO(page.pdf(format="A4"))).pages) == 1
    page.emulate_media(media="screen")

    # A citizen on a phone, another browser: the URL of the QR code.
    phone = browser.new_context(
        locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    citizen = phone.new_page()
    citizen.goto(url)
    assert citizen.inner_text("#lookup-status") == "Đang chờ ông/bà bổ sung hồ sơ"
    assert SUPPLEMENT in citizen.inner_text("#lookup-supplement")
    assert citizen.inner_text("#lookup-accepted") == "30/12/2019"
    assert "Đăng ký biến động quyền sử dụng đất" in citizen.inner_text("#lookup-procedure")
    body = citizen.content()
    for personal in PERSONAL:
        assert personal not in body
    shot(citizen, "03-citizen-status")
    assert phone.cookies() == []

    # A typo in the secret, typed by hand: "not found", nothing else.
    citizen.fill("#secret", "AAAAA-AAAAA")
    citizen.keyboard.press("Enter")
    citizen.wait_for_selector("#lookup-not-found")
    assert citizen.locator("#lookup-result").count() == 0
    shot(citizen, "04-citizen-not-found")
    phone.close()


def test_a_scanner_finds_the_dossier_and_fills_the_courier_run(app, users, live_server, page):
    dossier_id, code = make_dossier(app)
    make_dossier(app)  # another one, which the search must leave out
    log_in(page, live_server, "staff1", "/dossier/")
    # The scanner "types" the code and Enter into the list's search field.
    page.click("input[name=search]")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "search=" in u)
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and code in rows.first.inner_text()
    assert NAME in rows.first.inner_text()
    shot(page, "05-search-by-scanned-code", full_page=False)

    # In the courier run, Enter after each scanned code starts the next line, it does not save.
    page.goto(f"{live_server}/courier_run/new/")
    page.click("#codes")
    for _ in range(2):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    assert page.url.endswith("/courier_run/new/")
    assert page.input_value("#codes").split() == [code, code]
