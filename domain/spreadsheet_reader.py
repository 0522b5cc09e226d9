"""Reading uploaded spreadsheets safely (.xlsx, .csv, and a .zip of .csv files).

Checks, in this order, before any parser sees the content:
1. size: at most `Limits.max_bytes`;
2. kind from the content, not the name: an .xlsx is a zip with `[Content_Types].xml` and
   `xl/workbook.xml`; .xlsm / macros (`vbaProject.bin`, macro-enabled content types), old .xls
   (OLE2), and anything else that is neither such a zip nor UTF-8 text are refused;
3. zip bombs, from the zip directory: number of entries, total uncompressed size and the
   compression ratio of each entry (Python's zipfile never inflates more than the declared size,
   so the directory bounds the work);
4. XML: any DOCTYPE or ENTITY declaration is refused (a workbook never needs one); openpyxl also
   parses through defusedxml, which refuses entity expansion on its own;
5. formulas: cells are read with openpyxl in read_only mode, which never evaluates anything; we
   open with data_only=False so that a formula is seen as a formula and REFUSED (with
   data_only=True a formula's cached result — possibly stale or forged — would be imported
   silently);
6. rows: at most `Limits.max_rows` data rows per sheet, and `Limits.max_columns` columns.

Text is returned NFC-normalised (Vietnamese diacritics preserved, in one canonical form). A text
that our exports protected against formula injection (a leading apostrophe before = + - @) gets
that apostrophe removed again, so export → import is the identity.

Errors are `SpreadsheetError` with a Vietnamese and an English message (no Flask here).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePath

import defusedxml  # noqa: F401  (openpyxl switches to defusedxml only when it is importable)
import openpyxl
import openpyxl.xml

from domain import formatting
from domain.spreadsheets import FORMULA_PREFIXES
from domain.text import clean_text

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - an installation error, not a user error
    raise RuntimeError("openpyxl does not use defusedxml; reading uploads would be unsafe")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024  # the uploaded file
    max_uncompressed: int = 100 * 1024 * 1024  # all entries of a zip together
    max_ratio: int = 200  # uncompressed / compressed, per entry
    max_entries: int = 500  # entries in a zip
    max_rows: int = 100_000  # data rows per sheet / csv
    max_columns: int = 100


@dataclass
class Issue:
    """One problem, located: `row` is the spreadsheet row number (the header is row 1)."""

    vi: str
    en: str
    row: int | None = None
    sheet: str | None = None

    def location(self, lang: str = "vi") -> str:
        parts = []
        if self.sheet:
            parts.append(("Trang " if lang == "vi" else "Sheet ") + self.sheet)
        if self.row is not None:
            parts.append(("dòng " if lang == "vi" else "row ") + str(self.row))
        return ", ".join(parts)

    def text(self, lang: str = "vi") -> str:
        message = self.vi if lang == "vi" else self.en
        where = self.location(lang)
        return f"{where}: {message}" if where else message

    def bilingual(self) -> str:
        return f"{self.text('vi')} / {self.text('en')}"


def header_issues(table, allowed, required) -> list[Issue]:
    """Unknown and missing columns of a table's header row."""
    unknown = [h for h in table.header if h and h not in allowed]
    missing = [c for c in required if c not in table.header]
    issues = []
    if unknown:
        allowed_text = ", ".join(allowed)
        issues.append(
            Issue(
                f"Cột không hợp lệ: {', '.join(unknown)} (các cột được phép: {allowed_text}).",
                f"Unknown columns: {', '.join(unknown)} (allowed: {allowed_text}).",
                row=1,
                sheet=table.name,
            )
        )
    if missing:
        issues.append(
            Issue(
                f"Thiếu cột bắt buộc: {', '.join(missing)}.",
                f"Missing required columns: {', '.join(missing)}.",
                row=1,
                sheet=table.name,
            )
        )
    return issues


class SpreadsheetError(Exception):
    def __init__(self, vi: str, en: str):
        super().__init__(en)
        self.issue = Issue(vi, en)


