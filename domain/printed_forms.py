"""The printed forms of a dossier (Mẫu 01–05): which ones apply to a dossier, and the record
each one prints besides the dossier. The dossier page offers exactly the forms the print page
can print (templates/forms/mauNN.html)."""

from __future__ import annotations

import io
import re
from html import escape

import barcode
import segno

from domain.status import Status

RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, CONTROL_SHEET = "01", "02", "03", "04", "05"
FORMS = (RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, CONTROL_SHEET)


def form_context(dossier, form_no: str) -> dict | None:
    """What form `form_no` prints besides the dossier, or None when it does not apply to it:
    02 the last supplement request, 03 the refusal (or stop) event, 04 the last rescheduling."""
    if form_no in (RECEIPT, CONTROL_SHEET):
        return {}
    if form_no == SUPPLEMENT_REQUEST:
        pauses = [p for p in dossier.pauses if p.kind == "supplement"]
        return {"pause": pauses[-1]} if pauses else None
    if form_no == REFUSAL:
        if dossier.status not in (Status.REFUSED, Status.STOPPED):
            return None
        events = [e for e in dossier.events if e.to_status in (Status.REFUSED, Status.STOPPED)]
        return {"event": events[-1]} if events else None
    if form_no == APOLOGY:
        if not dossier.rescheduled_due_date:
            return None
        events = [e for e in dossier.events if e.from_status == e.to_status == Status.PROCESSING]
        return {"event": events[-1]} if events else None
    return None


def available_forms(dossier) -> list[str]:
    """The forms that apply to `dossier`, in order."""
    return [no for no in FORMS if form_context(dossier, no) is not None]


# ---- the dossier code on paper: a Code 128 barcode and a QR code (issue 14, point 5) ----------
# Inline SVG drawn with presentation attributes only (no style attribute, no script): the
# Content-Security-Policy of the print page lets it through, and it prints as sharp as text.
# Sizes for a paper scanner: 0.25 mm (10 mil) per bar module, what counter scanners read,
# 10 modules of quiet zone each side; 0.5 mm per QR module (a phone reads 0.4 mm), a quiet zone
# of 2 modules (the paper around it is blank).
BAR_MODULE_MM = 0.25
BAR_HEIGHT_MM = 8
BAR_QUIET_MODULES = 10
QR_MODULE_MM = 0.5


def code128_modules(code: str) -> str:
    """The bars of `code` in Code 128 (python-barcode), one character per module: "1" black,
    "0" white, start to stop, without the quiet zones."""
    return barcode.get("code128", code).build()[0]


def code128_svg(code: str) -> str:
    """The barcode of `code` as an inline <svg>: one <rect> per bar, in modules (viewBox)."""
    modules = code128_modules(code)
    width = len(modules) + 2 * BAR_QUIET_MODULES
    bars = []
    for match in re.finditer(r"1+", modules):
        bars.append(
            f'<rect x="{match.start() + BAR_QUIET_MODULES}" y="0" '
            f'width="{len(match.group())}" height="1"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        f'aria-label="{escape(code)}" viewBox="0 0 {width} 1" preserveAspectRatio="none" '
        f'width="{width * BAR_MODULE_MM:.2f}mm" height="{BAR_HEIGHT_MM}mm" '
        f'shape-rendering="crispEdges"><rect x="0" y="0" width="{width}" height="1" '
        f'fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>'
    )


def qr_svg(text: str, label: str = "") -> str:
    """`text` (a URL) as a QR code, inline <svg> sized in millimetres (segno)."""
    qr = segno.make(text, error="l", micro=False)  # L: smaller, and paper is clean
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        unit="mm",
        scale=QR_MODULE_MM,
        border=2,
        dark="#000",
        light="#fff",
        svgclass="qrcode",
        lineclass=None,
        title=label or None,
    )
    svg = out.getvalue().decode()
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label or text)}" ', 1)
