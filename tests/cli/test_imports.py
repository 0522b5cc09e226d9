"""Catalog import/export and dossier import (design §10): round trips, due dates, and hostile or
broken files, each of which must leave the database exactly as it was."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile

import defusedxml
import openpyxl
import pytest
from sqlalchemy import func, select

import domain.dossier_import as module
from domain.calendar import WorkingCalendar, load_calendar
from domain.catalog_io import export_catalog_xlsx, export_catalog_zip, import_catalog
from domain.dossier_import import COLUMNS, IMPORT_REASON
from domain.spreadsheet_reader import Limits, SpreadsheetError, read_tables
from models import (
    Agency,
    AuditLog,
    CalendarDay,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierPause,
    FeeItem,
    Field,
    Payment,
    Procedure,
    db,
)
from tests.import_helpers import (
    BILLION_LAUGHS,
    csv_bytes,
    replace_in_xlsx,
    snapshot,
    xlsx_bytes,
    zip_bomb_xlsx,
)

DOSSIER_HEADER = list(COLUMNS)


def small_catalog(session) -> None:
    """Two agencies, two fields, three procedures with fee items (diacritics included)."""
    gtvt = Agency(
        code="SGTVT",
        eid_code="000.00.20.H37",
        name="Sở Giao thông vận tải",
        short_name="Giao thông vận tải",
        kind="department",
        sort_order=1,
    )
    tp = Agency(
        code="STP", name="Sở Tư pháp", short_name="Tư pháp", kind="department", sort_order=2
    )
    road = Field(code="GTVT-DB", name="Đường bộ", agency=gtvt)
    justice = Field(code="TP-LLTP", name="Lý lịch tư pháp", agency=tp)
    session.add_all(
        [
            gtvt,
            tp,
            road,
            justice,
            Procedure(
                code="1.002809",
                name="Cấp lại Giấy phép lái xe",
                agency=gtvt,
                field=road,
                processing_days=5,
                online_level="full",
                postal_in=True,
                postal_out=True,
                fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000)],
            ),
            Procedure(
                code="1.002804",
                name="Đổi Giấy phép lái xe do ngành Giao thông vận tải cấp",
                agency=gtvt,
                field=road,
                processing_days=5,
                online_level="partial",
                saturday_service=True,
                fee_items=[FeeItem(kind="charge", name="Lệ phí đổi GPLX", amount_vnd=135000)],
            ),
            Procedure(
                code="2.000488",
                name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                agency=tp,
                field=justice,
                processing_days=10,
                online_level="full",
                fee_items=[
                    FeeItem(
                        kind="fee", name="Phí cung cấp thông tin lý lịch tư pháp", amount_vnd=200000
                    )
                ],
            ),
        ]
    )


@pytest.fixture
def demo(app):
    with app.app_context():
        small_catalog(db.session)
        db.session.commit()
    return app


def _export(app, fmt="xlsx") -> bytes:
    buffer = io.BytesIO()
    with app.app_context():
        (export_catalog_xlsx if fmt == "xlsx" else export_catalog_zip)(db.session, buffer)
    return buffer.getvalue()


def _cli(app, tmp_path, group, data: bytes, name: str, *extra):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=[group, "import", str(path), *extra])


def _refused(app, tmp_path, group, data, name, expect: str):
    """The CLI refuses the file with exit code 1 and `expect` in the message; the database is
    exactly as before."""
    with app.app_context():
        before = snapshot()
    result = _cli(app, tmp_path, group, data, name)
    assert result.exit_code == 1, result.output
    assert expect in result.output, result.output
    with app.app_context():
        assert snapshot() == before
    return result.output


# ---- catalog round trip ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "zip"])
def test_export_then_import_changes_nothing(demo, tmp_path, fmt):
    data = _export(demo, fmt)
    with demo.app_context():
        before = snapshot()
        plan = import_catalog(
            db.session, read_tables(data, f"c.{fmt}"), apply=False, strict_names=fmt == "zip"
        )
        assert plan.ok, [i.bilingual() for i in plan.all_issues()]
        counts = plan.counts()
        assert counts["new"] == counts["changed"] == counts["error"] == 0
        assert counts["unchanged"] == 2 + 2 + 3 + 3
        db.session.rollback()
    result = _cli(demo, tmp_path, "catalog", data, f"c.{fmt}")
    assert result.exit_code == 0, result.output
    assert "0 mới / new, 0 sửa / changed, 10 không đổi" in result.output
    with demo.app_context():
        assert snapshot() == before  # not even updated_at or an audit row moved


def test_edited_cells_are_exactly_the_changes(demo, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(_export(demo)))
    procedures = workbook["procedures"]
    header = [c.value for c in procedures[1]]
    row = next(r for r in procedures.iter_rows(min_row=2) if r[0].value == "2.000488")
    row[header.index("processing_days")].value = 7
    row[header.index("saturday_service")].value = True
    agencies = workbook["agencies"]
    agencies.append(
        ["SXD", "Sở Xây dựng – Quản lý đô thị", "Xây dựng", None, "department", 3, True]
    )
    fees = workbook["fee_items"]
    fee_header = [c.value for c in fees[1]]
    for r in fees.iter_rows(min_row=2):
        if r[0].value == "1.002809":
            r[fee_header.index("amount_vnd")].value = 150000
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    with demo.app_context():
        plan = import_catalog(db.session, read_tables(data, "c.xlsx"))
        db.session.rollback()
    changed = {(r.entity, r.key): r.changes for r in plan.rows if r.action == "changed"}
    new = [(r.entity, r.key) for r in plan.rows if r.action == "new"]
    assert changed == {
        ("procedures", "2.000488"): {"processing_days": (10, 7), "saturday_service": (False, True)},
        ("fee_items", "1.002809 / charge / Lệ phí cấp GPLX"): {"amount_vnd": (135000, 150000)},
    }
    assert new == [("agencies", "SXD")]

    result = _cli(demo, tmp_path, "catalog", data, "c.xlsx")
    assert result.exit_code == 0, result.output
    with demo.app_context():
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "2.000488"))
        assert (proc.processing_days, proc.saturday_service) == (7, True)
        assert (
            db.session.scalar(select(Agency.name).where(Agency.code == "SXD"))
            == "Sở Xây dựng – Quản lý đô thị"
        )
        fee = db.session.scalar(select(FeeItem).join(Procedure).where(Procedure.code == "1.002809"))
        assert fee.amount_vnd == 150000
        audited = db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "update")
        )
        assert audited == 2  # one per changed row, nothing else touched
        plan = import_catalog(db.session, read_tables(data, "c.xlsx"))
        assert plan.counts()["changed"] == plan.counts()["new"] == 0


def test_csv_catalog_with_and_without_bom_and_references_within_the_file(app, tmp_path):
    agencies = csv_bytes(
        [["code", "name", "kind", "sort_order"], ["SNV", "Sở Nội vụ", "department", "4"]], bom=False
    )
    fields = csv_bytes(
        [["code", "name", "agency_code"], ["NV-TDKT", "Thi đua – khen thưởng", "SNV"]]
    )
    procedures = csv_bytes(
        [
            [
                "code",
                "name",
                "agency_code",
                "field_code",
                "processing_days",
                "publication_date",
                "four_on_spot",
            ],
            [
                "1.000123",
                "Tặng Bằng khen của Ủy ban nhân dân tỉnh",
                "SNV",
                "NV-TDKT",
                "20",
                "17/01/2019",
                "x",
            ],
        ],
        delimiter=";",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("agencies.csv", agencies)
        archive.writestr("fields.csv", fields)
        archive.writestr("procedures.csv", procedures)
    result = _cli(app, tmp_path, "catalog", buffer.getvalue(), "danh-muc.zip")
    assert result.exit_code == 0, result.output
    with app.app_context():
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "1.000123"))
        assert proc.name == "Tặng Bằng khen của Ủy ban nhân dân tỉnh"
        assert (proc.agency.code, proc.field.code, proc.processing_days) == ("SNV", "NV-TDKT", 20)
        assert proc.publication_date == dt.date(2019, 1, 17) and proc.four_on_spot is True
        assert proc.field.name == "Thi đua – khen thưởng"
    # A single CSV file is the table its name says.
    fees = csv_bytes(
        [
            ["procedure_code", "kind", "name", "amount_vnd"],
            ["1.000123", "fee", "Phí thẩm định", "50.000"],
        ],
        bom=False,
    )
    result = _cli(app, tmp_path, "catalog", fees, "fee_items.csv")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(FeeItem.amount_vnd)) == 50000


def test_catalog_row_errors_are_listed_and_nothing_is_written(demo, tmp_path):
    data = xlsx_bytes(
        {
            "agencies": [
                ["code", "name", "kind"],
                ["SNV", "Sở Nội vụ", "ministry"],
                ["SNV", "Sở Nội vụ (trùng)", "department"],
            ],
            "procedures": [
                ["code", "name", "agency_code", "field_code", "processing_days"],
                ["1.999999", "Thủ tục mới", "KHONGCO", None, "5"],
                ["1.002809", "Cấp lại GPLX", "SGTVT", "TP-LLTP", "-1"],
                ["12345", "Mã sai", "SGTVT", None, "năm"],
            ],
        }
    )
    output = _refused(demo, tmp_path, "catalog", data, "c.xlsx", "Trang agencies, dòng 2")
    for expected in (
        "“ministry” không hợp lệ",
        "trùng khoá SNV với dòng 2",
        "không có cơ quan mã KHONGCO",
        "lĩnh vực TP-LLTP thuộc cơ quan khác",
        "processing_days: phải ≥ 0",
        "phải có dạng 1.004616",
        "“năm” không phải số nguyên",
        "Sheet procedures, row 4",
    ):
        assert expected in output, expected


CATALOG_BAD_HEADERS = [
    ({"agencies": [["code", "ten"], ["X", "Y"]]}, "Cột không hợp lệ: ten"),
    ({"agencies": [["code", "short_name"], ["X", "Y"]]}, "Thiếu cột bắt buộc: name"),
    ({"Sheet1": [["a"], ["b"]]}, "Không có trang danh mục nào"),
]


def test_catalog_wrong_or_missing_columns(demo, tmp_path):
    for sheets, expect in CATALOG_BAD_HEADERS:
        _refused(demo, tmp_path, "catalog", xlsx_bytes(sheets), "c.xlsx", expect)


def test_formula_injection_and_untidy_text_survive_the_round_trip(app, tmp_path):
    with app.app_context():
        agency = Agency(
            code="X",
            name='=HYPERLINK("http://evil")',
            kind="other",
            short_name=unicodedata.normalize("NFD", " Xây dựng "),
            eid_code="",
        )
        db.session.add(
            Procedure(
                code="1.004616",
                name="-Thủ tục\nhai dòng",
                agency=agency,
                processing_days=0,
                legacy_online_level=3,
                publication_decision="45/QĐ-UBND",
                publication_date=dt.date(2019, 1, 17),
                legal_basis="Luật A;\r\nNghị định B",
                fee_items=[FeeItem(kind="fee", name="@phí", amount_vnd=0, note="+1")],
            )
        )
        db.session.commit()
    data = _export(app)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["agencies"]
    assert sheet["B2"].data_type == "s"  # written as text, never as a formula
    for fmt, payload in (("xlsx", data), ("zip", _export(app, "zip"))):
        result = _cli(app, tmp_path, "catalog", payload, f"c.{fmt}")
        assert "0 mới / new, 0 sửa / changed, 3 không đổi" in result.output, (fmt, result.output)


# ---- dossiers ------------------------------------------------------------------------------


def _dossier_rows():
    return [
        DOSSIER_HEADER,
        # Saturday 26/01/2019 before Tết: the clock starts Monday; Tết 04–08/02 is skipped.
        [
            "000.00.20.H37-190126-0001",
            "1.002809",
            "Nguyễn Văn Ánh",
            "direct",
            "26/01/2019 08:30",
            None,
            "10",
            "2019-02-12 10:00",
            "13/02/2019 09:00",
            "postal",
            None,
            "135.000",
        ],
        [
            "CU-2019-0002",
            "2.000488",
            "Công ty TNHH Đồng Đăng",
            "online",
            "2019-01-31 15:00",
            None,
            "4",
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "CU-2019-0003",
            "1.002804",
            "Hoàng Thị Lụa",
            "postal",
            "2019-12-30",
            "2020-01-10",
            "7",
            None,
            None,
            None,
            "2020-01-02 08:00",
            "0",
        ],
        [
            "CU-2019-0004",
            "1.002804",
            "Lý Văn Đức",
            "direct",
            "2019-04-12 16:00",
            None,
            "5",
            None,
            None,
            None,
            None,
            None,
        ],
    ]


def test_dossier_import_due_dates_events_and_payment(demo, tmp_path):
    with demo.app_context():  # a calendar override must be honoured exactly as intake does
        db.session.add(CalendarDay(date=dt.date(2019, 4, 16), is_working_day=False, note="nghỉ"))
        db.session.commit()
    result = _cli(demo, tmp_path, "dossiers", csv_bytes(_dossier_rows(), bom=True), "hs.csv")
    assert result.exit_code == 0, result.output
    with demo.app_context():
        calendar = load_calendar(db.session)
        dossiers = {d.code: d for d in db.session.scalars(select(Dossier))}
        assert len(dossiers) == 4
        first = dossiers["000.00.20.H37-190126-0001"]
        expected = calendar.due_date(first.accepted_at, first.procedure.processing_days)
        assert first.due_date == expected == dt.date(2019, 2, 11)
        assert first.applicant_name == "Nguyễn Văn Ánh"
        assert first.agency_id == first.procedure.agency_id
        assert (first.status, first.return_channel) == (10, "postal")
        assert first.returned_at == dt.datetime(2019, 2, 13, 9, 0)
        second = dossiers["CU-2019-0002"]
        assert second.due_date == calendar.due_date(second.accepted_at, 10) == dt.date(2019, 2, 21)
        assert dossiers["CU-2019-0003"].due_date == dt.date(2020, 1, 10)  # given: kept
        fourth = dossiers["CU-2019-0004"]  # 15/04 holiday, 16/04 the override
        assert fourth.due_date == calendar.due_date(fourth.accepted_at, 5) == dt.date(2019, 4, 23)
        assert fourth.due_date != WorkingCalendar().due_date(fourth.accepted_at, 5)
        events = [(e.from_status, e.to_status, e.at, e.reason) for e in first.events]
        assert events == [
            (None, 2, dt.datetime(2019, 1, 26, 8, 30), IMPORT_REASON),
            (2, 9, dt.datetime(2019, 2, 12, 10, 0), IMPORT_REASON),
            (9, 10, dt.datetime(2019, 2, 13, 9, 0), IMPORT_REASON),
        ]
        assert [(e.from_status, e.to_status) for e in dossiers["CU-2019-0003"].events] == [
            (None, 2),
            (2, 7),
        ]
        payments = db.session.execute(
            select(Payment.dossier_id, Payment.amount_vnd, Payment.paid_at)
        ).all()
        assert payments == [(first.id, 135000, first.accepted_at)]
        assert [p.kind for p in fourth.pauses] == ["supplement"]
        counter = db.session.get(DossierCounter, ("000.00.20.H37", dt.date(2019, 1, 26)))
        assert counter.last_seq == 1  # intake on that day would continue at 0002

    # The same file again: every code is now a duplicate of the database.
    output = _refused(
        demo,
        tmp_path,
        "dossiers",
        csv_bytes(_dossier_rows(), bom=False),
        "hs.csv",
        "đã có trong cơ sở dữ liệu",
    )
    assert "already exists in the database" in output and "dòng 5" in output


def test_dossier_dry_run_writes_nothing(demo, tmp_path):
    data = xlsx_bytes({"dossiers": _dossier_rows()})
    with demo.app_context():
        before = snapshot()
    result = _cli(demo, tmp_path, "dossiers", data, "hs.xlsx", "--dry-run")
    assert result.exit_code == 0 and "4" in result.output, result.output
    with demo.app_context():
        assert snapshot() == before


def test_dossier_rows_are_validated_all_or_nothing(demo, tmp_path):
    rows = _dossier_rows()
    rows += [
        [
            "CU-2019-0002",
            "1.002809",
            "Trùng mã",
            "direct",
            "2019-02-01",
            None,
            "2",
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "CU-X1",
            "9.999999",
            "Thủ tục lạ",
            "fax",
            "31/02/2019",
            None,
            "11",
            None,
            None,
            "home",
            None,
            "-5",
        ],
        [
            "CU-X2",
            "1.002809",
            "Thiếu ngày",
            "direct",
            "2019-03-01 08:00",
            None,
            "10",
            "2019-02-28",
            None,
            None,
            None,
            None,
        ],
        [
            "CU-X3",
            "1.002809",
            "Sai trạng thái",
            "direct",
            "2019-03-01 08:00",
            None,
            "4",
            "2019-03-02",
            None,
            None,
            "2019-03-03",
            None,
        ],
        [
            "CU-X4",
            "1.002809",
            None,
            "direct",
            "2019-03-01 8h",
            None,
            "8",
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "CU-X5",
            "1.002809",
            "Tương lai",
            "direct",
            "2019-03-01",
            None,
            "9",
            "01/01/2099",
            None,
            None,
            None,
            None,
        ],
    ]
    output = _refused(
        demo, tmp_path, "dossiers", xlsx_bytes({"dossiers": rows}), "hs.xlsx", "Tệp bị từ chối"
    )
    for expected in (
        "dòng 6: mã hồ sơ CU-2019-0002 trùng với dòng 3",
        "dòng 7: cột accepted_at: ngày 31/02/2019 không có thật",
        "“fax” không hợp lệ",
        "status: 11 không hợp lệ",
        "return_channel: “home”",
        "fee_paid_vnd: không được âm",
        "không có thủ tục mã 9.999999",
        "trạng thái 10 cần cột returned_at",
        "resolved_at (28/02/2019 00:00) trước accepted_at",
        "trạng thái 4 không có resolved_at",
        "trạng thái 4 không có closed_at",
        "dòng 10: cột applicant_name không được để trống",
        "“2019-03-01 8h” không phải ngày",
        "trạng thái 8 cần cột closed_at",
        "dòng 11: resolved_at (01/01/2099) ở tương lai",
        "row 7: column status: 11 is not 2–10",
    ):
        assert expected in output, expected
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_dossier_wrong_or_missing_columns(demo, tmp_path):
    for header, expect in (
        (DOSSIER_HEADER + ["ghi_chu"], "Cột không hợp lệ: ghi_chu"),
        ([c for c in DOSSIER_HEADER if c != "accepted_at"], "Thiếu cột bắt buộc: accepted_at"),
    ):
        data = csv_bytes([header, ["A"] * len(header)])
        _refused(demo, tmp_path, "dossiers", data, "hs.csv", expect)


def test_csv_dates_bom_and_diacritics(demo, tmp_path):
    decomposed = unicodedata.normalize("NFD", "Phạm Thị Hường")  # as some Mac tools save it
    rows = [
        DOSSIER_HEADER,
        [
            "CU-1",
            "1.002809",
            decomposed,
            "DIRECT",
            "05/03/2019 14:05",
            "12/03/2019",
            "2",
            None,
            None,
            None,
            None,
            None,
        ],
    ]
    for bom, code in ((True, "CU-1"), (False, "CU-2")):
        rows[1][0] = code
        result = _cli(demo, tmp_path, "dossiers", csv_bytes(rows, bom=bom), f"{code}.csv")
        assert result.exit_code == 0, result.output
    with demo.app_context():
        for d in db.session.scalars(select(Dossier)):
            assert d.applicant_name == "Phạm Thị Hường"  # NFC, accents intact
            assert d.accepted_at == dt.datetime(2019, 3, 5, 14, 5)
            assert d.due_date == dt.date(2019, 3, 12)
            assert d.channel == "direct"


# ---- hostile and broken files -------------------------------------------------------------


def _vba_workbook(valid: bytes) -> bytes:
    return replace_in_xlsx(valid, "", b"", extra={"xl/vbaProject.bin": b"\x00" * 100})


def _not_a_workbook_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.sh", b"rm -rf /")
    return buffer.getvalue()


def _corrupt(valid: bytes) -> bytes:
    """The workbook stored uncompressed with one byte of a sheet changed: its CRC no longer
    matches."""
    source = zipfile.ZipFile(io.BytesIO(valid))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    data = buffer.getvalue()
    position = data.index(b"<sheetData")
    return data[:position] + b"<sheetDatb" + data[position + 10 :]


def _rows(n):
    return [DOSSIER_HEADER] + [
        [f"C{i}", "1.002809", "A", "direct", "2019-03-01", None, "2", None, None, None, None, None]
        for i in range(n)
    ]


BOMB = 15 * 1024 * 1024  # inflated size; about 25 KB on disk
HOSTILE = [
    # (name of the case, command group, file builder(valid workbook), file name, expected message)
    ("too large", "dossiers", lambda v: csv_bytes(_rows(2000)), "hs.csv", "Tệp quá lớn"),
    ("zip bomb", "catalog", lambda v: zip_bomb_xlsx(v, BOMB), "c.xlsx", "bom nén"),
    ("zip bomb, English", "catalog", lambda v: zip_bomb_xlsx(v, BOMB), "c.xlsx", "zip bomb"),
    (".xlsm", "catalog", lambda v: v, "c.xlsm", ".xlsm"),
    ("VBA inside an .xlsx", "catalog", _vba_workbook, "c.xlsx", "macro"),
    (
        "Excel 4.0 macro sheet",
        "catalog",
        lambda v: replace_in_xlsx(v, "", b"", extra={"xl/macrosheets/sheet1.xml": b"<xm/>"}),
        "c.xlsx",
        "macro",
    ),
    (
        "entities in an oddly named part",
        "catalog",
        lambda v: replace_in_xlsx(v, "", b"", extra={"xl/worksheets/data.dat": BILLION_LAUGHS}),
        "c.xlsx",
        "DOCTYPE/ENTITY",
    ),
    (
        "PDF named .xlsx",
        "catalog",
        lambda v: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj",
        "c.xlsx",
        "Chỉ nhận tệp .xlsx hoặc .csv",
    ),
    (
        "PNG named .csv",
        "catalog",
        lambda v: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "c.csv",
        "dữ liệu nhị phân",
    ),
    (
        "old .xls",
        "catalog",
        lambda v: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        "c.xlsx",
        "Excel cũ (.xls)",
    ),
    (
        "UTF-16 csv",
        "catalog",
        lambda v: "code,name\nX,Sở Tư pháp\n".encode("utf-16"),
        "agencies.csv",
        "binary data",
    ),
    (
        "cp1258 csv",
        "catalog",
        lambda v: "code,name\nX,Café Đồng Đăng\n".encode("cp1258", "replace"),
        "agencies.csv",
        "không phải UTF-8",
    ),
    ("truncated zip", "catalog", lambda v: b"PK\x03\x04garbage", "c.xlsx", "bị hỏng"),
    ("CRC mismatch", "catalog", _corrupt, "c.xlsx", "bị hỏng hoặc được mã hoá"),
    (
        "zip of something else",
        "catalog",
        lambda v: _not_a_workbook_zip(),
        "c.xlsx",
        "không phải bảng tính",
    ),
    ("workbook named .csv", "catalog", lambda v: v, "c.csv", "phần mở rộng khác"),
    (
        "billion laughs",
        "catalog",
        lambda v: replace_in_xlsx(v, "xl/worksheets/sheet1.xml", BILLION_LAUGHS),
        "c.xlsx",
        "DOCTYPE/ENTITY",
    ),
    (
        "formula",
        "catalog",
        lambda v: xlsx_bytes({"agencies": [["code", "name"], ["SNV", "=1+1"]]}),
        "c.xlsx",
        "ô chứa công thức",
    ),
    (
        "too many rows, xlsx",
        "dossiers",
        lambda v: xlsx_bytes({"dossiers": _rows(6)}),
        "hs.xlsx",
        "quá nhiều dòng (tối đa 5)",
    ),
    ("too many rows, csv", "dossiers", lambda v: csv_bytes(_rows(6)), "hs.csv", "too many rows"),
]


def test_hostile_files_are_refused_and_change_nothing(demo, tmp_path):
    """Each file gets a clear refusal (exit code 1) and the database checksum does not move."""
    demo.config.update(IMPORT_MAX_BYTES=40_000, IMPORT_MAX_ROWS=5)
    valid = _export(demo)
    for case, group, build, name, expect in HOSTILE:
        data = build(valid)
        if case.startswith("zip bomb"):
            assert len(data) < 40_000  # under the size limit: the ratio must catch it
        try:
            _refused(demo, tmp_path, group, data, name, expect)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc


def test_reader_limits_and_defusedxml():
    valid = xlsx_bytes({"agencies": [["code", "name"], ["X", "Sở Tư pháp"]]})
    assert read_tables(valid, "c.xlsx")[0].rows == [(2, {"code": "X", "name": "Sở Tư pháp"})]
    # The total uncompressed size counts on its own, whatever the ratio.
    with pytest.raises(SpreadsheetError) as info:
        read_tables(valid, "c.xlsx", Limits(max_uncompressed=1000))
    assert "giải nén quá lớn" in info.value.issue.vi
    # openpyxl on its own (our DOCTYPE check bypassed) refuses entities through defusedxml.
    attack = replace_in_xlsx(valid, "xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    with pytest.raises(ValueError) as info:
        workbook = openpyxl.load_workbook(io.BytesIO(attack), read_only=True)
        list(workbook.worksheets[0].iter_rows())
    assert isinstance(info.value.__cause__, defusedxml.DefusedXmlException), info.value.__cause__


def test_failure_inside_the_write_rolls_everything_back(demo, tmp_path, monkeypatch):
    """A database error half-way through the write leaves no partial import behind."""

    with demo.app_context():
        before = snapshot()
    original = module.Payment

    def exploding_payment(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "Payment", exploding_payment)
    result = _cli(demo, tmp_path, "dossiers", csv_bytes(_dossier_rows()), "hs.csv")
    assert result.exit_code != 0
    monkeypatch.setattr(module, "Payment", original)
    with demo.app_context():
        assert snapshot() == before
        assert db.session.scalar(select(func.count()).select_from(DossierEvent)) == 0
        assert db.session.scalar(select(func.count()).select_from(DossierPause)) == 0
        assert db.session.scalar(select(func.count()).select_from(Field)) == 2
