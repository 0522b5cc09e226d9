"""Small real files for the upload tests, made here rather than kept as binaries: PDFs written by
pypdf, PNGs built chunk by chunk (zlib + struct), a baseline JPEG assembled segment by segment,
and the bad ones (a renamed executable, HTML, SVG, a zip, a PDF with JavaScript)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from pypdf import PdfWriter
from pypdf.actions import JavaScript


def pdf(pages: int = 1, javascript: str | None = None) -> bytes:

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)  # A4 in points
    if javascript:
        writer.add_open_action(JavaScript(javascript))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_open_action_js() -> bytes:
    """JavaScript as the document's open action, in a hand-written PDF (no name tree)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /S /JavaScript /J#53 (app.alert\\('x'\\)) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int = 4, height: int = 3, seed: int = 0) -> bytes:
    """An 8-bit greyscale PNG; `seed` changes the pixels (hence the hash)."""
    rows = b"".join(
        b"\x00" + bytes((x * 40 + y * 7 + seed) % 256 for x in range(width)) for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def png_bomb() -> bytes:
    """A PNG whose compressed data inflates far beyond what its header announces."""
    rows = b"\x00" * (1 + 4) * 3 + b"\x00" * 5_000_000
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """A baseline 8×8 grey JPEG: one block, DC difference 0 then end of block."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body

    dqt = segment(0xDB, b"\x00" + bytes([1] * 64))
    sof = segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    # One code of length 1 per table: DC category 0, AC end of block.
    dht = segment(
        0xC4,
        b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00" + b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00",
    )
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + dqt + sof + dht + sos + b"\x3f" + b"\xff\xd9"


def executable() -> bytes:
    """The start of a Windows program (MZ … PE)."""
    return (
        b"MZ"
        + b"\x90\x00" * 30
        + b"\x80\x00\x00\x00"
        + b"\x00" * 64
        + b"PE\x00\x00"
        + b"\x00" * 200
    )


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<rect width="10" height="10"/></svg>'
    )


def zip_bomb() -> bytes:
    """A zip whose one member inflates 10 MB of zeros (to be sent named .pdf)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scan.pdf", b"\x00" * 10_000_000)
    return out.getvalue()
