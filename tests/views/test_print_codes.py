"""The dossier code on paper (issue 14 point 5): the receipt (Mẫu 01) and the control sheet
(Mẫu 05) carry a Code 128 barcode — read back here from the bars of the SVG with the Code 128
tables, not from what was asked — and a QR code of the look-up URL (segno cannot decode: the
page's SVG is compared with the code of the URL the test expects)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from domain import printed_forms
from models import DossierLookup, db
from tests.factories import login
from tests.lookup_data import make_dossier, print_receipt

# Code 128: 107 symbols of 11 modules (bar/space widths 1-4), and the stop of 13.
PATTERNS = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 "
    "112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 "
    "311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 "
    "112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 "
    "313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 "
    "122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 "
    "114311 411113 411311 113141 114131 311141 411131 211412 211214 211232"
).split()
STOP = "2331112"
START_A, START_B, START_C = 103, 104, 105


def widths_to_modules(widths: str) -> str:
    return "".join(("1" if i % 2 == 0 else "0") * int(w) for i, w in enumerate(widths))


SYMBOLS = {widths_to_modules(w): value for value, w in enumerate(PATTERNS)}


def bars_of_svg(svg: str) -> str:
    """The modules ("1" bar, "0" space) of the SVG, from its <rect>s' x and width."""
    rects = [
        (int(x), int(w))
        for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)" height="1"/>', svg)
    ]
    start = rects[0][0]
    end = rects[-1][0] + rects[-1][1]
    modules = ["0"] * (end - start)
    for x, w in rects:
        modules[x - start : x - start + w] = "1" * w
    return "".join(modules)


def decode_code128(modules: str) -> str:
    assert modules.endswith(widths_to_modules(STOP)), "no stop pattern"
    body = modules[:-13]
    assert len(body) % 11 == 0
    values = [SYMBOLS[body[i : i + 11]] for i in range(0, len(body), 11)]
    start, data, check = values[0], values[1:-1], values[-1]
    assert start in (START_A, START_B, START_C)
    assert (start + sum(i * v for i, v in enumerate(data, 1))) % 103 == check, "checksum"
    charset = {START_A: "A", START_B: "B", START_C: "C"}[start]
    text = ""
    for v in data:
        if charset == "C":
            if v < 100:
                text += f"{v:02d}"
            else:
                charset = {100: "B", 101: "A"}[v]
        elif v == 99:
            charset = "C"
        elif charset == "B" and v == 100 or charset == "A" and v == 101:
            raise AssertionError("FNC4 not expected")
        elif v in (100, 101):
            charset = {100: "B", 101: "A"}[v]
        else:
            text += chr(v + 32) if v < 64 or charset == "B" else chr(v - 64)
    return text


@pytest.mark.parametrize("code", ["000.00.20.H37-191230-0002", "G22.39-250701-00017", "A-1"])
def test_the_barcode_svg_reads_back_as_the_code(code):
    svg = printed_forms.code128_svg(code)
    assert decode_code128(bars_of_svg(svg)) == code
    # What python-barcode builds, drawn bar for bar.
    assert bars_of_svg(svg) == printed_forms.code128_modules(code).strip("0")
    # Scannable from paper: 0.25 mm per module, a quiet zone of 10 modules each side.
    width = float(re.search(r'width="([\d.]+)mm"', svg).group(1))
    modules = int(re.search(r'viewBox="0 0 (\d+) 1"', svg).group(1))
    assert width / modules == pytest.approx(0.25, abs=0.001)
    assert re.search(r'<rect x="10" ', svg)
    assert "style=" not in svg and "<script" not in svg  # nothing the CSP blocks


def test_the_receipt_and_control_sheet_carry_both_codes(app, users):
    dossier_id, code = make_dossier(app)
    html, secret = print_receipt(app, dossier_id)
    assert printed_forms.code128_svg(code) in html
    base = "http://localhost/tra-cuu/"
    url = f"{base}?code={code}&secret={secret}"
    assert printed_forms.qr_svg(url, "Tra cứu hồ sơ") in html
    # Two copies on the page, the same secret on both.
    assert html.count(printed_forms.code128_svg(code)) == 2
    assert html.count(f'class="lookup-secret">{secret}<') == 2
    query = parse_qs(urlsplit(url).query)
    assert query == {"code": [code], "secret": [secret]}

    clerk = app.test_client()
    assert login(clerk, "staff1").status_code == 302
    sheet = clerk.get(f"/dossier/print/05/?id={dossier_id}").get_data(as_text=True)
    assert printed_forms.code128_svg(code) in sheet
    # The control sheet goes round the agencies: the look-up page with the code alone.
    assert printed_forms.qr_svg(f"{base}?code={code}", "Tra cứu hồ sơ") in sheet
    assert "lookup-secret" not in sheet


def test_a_manager_prints_without_issuing_a_secret(app, users):

    dossier_id, code = make_dossier(app)
    manager = app.test_client()
    assert login(manager, "manager1").status_code == 302
    html = manager.get(f"/dossier/print/01/?id={dossier_id}").get_data(as_text=True)
    assert printed_forms.code128_svg(code) in html and "lookup-secret" not in html
    with app.app_context():
        assert db.session.query(DossierLookup).count() == 0


def test_the_public_base_url_goes_into_the_qr_code(app, users):
    app.config["PUBLIC_BASE_URL"] = "https://dichvucong.example.gov.vn/"
    dossier_id, code = make_dossier(app)
    html, secret = print_receipt(app, dossier_id)
    url = f"https://dichvucong.example.gov.vn/tra-cuu/?code={code}&secret={secret}"
    assert printed_forms.qr_svg(url, "Tra cứu hồ sơ") in html
