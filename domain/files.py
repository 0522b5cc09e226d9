"""Files attached to dossiers (issue 14): scans of the papers and electronic results.

A file is accepted by its content, never by its name: a PDF (read by pypdf: its pages counted,
refused when it carries JavaScript, launch actions or XFA forms), a JPEG or a PNG (their
structure walked marker by marker, chunk by chunk, the PNG's pixels inflated under a bound).
Each content is stored once, under FILES_DIR/ab/cd/<sha256>, written to a temporary file in the
same folder, synced and renamed into place: a file is there whole, or not at all. The name it
came with is kept for display only and never touches a path.

Plain module: the views (views/files.py) and the CLI pass FILES_DIR and the size limit in.
Refusals are FileRefused(msgid, **params), English gettext msgids translated by the caller."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import struct
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import select

from domain import N_
from models import DossierFile, StoredFile

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 200_000_000  # an A3 page scanned at 1200 dpi is 70 million pixels
MAX_NAME = 255
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileRefused(Exception):
    """A file that is not taken; nothing was stored."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


ALREADY_ATTACHED = N_("%(name)s is already attached here.")
NOT_ALLOWED = N_(
    "%(name)s is not a PDF, JPEG or PNG file (the content decides, not the name): "
    "it was not stored."
)


@dataclass(frozen=True)
class Checked:
    """A file whose content passed the checks."""

    data: bytes
    sha256: str
    media_type: str
    pages: int | None

    @property
    def size(self) -> int:
        return len(self.data)


# ---- reading an upload ------------------------------------------------------------------------


def read_limited(stream, name: str, max_bytes: int) -> bytes:
    """The whole upload, or FileRefused when it is larger than max_bytes (read no further)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large(name, max_bytes)
    if not data:
        raise FileRefused(N_("%(name)s is empty: it was not stored."), name=name)
    return data


def too_large(name: str, max_bytes: int) -> FileRefused:
    """The refusal of a file over the limit (also said by the intake page before a send)."""
    return FileRefused(
        N_("%(name)s is larger than %(limit)s MB: it was not stored."),
        name=name,
        limit=_megabytes(max_bytes),
    )


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


def clean_name(name: str | None) -> str:
    """The name to show: its last part after any / or \\, without control characters (NUL
    included), at most 255 characters. Only ever displayed or offered as a download name."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        text = (
            (stem[: MAX_NAME - len(ext) - 1] + "." + ext)
            if dot and len(ext) <= 10
            else text[:MAX_NAME]
        )
    return text or "tep"


def download_name(original_name: str, media_type: str) -> str:
    """The name offered on download: the original one, with the extension of what the file
    really is (a PNG sent as "scan.pdf" comes back as "scan.png")."""
    name = clean_name(original_name)
    stem, dot, ext = name.rpartition(".")
    wanted = EXTENSIONS[media_type]
    if dot and ("." + ext.lower()) in (wanted, ".jpeg" if media_type == JPEG else wanted):
        return name
    return (stem if dot else name) + wanted


# ---- content checks ---------------------------------------------------------------------------


def check_content(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Checked:
    """The file's type, by content, and its page count for a PDF; FileRefused otherwise."""
    if len(data) > max_bytes:
        raise too_large(name, max_bytes)
    if not data:
        raise FileRefused(N_("%(name)s is empty: it was not stored."), name=name)
    pages = None
    if data.startswith(b"%PDF-"):
        media_type, pages = PDF, _check_pdf(data, name)
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = PNG
        _check_png(data, name)
    elif data.startswith(b"\xff\xd8\xff"):
        media_type = JPEG
        _check_jpeg(data, name)
    else:
        raise FileRefused(NOT_ALLOWED, name=name)
    return Checked(
        data=data, sha256=hashlib.sha256(data).hexdigest(), media_type=media_type, pages=pages
    )


DAMAGED = N_(
    "%(name)s looks like a %(kind)s file but cannot be read (damaged or not really "
    "one): it was not stored."
)
ACTIVE_PDF = N_(
    "%(name)s is a PDF with JavaScript or other content that runs by itself: it "
    "was not stored. Scan the paper again, or print it to a new PDF."
)

# Names that make a PDF run something: JavaScript (in actions, name trees, form fields), launch
# actions (start a program) and XFA forms (scripts of their own). A scan has none of them.
_ACTIVE_NAMES = {"/JS", "/JavaScript", "/Launch", "/XFA"}
# Also on the raw bytes outside stream data (compressed image data would match by chance),
# where an object pypdf skips could still hide one; a name may be spelled with #xx escapes.
_ACTIVE_RAW = re.compile(rb"/(?:J(?:#53|S)|J(?:#61|a)vaScript|Launch|XFA)(?![0-9A-Za-z])")
_STREAM_DATA = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)