@dataclass
class Table:
    """One sheet or CSV file: its normalised header and its data rows as (row number, values)."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict]] = field(default_factory=list)


XLSX, CSV, CSV_ZIP = "xlsx", "csv", "zip"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MACRO_MARKERS = (
    "vbaproject",
    "macroenabled",
    "vbadata.xml",
    "activex",
    "macrosheet",
    "dialogsheet",
)
BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin")


def _refuse(vi: str, en: str):
    raise SpreadsheetError(vi, en)


def check_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_bytes:
        _refuse(
            f"Tệp quá lớn ({len(data) // 1024} KB; tối đa {limits.max_bytes // 1024} KB).",
            f"The file is too large ({len(data) // 1024} KB; at most "
            f"{limits.max_bytes // 1024} KB).",
        )
    if not data:
        _refuse("Tệp rỗng.", "The file is empty.")


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated."""
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        _refuse("Tệp nén chứa quá nhiều thành phần.", "The archive has too many entries.")
    total = 0
    for info in entries:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio and info.file_size > 1024 * 1024:
            _refuse(
                "Tệp có dấu hiệu bom nén (tỉ lệ nén bất thường); không đọc.",
                "The file looks like a zip bomb (abnormal compression ratio); not read.",
            )
    if total > limits.max_uncompressed:
        _refuse(
            "Tệp có dấu hiệu bom nén (dung lượng giải nén quá lớn); không đọc.",
            "The file looks like a zip bomb (too large once uncompressed); not read.",
        )


def _check_no_dtd(archive: zipfile.ZipFile) -> None:
    """A workbook's XML never declares a DOCTYPE or entities: such a file is an attack."""
    for info in archive.infolist():
        # Every part openpyxl may parse, whatever its name (a sheet can be called anything).
        if info.is_dir() or info.filename.lower().endswith(BINARY_PARTS):
            continue
        tail = b""
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 16):
                window = (tail + chunk).upper()
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    _refuse(
                        "Tệp chứa khai báo XML không được phép (DOCTYPE/ENTITY); không đọc.",
                        "The file contains forbidden XML declarations (DOCTYPE/ENTITY); not read.",
                    )
                tail = chunk[-16:]


