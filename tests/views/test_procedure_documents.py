"""The documents a procedure asks for (issue 14 point 1): converted once from the free text,
carried by the catalog import/export as the `procedure_documents` sheet, edited inline by admins."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from domain.catalog_io import export_catalog_xlsx, export_catalog_zip, import_catalog
from domain.procedure_documents import documents_from_text
from domain.spreadsheet_reader import read_tables
from models import Agency, Procedure, ProcedureDocument, db
from tests.factories import licence_procedure
from tests.import_helpers import snapshot, xlsx_bytes

TEXT = (
    "Đơn đề nghị cấp giấy phép (theo mẫu);\n"
    "Bản sao có chứng thực Giấy chứng nhận đăng ký doanh nghiệp\n"
    "bản sao Căn cước công dân.\n"
    "\n"
    "Giấy ủy quyền (nếu có)"
)


def test_free_text_becomes_one_document_per_line():
    assert documents_from_text(TEXT) == [
        {
            "position": 1,
            "name": "Đơn đề nghị cấp giấy phép (theo mẫu)",
            "kind": "original",
            "copies": 1,
            "required": True,
        },
        {
            "position": 2,
            "name": "Bản sao có chứng thực Giấy chứng nhận đăng ký doanh nghiệp",
            "kind": "certified_copy",
            "copies": 1,
            "required": True,
        },
        {
            "position": 3,
            "name": "bản sao Căn cước công dân",
            "kind": "copy",
            "copies": 1,
            "required": True,
        },
        {
            "position": 4,
            "name": "Giấy ủy quyền (nếu có)",
            "kind": "original",
            "copies": 1,
            "required": False,
        },
    ]
    assert documents_from_text(None) == documents_from_text("  ") == []


@pytest.fixture
def catalog(app):
    with app.app_context():
        agency = Agency(code="SGTVT", name="Sở Giao thông vận tải", kind="department")
        db.session.add_all(
            [
                licence_procedure(
                    agency,
                    documents=[
                        ProcedureDocument(
                            position=1,
                            name="Đơn đề nghị đổi, cấp lại GPLX",
                            kind="original",
                            copies=1,
                            required=True,
                        ),
                        ProcedureDocument(
                            position=2, name="Bản sao CCCD", kind="copy", copies=2, required=False
                        ),
                    ],
                ),
                Procedure(
                    code="2.000488",
                    name="Cấp Phiếu lý lịch tư pháp",
                    agency=agency,
                    processing_days=10,
                ),
            ]
        )
        db.session.commit()
    return app


def _export(app, fmt) -> bytes:
    buffer = io.BytesIO()
    with app.app_context():
        (export_catalog_xlsx if fmt == "xlsx" else export_catalog_zip)(db.session, buffer)
    return buffer.getvalue()


def _plan(app, data, name, apply=False):
    with app.app_context():
        plan = import_catalog(
            db.session, read_tables(data, name), apply=apply, strict_names=name.endswith(".zip")
        )
        if apply and plan.ok:
            db.session.commit()
        else:
            db.session.rollback()
    return plan


@pytest.mark.parametrize("fmt", ["xlsx", "zip"])
def test_export_then_import_is_a_no_op(catalog, tmp_path, fmt):
    data = _export(catalog, fmt)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data))["procedure_documents"]
        assert [[c.value for c in row] for row in sheet.iter_rows()] == [
            ["procedure_code", "position", "name", "kind", "copies", "required"],
            ["1.002809", 1, "Đơn đề nghị đổi, cấp lại GPLX", "original", 1, True],
            ["1.002809", 2, "Bản sao CCCD", "copy", 2, False],
        ]
    with catalog.app_context():
        before = snapshot()
    plan = _plan(catalog, data, f"c.{fmt}", apply=True)
    assert plan.ok, [i.bilingual() for i in plan.all_issues()]
    documents = [r for r in plan.rows if r.entity == "procedure_documents"]
    assert [(r.key, r.action) for r in documents] == [
        ("1.002809 / 1", "unchanged"),
        ("1.002809 / 2", "unchanged"),
    ]
    assert plan.counts()["new"] == plan.counts()["changed"] == 0
    with catalog.app_context():
        assert snapshot() == before


def test_edited_and_new_documents_are_written(catalog):
    workbook = openpyxl.load_workbook(io.BytesIO(_export(catalog, "xlsx")))
    sheet = workbook["procedure_documents"]
    sheet.cell(row=3, column=5).value = 3  # copies of "Bản sao CCCD"
    sheet.append(["2.000488", 1, "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "original", 1, 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = _plan(catalog, buffer.getvalue(), "c.xlsx", apply=True)
    assert plan.ok, [i.bilingual() for i in plan.all_issues()]
    changed = {r.key: r.changes for r in plan.rows if r.action == "changed"}
    assert changed == {"1.002809 / 2": {"copies": (2, 3)}}
    assert [r.key for r in plan.rows if r.action == "new"] == ["2.000488 / 1"]
    with catalog.app_context():
        rows = db.session.execute(
            select(Procedure.code, ProcedureDocument.position, ProcedureDocument.copies)
            .join(Procedure)
            .order_by(Procedure.code, ProcedureDocument.position)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("1.002809", 1, 1),
            ("1.002809", 2, 3),
            ("2.000488", 1, 1),
        ]


def test_bad_rows_are_refused_with_vietnamese_messages_and_nothing_written(catalog):
    header = ["procedure_code", "position", "name", "kind", "copies", "required"]
    data = xlsx_bytes(
        {
            "procedure_documents": [
                header,
                [
                    "2.000488",
                    1,
                    "Tờ khai (đúng)",
                    "original",
                    1,
                    1,
                ],  # fine, but the file is refused
                ["9.999999", 1, "Đơn", "original", 1, 1],
                ["2.000488", 2, "Bản sao", "photo", 1, 1],
                ["2.000488", 3, "Bản sao", "copy", 0, 1],
                ["2.000488", 4, None, "copy", 1, 1],
                ["2.000488", 1, "Trùng số thứ tự", "copy", 1, 1],
                ["2.000488", 0, "Số thứ tự 0", "copy", 1, 1],
            ]
        }
    )
    with catalog.app_context():
        before = snapshot()
    plan = _plan(catalog, data, "c.xlsx", apply=True)
    assert not plan.ok and not plan.applied
    messages = [(i.row, i.vi) for i in plan.all_issues()]
    assert (3, "không có thủ tục mã 9.999999") in messages
    assert any(
        row == 4 and "“photo” không hợp lệ" in vi and "certified_copy" in vi for row, vi in messages
    ), messages
    assert (5, "cột copies: phải ≥ 1") in messages
    assert (6, "cột name không được để trống") in messages
    assert any(
        row == 7 and vi.startswith("trùng khoá 2.000488 / 1 với dòng 2") for row, vi in messages
    ), messages
    assert (8, "cột position: phải ≥ 1") in messages
    assert [r.action for r in plan.rows] == ["new"] + ["error"] * 6
    with catalog.app_context():
        assert snapshot() == before


@pytest.mark.commits  # the migrations run on a connection of their own
def test_migration_converts_the_free_text_once(app):
    """Down to 0007, a procedure with free text, up again: one row per line of its text."""

    directory = str(Path(__file__).resolve().parents[2] / "migrations")
    with app.app_context():
        downgrade(directory=directory, revision="0007_lookup")
        db.session.execute(
            db.text(
                "INSERT INTO agency (code, name, kind, sort_order, active, search_text, created_at,"
                " updated_at) VALUES ('SGTVT', 'Sở GTVT', 'department', 1, :t, '', :now, :now)"
            ),
            {"t": True, "now": "2026-01-01 00:00:00"},
        )
        db.session.execute(
            db.text(
                "INSERT INTO procedure (code, name, agency_id, level, processing_days, online_level,"
                " postal_in, postal_out, four_on_spot, saturday_service, interagency,"
                " required_documents, active, search_text, created_at, updated_at)"
                " SELECT '1.002809', 'Cấp lại GPLX', id, 'province', 5, 'none', :f, :f, :f, :f, :f,"
                " :text, :t, '', :now, :now FROM agency"
            ),
            {"f": False, "t": True, "text": TEXT, "now": "2026-01-01 00:00:00"},
        )
        db.session.commit()
        upgrade(directory=directory)
        procedure = db.session.scalars(select(Procedure)).one()
        assert procedure.required_documents == TEXT  # the old column stays readable
        assert [
            {
                "position": d.position,
                "name": d.name,
                "kind": d.kind,
                "copies": d.copies,
                "required": d.required,
            }
            for d in procedure.documents
        ] == documents_from_text(TEXT)


def test_admin_edits_the_checklist_inline(app, client, login_as):
    login_as("admin")
    with app.app_context():
        agency_id = db.session.scalar(select(Agency.id).where(Agency.code == "SGTVT"))
    form = client.get("/procedure/new/").get_data(as_text=True)
    assert "Thành phần hồ sơ" in form and "Thêm giấy tờ" in form
    data = {
        "code": "1.002810",
        "name": "Cấp đổi Giấy phép lái xe",
        "agency": str(agency_id),
        "level": "province",
        "processing_days": "5",
        "online_level": "none",
        "active": "y",
        "documents-0-position": "1",
        "documents-0-name": "Đơn đề nghị",
        "documents-0-kind": "original",
        "documents-0-copies": "1",
        "documents-0-required": "y",
        "documents-1-position": "2",
        "documents-1-name": "Bản sao CCCD",
        "documents-1-kind": "copy",
        "documents-1-copies": "0",
    }
    page = client.post("/procedure/new/", data=data).get_data(as_text=True)
    assert "1.002810" in page  # shown again to correct: the copies are refused
    with app.app_context():
        assert db.session.scalar(select(Procedure).where(Procedure.code == "1.002810")) is None
    data["documents-1-copies"] = "2"
    response = client.post("/procedure/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        procedure = db.session.scalars(select(Procedure).where(Procedure.code == "1.002810")).one()
        assert [
            (d.position, d.name, d.kind, d.copies, d.required) for d in procedure.documents
        ] == [(1, "Đơn đề nghị", "original", 1, True), (2, "Bản sao CCCD", "copy", 2, False)]
    detail = client.get(f"/procedure/details/?id={procedure.id}").get_data(as_text=True)
    assert "1. Đơn đề nghị (Bản chính, 1)" in detail
    assert "2. Bản sao CCCD (Bản sao, 2, không bắt buộc)" in detail