def _check_pdf(data: bytes, name: str) -> int:
    if _ACTIVE_RAW.search(_STREAM_DATA.sub(b"", data)):
        raise FileRefused(ACTIVE_PDF, name=name)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRefused(
                N_(
                    "%(name)s is a PDF protected by a password: it was not stored. "
                    "Save it without protection and send it again."
                ),
                name=name,
            )
        pages = len(reader.pages)
        if _pdf_has_active_content(reader):
            raise FileRefused(ACTIVE_PDF, name=name)
    except FileRefused:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        zlib.error,
        struct.error,
    ) as exc:
        raise FileRefused(DAMAGED, name=name, kind="PDF") from exc
    if pages < 1:
        raise FileRefused(DAMAGED, name=name, kind="PDF")
    return pages


def _pdf_has_active_content(reader) -> bool:
    """Every object of the file, those packed in object streams included, looked through for
    an active name as a key or a value (e.g. /S /JavaScript, /JS, /AA → /Launch)."""

    def active(value, depth=0) -> bool:
        if depth > 50:
            return False
        if isinstance(value, NameObject):
            return str(value) in _ACTIVE_NAMES
        if isinstance(value, DictionaryObject):  # stream dictionaries too (not their data)
            return any(
                str(k) in _ACTIVE_NAMES
                or (not isinstance(v, IndirectObject) and active(v, depth + 1))
                for k, v in value.items()
            )
        if isinstance(value, ArrayObject):
            return any(not isinstance(v, IndirectObject) and active(v, depth + 1) for v in value)
        return False

    numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    if active(reader.trailer):
        return True
    for num, gen in sorted(numbers):
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if active(obj):
            return True
    return False


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def _png_raw_size(width: int, height: int, bits_per_pixel: int, interlaced: bool) -> int:
    """Bytes of the decompressed image data (scanlines with their filter byte)."""

    def scanlines(w, h):
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits_per_pixel + 7) // 8)

    if not interlaced:
        return scanlines(width, height)
    passes = (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    )
    return sum(
        scanlines((width - x + dx - 1) // dx, (height - y + dy - 1) // dy)
        for x, y, dx, dy in passes
    )


def _check_png(data: bytes, name: str) -> None:
    """The chunks with their CRCs, IHDR first, IEND last and nothing after it, and the image
    data inflated to exactly the size the header announces (no more: no decompression bomb)."""
    damaged = FileRefused(DAMAGED, name=name, kind="PNG")
    pos, first, idat, header = 8, True, zlib.decompressobj(), None
    produced, seen_iend, seen_idat = 0, False, False
    while pos < len(data):
        kind, body, pos = _png_chunk(data, pos, damaged)
        if first:
            if kind != b"IHDR":
                raise damaged
            header = _png_header(body, name, damaged)
            expected = _png_raw_size(*header)
            first = False
        elif kind == b"IDAT":
            seen_idat = True
            try:
                chunk = idat.decompress(body, expected - produced + 1)
            except zlib.error as exc:
                raise damaged from exc
            produced += len(chunk)
            if produced > expected:
                raise damaged
        elif kind == b"IEND":
            seen_iend = True
            break
    if not seen_iend or not seen_idat or pos != len(data):
        raise damaged
    try:
        produced += len(idat.flush(expected - produced + 1) if expected > produced else b"")
    except zlib.error as exc:
        raise damaged from exc
    if produced != expected or not idat.eof:
        raise damaged


def _png_chunk(data: bytes, pos: int, damaged: FileRefused) -> tuple[bytes, bytes, int]:
    """(kind, body, position of the next chunk) of the chunk at `pos`, its CRC checked."""
    if pos + 12 > len(data):
        raise damaged
    length, kind = struct.unpack(">I4s", data[pos : pos + 8])
    body = data[pos + 8 : pos + 8 + length]
    if length > 2**31 - 1 or len(body) != length or pos + 12 + length > len(data):
        raise damaged
    crc = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
    if zlib.crc32(kind + body) != crc:
        raise damaged
    return kind, body, pos + 12 + length


def _png_header(body: bytes, name: str, damaged: FileRefused) -> tuple[int, int, int, bool]:
    """(width, height, bits per pixel, interlaced) of a valid IHDR chunk's body."""
    if len(body) != 13:
        raise damaged
    width, height, depth, colour, method, filt, interlace = struct.unpack(">IIBBBBB", body)
    if (
        not width
        or not height
        or colour not in _PNG_DEPTHS
        or depth not in _PNG_DEPTHS[colour]
        or method
        or filt
        or interlace > 1
    ):
        raise damaged
    if width * height > MAX_PIXELS:
        raise FileRefused(
            N_("%(name)s is an image too large to be a scan: it was not stored."), name=name
        )
    return width, height, depth * _PNG_CHANNELS[colour], bool(interlace)


_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _check_jpeg(data: bytes, name: str) -> None:
    """The marker segments from SOI to EOI: one frame header with a size, at least one scan,
    the entropy-coded data walked to its end, nothing after EOI."""
    damaged = FileRefused(DAMAGED, name=name, kind="JPEG")
    pos, frame, scans, n = 2, False, 0, len(data)
    while True:
        while pos < n and data[pos] == 0xFF and pos + 1 < n and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 2 > n or data[pos] != 0xFF:
            raise damaged
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker in (0x01, 0xD8):
            raise damaged  # RST outside a scan, TEM, a second SOI
        if pos + 2 > n:
            raise damaged
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        if length < 2 or pos + length > n:
            raise damaged
        segment = data[pos + 2 : pos + length]
        pos += length
        if marker in _JPEG_FRAMES:
            _jpeg_frame(segment, name, damaged)
            frame = True
        elif marker == 0xDA:  # SOS: the entropy-coded data follows, up to the next marker
            if not frame:
                raise damaged
            scans += 1
            pos = _jpeg_scan_end(data, pos, damaged)
    if not frame or not scans or data[pos:].strip(b"\x00\r\n\t "):
        raise damaged


def _jpeg_frame(segment: bytes, name: str, damaged: FileRefused) -> None:
    """A frame header (SOFn) with a size and 1 to 4 components, not too many pixels."""
    if len(segment) < 6:
        raise damaged
    _precision, height, width, components = struct.unpack(">BHHB", segment[:6])
    if not width or not height or not 1 <= components <= 4 or len(segment) != 6 + 3 * components:
        raise damaged
    if width * height > MAX_PIXELS:
        raise FileRefused(
            N_("%(name)s is an image too large to be a scan: it was not stored."), name=name
        )


def _jpeg_scan_end(data: bytes, pos: int, damaged: FileRefused) -> int:
    """The position of the marker that ends the entropy-coded data starting at `pos` (stuffed
    zero bytes, restart markers and fill bytes belong to the data)."""
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            raise damaged
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def check_uploads(uploads, max_bytes: int) -> tuple[list[tuple[Checked, str]], list[FileRefused]]:
    """([(checked content, clean name)], [refusals]) of the files of one send, given as
    (name as sent, binary stream) pairs: each read no further than the limit and checked by its
    content. The same content twice in one send is refused too (it would be attached twice):
    the caller stores nothing when anything was refused."""
    checked, refused, seen = [], [], set()
    for filename, stream in uploads:
        name = clean_name(filename)
        try:
            item = check_content(read_limited(stream, name, max_bytes), name, max_bytes)
        except FileRefused as exc:
            refused.append(exc)
            continue
        if item.sha256 in seen:
            refused.append(FileRefused(ALREADY_ATTACHED, name=name))
            continue
        seen.add(item.sha256)
        checked.append((item, name))
    return checked, refused


# ---- storage ----------------------------------------------------------------------------------


def path_for(files_dir: str | os.PathLike, sha256: str) -> Path:
    """Where the content with this hash lives: FILES_DIR/ab/cd/<sha256>."""
    if not SHA256.match(sha256 or ""):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return Path(files_dir) / sha256[:2] / sha256[2:4] / sha256


def _hash_of(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file in the target's folder, sync it, rename it into place and sync
    the folder: after a crash the file is whole or absent, never half written."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def store(files_dir: str | os.PathLike, checked: Checked) -> Path:
    """Put the content in place once. A copy already there with the right hash is kept; a
    damaged one (its hash no longer matches) is replaced by the good content."""
    target = path_for(files_dir, checked.sha256)
    if _hash_of(target) != checked.sha256:
        write_atomically(target, checked.data)
    return target


def find_stored(session, sha256: str) -> StoredFile | None:
    """The row of a content already stored, by its SHA-256 (one row per content)."""
    return session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256))