def sniff_kind(data: bytes, filename: str) -> str:
    """xlsx, csv or zip (of CSV files), from the content; the extension must agree."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlam", ".xlsb"):
        _refuse(
            "Không nhận tệp Excel có macro (.xlsm, .xlsb); hãy lưu thành .xlsx.",
            "Macro-enabled or binary workbooks (.xlsm, .xlsb) are refused; save as .xlsx.",
        )
    if data.startswith(OLE2_MAGIC):
        _refuse(
            "Định dạng Excel cũ (.xls) không được hỗ trợ; hãy lưu thành .xlsx.",
            "The old Excel format (.xls) is not supported; save as .xlsx.",
        )
    if data.startswith(ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            _refuse(
                "Tệp bị hỏng (không phải .xlsx hợp lệ).", "The file is corrupt (not a valid .xlsx)."
            )
        names = {n.lower() for n in archive.namelist()}
        if "[content_types].xml" in names and "xl/workbook.xml" in names:
            if suffix != ".xlsx":
                _refuse(
                    "Tệp là bảng tính .xlsx nhưng có phần mở rộng khác; hãy đặt tên .xlsx.",
                    "The file is an .xlsx workbook under another extension; name it .xlsx.",
                )
            return XLSX
        if names and all(n.endswith(".csv") or n.endswith("/") for n in names) and suffix == ".zip":
            return CSV_ZIP
        _refuse(
            "Tệp nén không phải bảng tính .xlsx hay tệp .zip chứa các tệp .csv.",
            "The archive is neither an .xlsx workbook nor a .zip of .csv files.",
        )
    if suffix == ".csv":
        if b"\x00" in data[:65536]:
            _refuse(
                "Tệp .csv chứa dữ liệu nhị phân; không phải tệp văn bản.",
                "The .csv file contains binary data; it is not a text file.",
            )
        return CSV
    _refuse(
        "Chỉ nhận tệp .xlsx hoặc .csv (UTF-8).", "Only .xlsx or .csv (UTF-8) files are accepted."
    )


def _clean_text(value: str) -> str | None:
    value = clean_text(value)  # the same tidying as the forms'
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_PREFIXES:
        value = value[1:]  # our own exports quote text that looks like a formula
    return value or None


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _clean(value):
    if isinstance(value, str):
        return _clean_text(value)
    return value


def _xlsx_value(value):
    """OOXML writes characters such as CR as _x000D_ (and a literal "_x" as _x005F_x); openpyxl
    hands them over undecoded."""
    if isinstance(value, str) and "_x" in value:
        value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return _clean(value)


def _normalise_header(values, sheet: str) -> list[str]:
    header = []
    for value in values:
        name = _clean(value) if value is not None else None
        header.append(str(name).strip().lower() if name is not None else "")
    while header and header[-1] == "":
        header.pop()
    if not header:
        _refuse(
            f"Trang {sheet}: thiếu dòng tiêu đề (tên cột ở dòng 1).",
            f"Sheet {sheet}: the header row (column names in row 1) is missing.",
        )
    seen = set()
    for name in header:
        if name and name in seen:
            _refuse(
                f"Trang {sheet}: cột “{name}” bị lặp.", f"Sheet {sheet}: column “{name}” repeats."
            )
        seen.add(name)
    return header


def _too_many_rows(sheet: str, limits: Limits):
    _refuse(
        f"Trang {sheet}: quá nhiều dòng (tối đa {limits.max_rows}).",
        f"Sheet {sheet}: too many rows (at most {limits.max_rows}).",
    )


def _read_xlsx(data: bytes, limits: Limits) -> list[Table]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    check_zip(archive, limits)
    names = {n.lower() for n in archive.namelist()}
    content_types = b"".join(
        archive.read(n).lower() for n in archive.namelist() if n.lower() == "[content_types].xml"
    )
    if any(m in n for n in names for m in MACRO_MARKERS) or any(
        m.encode() in content_types for m in MACRO_MARKERS
    ):
        _refuse(
            "Tệp chứa macro (VBA/ActiveX); không nhận. Hãy lưu thành .xlsx không có macro.",
            "The file contains macros (VBA/ActiveX); refused. Save it as a macro-free .xlsx.",
        )
    _check_no_dtd(archive)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception:  # noqa: BLE001 - any parser failure is a broken file for the user
        _refuse(
            "Không đọc được bảng tính (tệp hỏng hoặc không hợp lệ).",
            "The workbook cannot be read (corrupt or invalid file).",
        )
    tables = []
    try:
        for sheet in workbook.worksheets:
            tables.append(_read_sheet(sheet, limits))
    finally:
        workbook.close()
    return tables


def _read_sheet(sheet, limits: Limits) -> Table:
    rows = sheet.iter_rows()
    name = sheet.title
    header_cells = next(rows, None)
    if header_cells is None:
        return Table(name, [])
    header = _normalise_header([_xlsx_value(c.value) for c in header_cells], name)
    if len(header) > limits.max_columns:
        _refuse(f"Trang {name}: quá nhiều cột.", f"Sheet {name}: too many columns.")
    table = Table(name, header)
    for number, cells in enumerate(rows, start=2):
        values = {}
        for col, cell in enumerate(cells):
            value = cell.value
            if value is None:
                continue
            if col >= len(header) or not header[col]:
                if isinstance(value, str) and not value.strip():
                    continue
                _refuse(
                    f"Trang {name}, dòng {number}: có dữ liệu ở cột không có tên.",
                    f"Sheet {name}, row {number}: data in a column without a name.",
                )
            if cell.data_type == "f":
                _refuse(
                    f"Trang {name}, dòng {number}, cột {header[col]}: ô chứa công thức; "
                    "hãy dán giá trị (Paste Values).",
                    f"Sheet {name}, row {number}, column {header[col]}: the cell holds a "
                    "formula; paste values instead.",
                )
            values[header[col]] = _xlsx_value(value)
        if any(v is not None for v in values.values()):
            if len(table.rows) >= limits.max_rows:
                _too_many_rows(name, limits)
            table.rows.append((number, values))
    return table


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        _refuse(
            f"{name}: tệp .csv không phải UTF-8; hãy lưu bằng “CSV UTF-8”.",
            f"{name}: the .csv file is not UTF-8; save it as “CSV UTF-8”.",
        )


def read_csv(data: bytes, name: str, limits: Limits) -> Table:
    text = _decode(data, name)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_values = next(reader, None)
        if header_values is None:
            _refuse(f"{name}: tệp rỗng.", f"{name}: the file is empty.")
        header = _normalise_header(header_values, name)
        if len(header) > limits.max_columns:
            _refuse(f"{name}: quá nhiều cột.", f"{name}: too many columns.")
        table = Table(name, header)
        for values in reader:
            number = reader.line_num
            if not any(v.strip() for v in values):
                continue
            row = {}
            for col, value in enumerate(values):
                if col >= len(header) or not header[col]:
                    if value.strip():
                        _refuse(
                            f"{name}, dòng {number}: có dữ liệu ở cột không có tên.",
                            f"{name}, row {number}: data in a column without a name.",
                        )
                    continue
                row[header[col]] = _clean_text(value)
            if len(table.rows) >= limits.max_rows:
                _too_many_rows(name, limits)
            table.rows.append((number, row))
    except csv.Error as exc:
        _refuse(f"{name}: tệp .csv không hợp lệ ({exc}).", f"{name}: invalid .csv file ({exc}).")
    return table


def read_tables(data: bytes, filename: str, limits: Limits = Limits()) -> list[Table]:
    """Every sheet of an .xlsx, the one table of a .csv (named after the file), or every .csv of
    a .zip (named after each member). Raises SpreadsheetError."""
    try:
        return _read_tables(data, filename, limits)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        RuntimeError,
        NotImplementedError,
        EOFError,
        OSError,
        zlib.error,
    ):
        # encrypted entries, unknown compression, CRC errors, truncated data
        _refuse(
            "Tệp bị hỏng hoặc được mã hoá; không đọc được.",
            "The file is corrupt or encrypted; it cannot be read.",
        )


def _read_tables(data: bytes, filename: str, limits: Limits) -> list[Table]:
    check_size(data, limits)
    kind = sniff_kind(data, filename)
    if kind == XLSX:
        return _read_xlsx(data, limits)
    if kind == CSV:
        return [read_csv(data, PurePath(filename).stem, limits)]
    archive = zipfile.ZipFile(io.BytesIO(data))
    check_zip(archive, limits)
    tables = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        tables.append(read_csv(archive.read(info), PurePath(info.filename).stem, limits))
    return tables


# ---- typed values -----------------------------------------------------------------------------


class ValueError_(ValueError):
    """A cell that does not hold what its column needs; carries both languages."""

    def __init__(self, vi: str, en: str):
        super().__init__(en)
        self.vi, self.en = vi, en


def parse_datetime(value) -> dt.datetime | None:
    """A cell as a naive local datetime: a date/datetime cell, or text `YYYY-MM-DD[ HH:MM]` or
    `dd/mm/yyyy[ HH:MM]`. None for a blank cell."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str):
        try:  # the one reader of typed dates (formatting.parse_datetime), as on the screens
            return formatting.parse_datetime(value)[0]
        except formatting.ImpossibleDate as error:
            raise ValueError_(
                f"ngày {error.date} không có thật", f"{error.date} is not a real date"
            ) from None
        except ValueError:
            pass
    raise ValueError_(
        f"“{value}” không phải ngày hợp lệ (YYYY-MM-DD [HH:MM] hoặc dd/mm/yyyy [HH:MM])",
        f"“{value}” is not a valid date (YYYY-MM-DD [HH:MM] or dd/mm/yyyy [HH:MM])",
    )


