"""Catalog import and export (design §10): agencies, fields, procedures, fee items and the
documents each procedure asks for.

File layout (the template the app offers has exactly this, plus a `huong_dan` sheet of notes that
import ignores):
- .xlsx: one sheet per entity, named `agencies`, `fields`, `procedures`, `fee_items`,
  `procedure_documents`; row 1 holds
  the column names of COLUMNS below (order free; optional columns may be left out).
- .csv: the same tables as UTF-8 CSV files (BOM optional; comma or semicolon), named
  `agencies.csv`, `fields.csv`, `procedures.csv`, `fee_items.csv`, `procedure_documents.csv` —
  either one such file, or a .zip holding several of them. Export as .zip writes all of them.

Rules: upsert by code (agencies, fields, procedures by `code`; a fee item by procedure code +
kind + name; a procedure's document by procedure code + position). An agency code is read in
capitals wherever it is given ("stp" is the agency STP: domain/catalog_codes.py), so two rows
whose codes differ only by case are the same key. Nothing is deleted: rows
missing from the file stay as they are. A column left out of the header leaves that attribute
untouched; a blank cell in a present column means "empty" (text: none; yes/no: no, `active` and
`required`: yes). References may point to rows of the same file. Every row
is validated first; one error anywhere means nothing is written. `import_catalog(..., apply=False)`
is the dry run; with apply=True the caller commits (all rows in one transaction).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import func, select

from domain.calendar import parse_time
from domain.catalog_codes import agency_code
from domain.levels import ABOLISHED_MESSAGE, ABOLISHED_MESSAGE_VI, may_choose
from domain.procedure_documents import NAME_MAX
from domain.spreadsheet_reader import (
    Issue,
    Table,
    ValueError_,
    header_issues,
    parse_bool,
    parse_date,
    parse_int,
    parse_text,
)
from domain.spreadsheets import new_workbook, safe_value, write_row
from domain.text import clean_text
from models import (
    AGENCY_KINDS,
    CHANNELS,
    DOCUMENT_KINDS,
    FEE_KINDS,
    ONLINE_LEVELS,
    PROCEDURE_LEVELS,
    Agency,
    FeeItem,
    Field,
    Procedure,
    ProcedureDocument,
    clashing_value,
)

ENTITIES = ("agencies", "fields", "procedures", "fee_items", "procedure_documents")
ENTITY_VI = {
    "agencies": "cơ quan",
    "fields": "lĩnh vực",
    "procedures": "thủ tục",
    "fee_items": "phí, lệ phí",
    "procedure_documents": "thành phần hồ sơ",
}
ALIASES = {
    "agencies": ("agencies", "agency"),
    "fields": ("fields", "field"),
    "procedures": ("procedures", "procedure"),
    "fee_items": ("fee_items", "fee_item"),
    "procedure_documents": ("procedure_documents", "procedure_document"),
}
PROCEDURE_CODE = re.compile(r"^\d{1,2}\.\d{6}$")
# The columns that hold an agency's code, read in capitals (domain/catalog_codes.py).
AGENCY_CODE_COLUMNS = {
    ("agencies", "code"),
    ("fields", "agency_code"),
    ("procedures", "agency_code"),
}
NOTES_SHEET = "huong_dan"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | int | bool | date | time | choice | ref
    required: bool = False
    max_length: int | None = None
    choices: tuple = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""  # Vietnamese note for the template


COLUMNS: dict[str, tuple[Column, ...]] = {
    "agencies": (
        Column("code", required=True, max_length=32, help="Mã cơ quan, duy nhất (ví dụ SGTVT)"),
        Column("name", required=True, max_length=255, help="Tên đầy đủ"),
        Column("short_name", max_length=100, help="Tên ngắn"),
        Column("eid_code", max_length=32, help="Mã định danh điện tử (ví dụ 000.00.20.H37)"),
        Column(
            "kind",
            "choice",
            choices=AGENCY_KINDS,
            default="department",
            help="department | vertical | enterprise | other",
        ),
        Column("sort_order", "int", default=0, minimum=0, help="Thứ tự trên báo cáo"),
        Column("active", "bool", default=True, help="1 = đang hoạt động, 0 = ngừng"),
    ),
    "fields": (
        Column("code", required=True, max_length=32, help="Mã lĩnh vực, duy nhất"),
        Column("name", required=True, max_length=255, help="Tên lĩnh vực"),
        Column("agency_code", "ref", required=True, help="Mã cơ quan (trang agencies)"),
        Column("active", "bool", default=True, help="1 / 0"),
    ),
    "procedures": (
        Column("code", required=True, max_length=32, help="Mã TTHC quốc gia d.dddddd (1.004616)"),
        Column("name", required=True, help="Tên thủ tục"),
        Column("agency_code", "ref", required=True, help="Mã cơ quan"),
        Column("field_code", "ref", help="Mã lĩnh vực (của cùng cơ quan)"),
        Column(
            "level",
            "choice",
            choices=PROCEDURE_LEVELS,
            default="province",
            help="province | commune (district: chỉ thủ tục cũ, đã bỏ từ 01/07/2025)",
        ),
        Column(
            "processing_days",
            "int",
            minimum=0,
            maximum=365,
            help="Thời hạn giải quyết (ngày làm việc; 0 = trong ngày); để trống nếu tính theo giờ",
        ),
        Column(
            "processing_hours",
            "int",
            minimum=1,
            maximum=2920,
            help="Thời hạn giải quyết tính theo giờ làm việc (thay cho processing_days; chỉ ghi một "
            "trong hai)",
        ),
        Column(
            "cutoff_time",
            "time",
            help="Giờ chốt HH:MM (ví dụ 15:00): hồ sơ tiếp nhận sau giờ này tính từ ngày làm việc "
            "tiếp theo; để trống = không có",
        ),
        Column(
            "online_level",
            "choice",
            choices=ONLINE_LEVELS,
            default="none",
            help="none | partial | full",
        ),
        Column("legacy_online_level", "int", minimum=1, maximum=4, help="Mức độ cũ 1–4"),
        Column("postal_in", "bool", default=False, help="Tiếp nhận qua bưu chính (1/0)"),
        Column("postal_out", "bool", default=False, help="Trả kết quả qua bưu chính (1/0)"),
        Column("four_on_spot", "bool", default=False, help="4 tại chỗ (1/0)"),
        Column("saturday_service", "bool", default=False, help="Tiếp nhận sáng thứ Bảy (1/0)"),
        Column("interagency", "bool", default=False, help="Liên thông (1/0)"),
        Column("publication_decision", max_length=100, help="Số quyết định công bố"),
        Column("publication_date", "date", help="Ngày quyết định (dd/mm/yyyy hoặc YYYY-MM-DD)"),
        Column("legal_basis", help="Căn cứ pháp lý"),
        Column("required_documents", help="Thành phần hồ sơ"),
        Column("result", help="Kết quả"),
        Column("active", "bool", default=True, help="1 / 0 (thủ tục bãi bỏ: 0)"),
    ),
    "fee_items": (
        Column("procedure_code", "ref", required=True, help="Mã thủ tục"),
        Column(
            "kind", "choice", required=True, choices=FEE_KINDS, help="fee (phí) | charge (lệ phí)"
        ),
        Column("name", required=True, max_length=255, help="Tên khoản phí"),
        Column("amount_vnd", "int", required=True, minimum=0, help="Số tiền (đồng, số nguyên)"),
        Column(
            "channel", "choice", choices=CHANNELS, help="Để trống, hoặc direct | online | postal"
        ),
        Column("note", help="Ghi chú"),
    ),
    "procedure_documents": (
        Column("procedure_code", "ref", required=True, help="Mã thủ tục"),
        Column(
            "position",
            "int",
            required=True,
            minimum=1,
            maximum=999,
            help="Số thứ tự trong thành phần hồ sơ (1, 2, …)",
        ),
        Column("name", required=True, max_length=NAME_MAX, help="Tên giấy tờ"),
        Column(
            "kind",
            "choice",
            choices=DOCUMENT_KINDS,
            default="original",
            help="original (bản chính) | copy (bản sao) | certified_copy (bản sao có chứng thực)",
        ),
        Column("copies", "int", default=1, minimum=1, maximum=99, help="Số bản (mặc định 1)"),
        Column("required", "bool", default=True, help="1 = bắt buộc, 0 = không bắt buộc (nếu có)"),
    ),
}
MODELS = {
    "agencies": Agency,
    "fields": Field,
    "procedures": Procedure,
    "fee_items": FeeItem,
    "procedure_documents": ProcedureDocument,
}


@dataclass
class RowResult:
    entity: str
    row: int
    key: str
    action: str = "unchanged"  # new | changed | unchanged | error
    changes: dict[str, tuple] = dc_field(default_factory=dict)  # column -> (old, new)
    issues: list[Issue] = dc_field(default_factory=list)
    values: dict[str, Any] = dc_field(default_factory=dict)
    target: Any = None  # the existing row, for an update


@dataclass
class CatalogPlan:
    rows: list[RowResult] = dc_field(default_factory=list)
    issues: list[Issue] = dc_field(default_factory=list)  # about the file as a whole
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues and not any(r.action == "error" for r in self.rows)

    def all_issues(self) -> list[Issue]:
        return self.issues + [i for r in self.rows for i in r.issues]

    def counts(self) -> dict[str, int]:
        counts = {"new": 0, "changed": 0, "unchanged": 0, "error": 0}
        for r in self.rows:
            counts[r.action] += 1
        return counts

    def digest(self) -> str:
        """A fingerprint of what would be written: confirm refuses if it moved since preview."""
        payload = [
            [r.entity, r.row, r.key, r.action, sorted((k, repr(v)) for k, v in r.changes.items())]
            for r in self.rows
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


# ---- reading the tables ---------------------------------------------------------------------


def _entity_of(table: Table) -> str | None:
    name = table.name.strip().lower().replace(" ", "_").replace("-", "_")
    for entity, aliases in ALIASES.items():
        if name in aliases or any(name.endswith("_" + a) for a in aliases):
            return entity
    return None


def _match_tables(tables: list[Table], plan: CatalogPlan, strict: bool) -> dict[str, Table]:
    matched: dict[str, Table] = {}
    for table in tables:
        entity = _entity_of(table)
        if entity is None:
            if strict:
                plan.issues.append(
                    Issue(
                        f"Tệp “{table.name}” không phải bảng danh mục nào "
                        f"(cần: {', '.join(ENTITIES)}).",
                        f"“{table.name}” is not a catalog table (expected: {', '.join(ENTITIES)}).",
                        sheet=table.name,
                    )
                )
            continue
        if entity in matched:
            plan.issues.append(
                Issue(
                    f"Bảng {entity} xuất hiện hai lần.",
                    f"Table {entity} appears twice.",
                    sheet=table.name,
                )
            )
            continue
        matched[entity] = table
    if not matched and not plan.issues:
        plan.issues.append(
            Issue(
                f"Không có trang danh mục nào; cần ít nhất một trong: {', '.join(ENTITIES)}.",
                f"No catalog sheet found; expected at least one of: {', '.join(ENTITIES)}.",
            )
        )
    for entity, table in matched.items():
        plan.issues.extend(
            header_issues(
                table,
                sorted(c.name for c in COLUMNS[entity]),
                [c.name for c in COLUMNS[entity] if c.required],
            )
        )
    return matched


def _parse(column: Column, raw, entity: str = "") -> Any:
    if column.kind == "int":
        value = parse_int(raw)
        if value is not None:
            if column.minimum is not None and value < column.minimum:
                raise ValueError_(f"phải ≥ {column.minimum}", f"must be ≥ {column.minimum}")
            if column.maximum is not None and value > column.maximum:
                raise ValueError_(f"phải ≤ {column.maximum}", f"must be ≤ {column.maximum}")
        return value if value is not None else column.default
    if column.kind == "bool":
        return parse_bool(raw, column.default)
    if column.kind == "date":
        return parse_date(raw)
    if column.kind == "time":
        return _parse_time(raw)
    if column.kind == "choice":
        value = parse_text(raw)
        if value is None:
            return column.default
        value = value.lower()
        if value not in column.choices:
            raise ValueError_(
                f"“{value}” không hợp lệ; chọn một trong: {', '.join(column.choices)}",
                f"“{value}” is not allowed; use one of: {', '.join(column.choices)}",
            )
        return value
    if isinstance(raw, float) and (
        column.name == "procedure_code" or (entity == "procedures" and column.name == "code")
    ):
        raw = f"{raw:.6f}"  # 1.00461 typed as a number in Excel: the national code has 6 decimals
    text = parse_text(raw, column.max_length)
    return agency_code(text) if (entity, column.name) in AGENCY_CODE_COLUMNS else text


def _parse_time(raw) -> dt.time | None:
    """A time of day: text HH:MM, or a time cell (Excel: a time, or a fraction of a day)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime):
        raw = raw.time()
    if isinstance(raw, dt.time):
        return raw.replace(second=0, microsecond=0)
    if isinstance(raw, float) and 0 <= raw < 1:
        minutes = round(raw * 24 * 60)
        return dt.time(minutes // 60, minutes % 60)
    try:
        return parse_time(str(raw))
    except ValueError:
        raise ValueError_(
            f"“{raw}” không phải giờ dạng HH:MM (ví dụ 15:00)",
            f"“{raw}” is not a time as HH:MM (e.g. 15:00)",
        ) from None


def _parse_row(entity: str, number: int, raw: dict, header: list[str], sheet: str) -> RowResult:
    result = RowResult(entity, number, "")
    for column in COLUMNS[entity]:
        if column.name not in header:
            continue
        try:
            value = _parse(column, raw.get(column.name), entity)
        except ValueError_ as exc:
            result.issues.append(
                Issue(
                    f"cột {column.name}: {exc.vi}", f"column {column.name}: {exc.en}", number, sheet
                )
            )
            continue
        if column.required and value is None:
            result.issues.append(
                Issue(
                    f"cột {column.name} không được để trống",
                    f"column {column.name} must not be blank",
                    number,
                    sheet,
                )
            )
        result.values[column.name] = value
    return result


def _error(result: RowResult, sheet: str, vi: str, en: str) -> None:
    result.issues.append(Issue(vi, en, result.row, sheet))


# ---- planning -------------------------------------------------------------------------------


def import_catalog(
    session, tables: list[Table], apply: bool = False, strict_names: bool = False
) -> CatalogPlan:
    """Validate every row against the database and the rest of the file, classify it as new /
    changed (which columns) / unchanged / error; with apply=True and no error, write it all
    (the caller commits or rolls back). `strict_names`: every table must be a catalog table
    (CSV files); an .xlsx may carry other sheets (notes), which are ignored."""
    plan = CatalogPlan()
    matched = _match_tables(tables, plan, strict_names)
    if plan.issues:
        return plan

    stored = _Stored.load(session)
    parsed = _parse_tables(matched)
    file = _FileCodes.of(parsed, stored)
    sheet = {e: matched[e].name for e in matched}
    _check_agencies(parsed.get("agencies", []), stored, sheet.get("agencies"))
    _check_fields(parsed.get("fields", []), stored, file, sheet.get("fields"))
    _check_procedures(parsed.get("procedures", []), stored, file, sheet.get("procedures"))
    _check_procedure_rows(
        parsed.get("fee_items", []),
        stored.fee_items,
        lambda v: (v.get("procedure_code"), v.get("kind"), v.get("name")),
        stored,
        file,
        sheet.get("fee_items"),
    )
    _check_procedure_rows(
        parsed.get("procedure_documents", []),
        stored.documents,
        lambda v: (v.get("procedure_code"), v.get("position")),
        stored,
        file,
        sheet.get("procedure_documents"),
    )

    for entity in ENTITIES:
        for result in parsed.get(entity, []):
            if result.issues:
                result.action = "error"
            plan.rows.append(result)

    if apply and plan.ok:
        _apply(session, plan, stored.agencies, stored.fields, stored.procedures)
        plan.applied = True
    return plan


@dataclass
class _Stored:
    """The catalog in the database, by code (a fee item by procedure code, kind and name)."""

    agencies: dict[str, Agency]
    fields: dict[str, Field]
    procedures: dict[str, Procedure]
    fee_items: dict[tuple, FeeItem]
    documents: dict[tuple, ProcedureDocument]
    agency_codes_by_id: dict[int, str]
    field_codes_by_id: dict[int, str]

    @classmethod
    def load(cls, session) -> _Stored:
        # In capitals, as the file's are read (a code stored otherwise is still found).
        agencies = {agency_code(a.code): a for a in session.scalars(select(Agency))}
        fields = {f.code: f for f in session.scalars(select(Field))}
        fee_items: dict[tuple, FeeItem] = {}
        for item, proc_code in session.execute(
            select(FeeItem, Procedure.code).join(Procedure).order_by(FeeItem.id)
        ):
            # Tidied as the file's names are: a name typed with a stray tab is still the same item.
            fee_items.setdefault((proc_code, item.kind, clean_text(item.name or "")), item)
        documents = {
            (proc_code, doc.position): doc
            for doc, proc_code in session.execute(
                select(ProcedureDocument, Procedure.code).join(Procedure)
            )
        }
        return cls(
            agencies,
            fields,
            {p.code: p for p in session.scalars(select(Procedure))},
            fee_items,
            documents,
            {a.id: code for code, a in agencies.items()},
            {f.id: f.code for f in fields.values()},
        )


@dataclass
class _FileCodes:
    """The codes the file brings, and every field's agency once the file is applied: what a row
    may point to."""

    agencies: set
    fields: set
    procedures: set
    field_agency: dict[str, str | None]

    @classmethod
    def of(cls, parsed: dict[str, list[RowResult]], stored: _Stored) -> _FileCodes:
        def codes(entity):
            return {r.values.get("code") for r in parsed.get(entity, [])}

        field_agency = {
            f.code: stored.agency_codes_by_id.get(f.agency_id) for f in stored.fields.values()
        }
        field_agency.update(
            {
                r.values.get("code"): r.values.get("agency_code")
                for r in parsed.get("fields", [])
                if "agency_code" in r.values
            }
        )
        return cls(codes("agencies"), codes("fields"), codes("procedures"), field_agency)


def _parse_tables(matched: dict[str, Table]) -> dict[str, list[RowResult]]:
    """Every row parsed, keyed (`RowResult.key`); a key seen twice in a table is an error."""
    parsed: dict[str, list[RowResult]] = {}
    for entity in ENTITIES:
        table = matched.get(entity)
        if table is None:
            continue
        rows = parsed[entity] = []
        seen: dict[Any, tuple[int, Any]] = {}
        for number, raw in table.rows:
            result = _parse_row(entity, number, raw, table.header, table.name)
            key = _row_key(result)
            if None not in (key if isinstance(key, tuple) else (key,)):
                if key in seen:
                    _duplicate(result, table.name, seen[key], raw.get("code"))
                else:
                    seen[key] = (number, raw.get("code"))
            rows.append(result)
    return parsed


def _duplicate(result: RowResult, sheet: str, first: tuple[int, Any], typed) -> None:
    """The row's key is the key of an earlier row (`first`: its number and code as typed); two
    agency codes that differ only by case are said to be the same."""
    row, first_typed = first
    if result.entity == "agencies" and str(typed).strip() != str(first_typed).strip():
        _error(
            result,
            sheet,
            f"mã cơ quan {str(typed).strip()} trùng với mã {str(first_typed).strip()} ở dòng "
            f"{row} (mã cơ quan không phân biệt chữ hoa, chữ thường)",
            f"agency code {str(typed).strip()} is the code {str(first_typed).strip()} of row "
            f"{row} (agency codes do not distinguish capital letters)",
        )
        return
    _error(
        result,
        sheet,
        f"trùng khoá {result.key} với dòng {row}",
        f"duplicate key {result.key} (also row {row})",
    )


def _row_key(result: RowResult):
    """The row's key (sets `result.key`, its text): the code, or for a fee item the procedure
    code, kind and name."""
    values = result.values
    if result.entity == "fee_items":
        key = (values.get("procedure_code"), values.get("kind"), values.get("name"))
        result.key = " / ".join(str(k or "") for k in key)
    elif result.entity == "procedure_documents":
        key = (values.get("procedure_code"), values.get("position"))
        result.key = " / ".join(str(k or "") for k in key)
    else:
        key = values.get("code")
        result.key = key or ""
    return key


def _check_agencies(rows: list[RowResult], stored: _Stored, sheet: str | None) -> None:
    for result in rows:
        _compare(result, stored.agencies.get(result.values.get("code")))
    _check_eid_codes(rows, stored.agencies, sheet)


def _check_fields(
    rows: list[RowResult], stored: _Stored, file: _FileCodes, sheet: str | None
) -> None:
    for result in rows:
        _check_ref(result, sheet, "agency", result.values.get("agency_code"), stored, file)
        _compare(
            result,
            stored.fields.get(result.values.get("code")),
            refs={"agency_code": lambda f: stored.agency_codes_by_id.get(f.agency_id)},
        )


def _check_procedures(
    rows: list[RowResult], stored: _Stored, file: _FileCodes, sheet: str | None
) -> None:
    for result in rows:
        values = result.values
        code = values.get("code")
        if code and not PROCEDURE_CODE.match(code):
            _error(
                result,
                sheet,
                f"mã thủ tục “{code}” phải có dạng 1.004616",
                f"procedure code “{code}” must look like 1.004616",
            )
        if "level" in values and not may_choose(
            values["level"], stored.procedures[code].level if code in stored.procedures else None
        ):
            _error(
                result,
                sheet,
                f"cột level: {ABOLISHED_MESSAGE_VI}",
                f"column level: {ABOLISHED_MESSAGE}",
            )
        _check_ref(result, sheet, "agency", values.get("agency_code"), stored, file)
        if values.get("field_code"):
            _check_procedure_field(result, stored, file, sheet)
        _check_time_limit(result, stored.procedures.get(code), sheet)
        _compare(
            result,
            stored.procedures.get(code),
            refs={
                "agency_code": lambda p: stored.agency_codes_by_id.get(p.agency_id),
                "field_code": lambda p: stored.field_codes_by_id.get(p.field_id),
            },
        )


def _check_time_limit(result: RowResult, existing, sheet: str | None) -> None:
    """A procedure's time limit is in working days or in working hours, exactly one of the two
    once the row is applied (a column left out keeps the stored value). A limit that could not
    be read is already reported."""
    if any(i.en.startswith("column processing_") for i in result.issues):
        return
    final = {}
    for name in ("processing_days", "processing_hours"):
        if name in result.values:
            final[name] = result.values[name]
        else:
            final[name] = getattr(existing, name) if existing is not None else None
    if (final["processing_days"] is None) == (final["processing_hours"] is None):
        _error(
            result,
            sheet,
            "thời hạn giải quyết: ghi processing_days (ngày làm việc) hoặc processing_hours "
            "(giờ làm việc), chỉ một trong hai",
            "time limit: give processing_days (working days) or processing_hours (working "
            "hours), exactly one of the two",
        )


def _check_procedure_field(
    result: RowResult, stored: _Stored, file: _FileCodes, sheet: str | None
) -> None:
    """The procedure's field exists and belongs to the procedure's agency (after the file)."""
    code, field_code = result.values.get("code"), result.values["field_code"]
    if not _check_ref(result, sheet, "field", field_code, stored, file):
        return
    proc_agency = result.values.get("agency_code") or (
        agency_code(stored.procedures[code].agency.code) if code in stored.procedures else None
    )
    owner = file.field_agency.get(field_code)
    if owner != proc_agency:
        _error(
            result,
            sheet,
            f"lĩnh vực {field_code} thuộc cơ quan khác ({owner})",
            f"field {field_code} belongs to another agency ({owner})",
        )


# What a row may point to: (its name in the Vietnamese message, the codes stored, in the file).
_REFS = {
    "agency": ("cơ quan", lambda stored: stored.agencies, lambda file: file.agencies),
    "field": ("lĩnh vực", lambda stored: stored.fields, lambda file: file.fields),
    "procedure": ("thủ tục", lambda stored: stored.procedures, lambda file: file.procedures),
}


def _check_ref(
    result: RowResult, sheet: str | None, kind: str, code, stored: _Stored, file: _FileCodes
) -> bool:
    """A code given must be stored or come in the file; False (and reported) when it is not."""
    vi, stored_codes, file_codes = _REFS[kind]
    if code and code not in stored_codes(stored) and code not in file_codes(file):
        _error(result, sheet, f"không có {vi} mã {code}", f"unknown {kind} code {code}")
        return False
    return True


def _check_procedure_rows(
    rows: list[RowResult],
    stored_rows: dict,
    key_of,
    stored: _Stored,
    file: _FileCodes,
    sheet: str | None,
) -> None:
    """Rows that belong to a procedure (fee items, documents): the procedure exists, and the
    row is compared with the stored one of the same key (`key_of` its values)."""
    for result in rows:
        proc_code = result.values.get("procedure_code")
        _check_ref(result, sheet, "procedure", proc_code, stored, file)
        _compare(
            result,
            stored_rows.get(key_of(result.values)),
            refs={"procedure_code": lambda _row, code=proc_code: code},
        )


def _compare(result: RowResult, existing, refs: dict | None = None) -> None:
    """new, or changed with the columns that differ, or unchanged."""
    refs = refs or {}
    columns = {c.name: c for c in COLUMNS[result.entity]}
    if existing is None:
        result.action = "new"
        return
    result.target = existing
    for name, new in result.values.items():
        old = refs[name](existing) if name in refs else getattr(existing, name)
        if columns[name].required and new is None:
            continue
        if _same(old, new):
            continue
        if old != new:
            result.changes[name] = (old, new)
    result.action = "changed" if result.changes else "unchanged"


def _same(old, new) -> bool:
    """Text typed with stray spaces, in decomposed Unicode or as "" reads back cleaned: that is
    not a change (export → import stays the identity)."""
    if isinstance(old, str):
        old = clean_text(old) or None
    return old == new


def _check_eid_codes(rows: list[RowResult], agencies: dict, sheet: str | None) -> None:
    final = {code: a.eid_code for code, a in agencies.items()}
    for r in rows:
        if "eid_code" in r.values and r.values.get("code"):
            final[r.values["code"]] = r.values["eid_code"]
    owners: dict[str, list[str]] = {}
    for code, eid in final.items():
        if eid:
            owners.setdefault(eid, []).append(code)
    for r in rows:
        eid = r.values.get("eid_code")
        if eid and len(owners.get(eid, [])) > 1:
            others = [c for c in owners[eid] if c != r.values.get("code")]
            _error(
                r,
                sheet,
                f"mã định danh {eid} đã dùng cho cơ quan {', '.join(others)}",
                f"electronic ID code {eid} is already used by agency {', '.join(others)}",
            )


def agency_code_owner(session, code: str | None, except_id: int | None = None) -> str | None:
    """The stored code of another agency than `except_id` that is `code` whatever the case
    ("STP" for "stp"), else None: the agency form's check (domain/catalog_codes.py), read
    through the unique index on upper(code)."""
    return clashing_value(Agency.code, func.upper, agency_code(code), except_id, session)


# ---- writing --------------------------------------------------------------------------------


def _apply(session, plan: CatalogPlan, agencies: dict, fields: dict, procedures: dict) -> None:
    by_entity: dict[str, list[RowResult]] = {}
    for r in plan.rows:
        by_entity.setdefault(r.entity, []).append(r)

    _upsert(session, by_entity.get("agencies", []), Agency, "agencies", agencies, {})
    _upsert(
        session,
        by_entity.get("fields", []),
        Field,
        "fields",
        fields,
        {"agency_code": ("agency", agencies)},
    )
    _upsert(
        session,
        by_entity.get("procedures", []),
        Procedure,
        "procedures",
        procedures,
        {"agency_code": ("agency", agencies), "field_code": ("field", fields)},
    )

    for entity in ("fee_items", "procedure_documents"):
        for r in by_entity.get(entity, []):
            if r.action == "new":
                obj = MODELS[entity](procedure=procedures[r.values["procedure_code"]])
                _defaults(obj, entity)
                for name, value in r.values.items():
                    if name != "procedure_code":
                        setattr(obj, name, value)
                session.add(obj)
            elif r.action == "changed":
                for name in r.changes:
                    setattr(r.target, name, r.values[name])
    session.flush()


def _upsert(session, rows, model, entity: str, registry: dict, refs: dict) -> None:
    """Create the new rows and update the changed ones of an entity keyed by code; `refs` maps a
    reference column (e.g. agency_code) to (relationship, {code: object})."""
    for r in rows:
        if r.action == "new":
            obj = model(code=r.values["code"])
            _defaults(obj, entity)
            session.add(obj)
            registry[obj.code] = obj
            names = r.values
        elif r.action == "changed":
            obj, names = r.target, r.changes
        else:
            continue
        for name in names:
            if name in refs:
                relation, objects = refs[name]
                value = r.values[name]
                setattr(obj, relation, objects[value] if value else None)
            elif name != "code":
                setattr(obj, name, r.values[name])
    session.flush()


def _defaults(obj, entity: str) -> None:
    for column in COLUMNS[entity]:
        if column.kind != "ref" and column.default is not None:
            setattr(obj, column.name, column.default)


# ---- export ---------------------------------------------------------------------------------


def catalog_rows(session, entity: str):
    """The rows of one table in file order, as tuples in COLUMNS order."""
    names = [c.name for c in COLUMNS[entity]]
    if entity == "agencies":
        for a in session.scalars(select(Agency).order_by(Agency.sort_order, Agency.code)):
            yield tuple(getattr(a, n) for n in names)
    elif entity == "fields":
        query = (
            select(Field, Agency.code)
            .join(Agency, Field.agency_id == Agency.id)
            .order_by(Field.code)
        )
        for f, agency_code in session.execute(query):
            yield tuple(agency_code if n == "agency_code" else getattr(f, n) for n in names)
    elif entity == "procedures":
        query = (
            select(Procedure, Agency.code, Field.code)
            .join(Agency, Procedure.agency_id == Agency.id)
            .outerjoin(Field, Procedure.field_id == Field.id)
            .order_by(Procedure.code)
        )
        for p, agency_code, field_code in session.execute(query):
            refs = {
                "agency_code": agency_code,
                "field_code": field_code,
                # As text, so that it reads back the same from either format.
                "cutoff_time": p.cutoff_time.strftime("%H:%M") if p.cutoff_time else None,
            }
            yield tuple(refs[n] if n in refs else getattr(p, n) for n in names)
    elif entity == "procedure_documents":
        query = (
            select(ProcedureDocument, Procedure.code)
            .join(Procedure)
            .order_by(Procedure.code, ProcedureDocument.position)
        )
        for doc, proc_code in session.execute(query):
            yield tuple(proc_code if n == "procedure_code" else getattr(doc, n) for n in names)
    else:
        query = select(FeeItem, Procedure.code).join(Procedure).order_by(Procedure.code, FeeItem.id)
        for item, proc_code in session.execute(query):
            yield tuple(proc_code if n == "procedure_code" else getattr(item, n) for n in names)


def export_catalog_xlsx(session, target, empty: bool = False) -> None:
    """The catalog as a workbook (target: path or binary stream). empty=True: the template."""
    workbook = new_workbook(target)
    bold = workbook.add_format({"bold": True})
    for entity in ENTITIES:
        sheet = workbook.add_worksheet(entity)
        columns = COLUMNS[entity]
        write_row(sheet, 0, [c.name for c in columns], {i: bold for i in range(len(columns))})
        sheet.freeze_panes(1, 0)
        if not empty:
            for number, values in enumerate(catalog_rows(session, entity), start=1):
                write_row(sheet, number, values)
    _notes_sheet(workbook, bold)
    workbook.close()


def _notes_sheet(workbook, bold) -> None:
    sheet = workbook.add_worksheet(NOTES_SHEET)
    write_row(
        sheet,
        0,
        ["trang (sheet)", "cột (column)", "bắt buộc", "ý nghĩa / giá trị"],
        {i: bold for i in range(4)},
    )
    row = 1
    for entity in ENTITIES:
        for column in COLUMNS[entity]:
            write_row(
                sheet, row, [entity, column.name, "có" if column.required else "", column.help]
            )
            row += 1
    for text in (
        "Cập nhật theo mã: dòng có mã đã tồn tại được sửa, mã mới được thêm; không xoá dòng nào.",
        "Ngày: dd/mm/yyyy hoặc YYYY-MM-DD. Có/không: 1 hoặc 0. Không dùng công thức.",
        "Trang huong_dan này được bỏ qua khi nhập.",
    ):
        row += 1
        write_row(sheet, row, [text])


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(safe_value(value))


def catalog_csv(session, entity: str, empty: bool = False) -> bytes:
    """One table as UTF-8 CSV with a BOM (Excel then shows Vietnamese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in COLUMNS[entity]])
    if not empty:
        for values in catalog_rows(session, entity):
            writer.writerow([_csv_value(v) for v in values])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def export_catalog_zip(session, target, empty: bool = False) -> None:
    """Every table as a CSV file in one .zip."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for entity in ENTITIES:
            archive.writestr(f"{entity}.csv", catalog_csv(session, entity, empty))


def next_agency_order(session) -> int:
    """Where a new agency goes in the lists and the report's rows (06a): after the others, not
    first with the model's 0 (the agency form's default)."""
    return (session.scalar(select(func.max(Agency.sort_order))) or 0) + 1