def keep_stored(
    session, files_dir: str | os.PathLike, checked: Checked, stored: StoredFile | None
) -> StoredFile:
    """Put the content on disk, then its row when `stored` (what `find_stored` found) is None:
    a row never points to a missing file. Not flushed: the caller flushes with its own rows."""
    store(files_dir, checked)
    if stored is None:
        stored = StoredFile(
            sha256=checked.sha256,
            size=checked.size,
            media_type=checked.media_type,
            pages=checked.pages,
        )
        session.add(stored)
    return stored


# ---- attachments ------------------------------------------------------------------------------


def _attached(session, stored, dossier, kind: str, document) -> bool:
    """The stored content is attached, and not withdrawn, to this place already."""
    same = session.scalar(
        select(DossierFile.id).where(
            DossierFile.dossier_id == dossier.id,
            DossierFile.stored_file_id == stored.id,
            DossierFile.kind == kind,
            DossierFile.withdrawn_at.is_(None),
            DossierFile.document_id.is_(None)
            if document is None
            else DossierFile.document_id == document.id,
        )
    )
    return same is not None


def attach(
    session,
    dossier,
    checked: Checked,
    name: str,
    files_dir,
    user,
    now: dt.datetime,
    document=None,
    kind: str = "scan",
):
    """Store a checked file and attach it to the dossier (or one of its received documents).
    The file is on disk before its row is flushed: a row never points to a missing file. The
    caller commits. The same content already attached, and not withdrawn, to the same place is
    refused (a double click, a second send)."""
    if kind not in ("scan", "result"):
        raise ValueError(kind)
    if document is not None and document.dossier_id != dossier.id:
        raise FileRefused(N_("This document is not one of the dossier's."))
    if kind == "result":
        if dossier.resolved_at is None:
            raise FileRefused(
                N_("An electronic result can be attached only once the dossier is resolved.")
            )
        document = None
    stored = find_stored(session, checked.sha256)
    if stored is not None and _attached(session, stored, dossier, kind, document):
        raise FileRefused(ALREADY_ATTACHED, name=name)
    stored = keep_stored(session, files_dir, checked, stored)
    attachment = DossierFile(
        dossier=dossier,
        document=document,
        stored=stored,
        kind=kind,
        original_name=clean_name(name),
        uploaded_at=now,
        uploaded_by=user,
    )
    session.add(attachment)
    session.flush()
    return attachment


