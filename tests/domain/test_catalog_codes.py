"""Agency codes: in capitals, unique whatever the case (domain/catalog_codes.py) — the rule, the
model's writes, the catalog import and the database's index."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from domain.catalog_codes import agency_code
from domain.catalog_io import agency_code_owner, import_catalog
from domain.spreadsheet_reader import Table
from models import Agency, Field
from tests.factories import create_agency

AGENCY_HEADER = ["code", "name"]


def _table(name: str, header: list[str], rows: list[list]) -> Table:
    return Table(name, header, [(n, dict(zip(header, r))) for n, r in enumerate(rows, start=2)])


def test_an_agency_code_is_written_in_capitals():
    assert agency_code(" stp ") == "STP"
    assert agency_code("Sgtvt") == "SGTVT"
    assert agency_code("sở-đ") == "SỞ-Đ"
    assert agency_code("") == ""
    assert agency_code(None) is None


def test_every_write_of_a_code_is_in_capitals_and_the_owner_is_found_in_any_case(db_session):
    agency = create_agency(code="stp", name="Sở Tư pháp")
    db_session.flush()
    assert agency.code == "STP"
    assert agency_code_owner(db_session, "Stp") == "STP"
    assert agency_code_owner(db_session, "stp", except_id=agency.id) is None  # itself
    assert agency_code_owner(db_session, "SNV") is None
    assert agency_code_owner(db_session, " ") is None


def test_the_database_refuses_a_code_that_differs_only_by_case(db_session):
    create_agency(code="STP", name="Sở Tư pháp")
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(  # past the model, as a raw write would
            text(
                "INSERT INTO agency (code, name, kind, sort_order, active, search_text,"
                " created_at, updated_at) VALUES ('stp', 'Bản sao', 'department', 0, :t, '',"
                " :now, :now)"
            ),
            {"t": True, "now": "2026-01-01 00:00:00"},
        )


def test_the_import_reads_agency_codes_in_capitals(db_session):
    create_agency(code="STP", name="Sở Tư pháp")
    db_session.flush()
    plan = import_catalog(
        db_session,
        [
            _table("agencies", AGENCY_HEADER, [["stp", "Sở Tư pháp"], ["snv", "Sở Nội vụ"]]),
            _table(
                "fields",
                ["code", "name", "agency_code"],
                [["HT", "Hộ tịch", "Stp"], ["CC", "Công chức", "sNv"]],
            ),
        ],
        apply=True,
    )
    assert plan.ok, [i.vi for i in plan.all_issues()]
    assert [(r.key, r.action) for r in plan.rows if r.entity == "agencies"] == [
        ("STP", "unchanged"),  # the stored agency STP, not a new one
        ("SNV", "new"),
    ]
    assert sorted(db_session.scalars(select(Agency.code))) == ["SNV", "STP"]
    owners = dict(db_session.execute(select(Field.code, Agency.code).join(Field.agency)).all())
    assert owners == {"HT": "STP", "CC": "SNV"}


def test_the_import_refuses_two_rows_whose_codes_differ_only_by_case(db_session):
    plan = import_catalog(
        db_session,
        [_table("agencies", AGENCY_HEADER, [["SNV", "Sở Nội vụ"], ["snv", "Sở Nội vụ 2"]])],
        apply=True,
    )
    assert not plan.ok and not plan.applied
    (issue,) = plan.all_issues()
    assert issue.row == 3
    assert issue.vi == (
        "mã cơ quan snv trùng với mã SNV ở dòng 2 (mã cơ quan không phân biệt chữ hoa, chữ thường)"
    )
    assert issue.en == (
        "agency code snv is the code SNV of row 2 (agency codes do not distinguish capital letters)"
    )
    assert db_session.scalars(select(Agency.code)).all() == []
