"""Helpers for the import tests: a fingerprint of the whole database, and spreadsheet builders
(hostile files are built here, never committed as binaries)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import openpyxl
from sqlalchemy import select

from models import db


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every table's content, in primary-key order."""
    result = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        result[table.name] = (len(rows), digest)
    db.session.rollback()
    return result


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with one sheet per entry: {name: [header, row, row, ...]}."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], bom: bool = True, delimiter: str = ",") -> bytes:

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def replace_in_xlsx(data: bytes, member: str, content: bytes, extra: dict | None = None) -> bytes:
    """A copy of a workbook with one part replaced (and extra parts added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = content if info.filename == member else source.read(info)
            target.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def zip_bomb_xlsx(valid: bytes, size: int = 60 * 1024 * 1024) -> bytes:
    """A real workbook whose sheet part inflates to `size` bytes of padding."""
    padding = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + b" " * size + b"</sheetData></worksheet>"
    )
    return replace_in_xlsx(valid, "xl/worksheets/sheet1.xml", padding)