def attach_all(
    session,
    dossier,
    items: list[tuple[Checked, str]],
    files_dir,
    user,
    now: dt.datetime,
    document=None,
    kind: str = "scan",
) -> list:
    """`attach` for each (checked file, name) sent together, in order; the first refusal stops
    (the caller rolls back: all or nothing)."""
    return [
        attach(session, dossier, checked, name, files_dir, user, now, document, kind)
        for checked, name in items
    ]


def withdraw(session, attachment, user, now: dt.datetime, reason: str | None) -> None:
    """Mark a wrong file withdrawn (it stays, with who, when and why)."""
    reason = (reason or "").strip()
    if not reason:
        raise FileRefused(N_("Give the reason for withdrawing the file."))
    if attachment.withdrawn_at is not None:
        raise FileRefused(N_("This file was already withdrawn."))
    attachment.withdrawn_at = now
    attachment.withdrawn_by = user
    attachment.withdrawn_reason = reason[:2000]
    session.flush()


def files_of(session, dossier_id: int) -> list:
    return list(
        session.scalars(
            select(DossierFile)
            .where(DossierFile.dossier_id == dossier_id)
            .order_by(DossierFile.uploaded_at, DossierFile.id)
        )
    )


# ---- verification -----------------------------------------------------------------------------


@dataclass
class CheckReport:
    checked: int
    missing: list  # StoredFile rows whose file is not there
    changed: list  # (StoredFile, actual hash or size note)
    unreferenced: list  # paths under FILES_DIR that no row names (left by a failed save)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


def verify(session, files_dir) -> CheckReport:
    """Every stored file read back and hashed against its row."""
    report = CheckReport(0, [], [], [])
    known = set()
    for row in session.scalars(select(StoredFile).order_by(StoredFile.id)).yield_per(500):
        report.checked += 1
        known.add(row.sha256)
        actual = _hash_of(path_for(files_dir, row.sha256))
        if actual is None:
            report.missing.append(row)
        elif actual != row.sha256:
            report.changed.append((row, actual))
    root = Path(files_dir)
    if root.is_dir():
        for path in sorted(root.glob("??/??/*")):
            if path.is_file() and path.name not in known:
                report.unreferenced.append(path)
    return report


def stored_paths(files_dir) -> list[tuple[str, Path]]:
    """(sha256, path) of every content file under FILES_DIR (backups)."""
    root = Path(files_dir)
    if not root.is_dir():
        return []
    return [
        (p.name, p)
        for p in sorted(root.glob("??/??/*"))
        if p.is_file()
        and SHA256.match(p.name)
        and p.parent.name == p.name[2:4]
        and p.parent.parent.name == p.name[:2]
    ]