def parse_date(value) -> dt.date | None:
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    if parsed.time() != dt.time():
        raise ValueError_(
            f"“{value}” phải là một ngày, không kèm giờ", f"“{value}” must be a date without a time"
        )
    return parsed.date()


_INT = re.compile(r"^-?\d{1,3}(?:([.,\s])\d{3})*$|^-?\d+$")


def parse_int(value) -> int | None:
    """An integer cell; text may group thousands with dots, commas or spaces (135.000)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError_(f"“{value}” không phải số nguyên", f"“{value}” is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("đ").removesuffix("VND").strip()
        match = _INT.match(text)
        if match:
            return int(re.sub(r"[.,\s]", "", text))
    raise ValueError_(f"“{value}” không phải số nguyên", f"“{value}” is not a whole number")


_TRUE = {"1", "true", "x", "yes", "y", "có", "co", "đúng", "c"}
_FALSE = {"0", "false", "no", "n", "không", "khong", "sai", "k"}


def parse_bool(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError_(f"“{value}” không phải có/không (1/0)", f"“{value}” is not yes/no (1/0)")


def parse_text(value, max_length: int | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        raise ValueError_(
            "ô này phải là chữ, không phải ngày", "this cell must be text, not a date"
        )
    text = _clean_text(str(value))
    if text and max_length and len(text) > max_length:
        raise ValueError_(f"dài quá {max_length} ký tự", f"longer than {max_length} characters")
    return text
