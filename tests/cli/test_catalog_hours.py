"""The catalog's time-limit columns (issue 13 point 4): `processing_hours` instead of
`processing_days` (exactly one of the two) and `cutoff_time` (HH:MM), through export and import in
both formats: the round trip changes nothing, edits are exactly the changes, and a row with both
limits or neither is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from domain.catalog_io import catalog_csv, import_catalog
from domain.spreadsheet_reader import read_tables
from models import Dossier, Procedure, db
from tests.cli.test_imports import DOSSIER_HEADER, _cli, _export, _refused, small_catalog
from tests.import_helpers import csv_bytes, snapshot, xlsx_bytes


@pytest.fixture
def hours_catalog(app):
    with app.app_context():
        small_catalog(db.session)
        db.session.flush()
        agency = db.session.scalar(select(Procedure.agency_id).where(Procedure.code == "2.000488"))
        db.session.add(
            Procedure(
                code="2.000815",
                name="Chứng thực bản sao từ bản chính giấy tờ",
                agency_id=agency,
                processing_hours=4,
                cutoff_time=dt.time(15, 0),
            )
        )
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "2.000488"))
        proc.cutoff_time = dt.time(15, 30)
        db.session.commit()
    return app


def _procedures_sheet(data: bytes) -> dict[str, dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["procedures"]
    header = [c.value for c in sheet[1]]
    return {row[0]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}


@pytest.mark.parametrize("fmt", ["xlsx", "zip"])
def test_round_trip_with_hours_and_cutoff(hours_catalog, tmp_path, fmt):
    data = _export(hours_catalog, fmt)
    if fmt == "xlsx":
        rows = _procedures_sheet(data)
        assert (
            rows["2.000815"]["processing_days"],
            rows["2.000815"]["processing_hours"],
            rows["2.000815"]["cutoff_time"],
        ) == (None, 4, "15:00")
        assert (rows["2.000488"]["processing_days"], rows["2.000488"]["cutoff_time"]) == (
            10,
            "15:30",
        )
        assert rows["1.002809"]["cutoff_time"] is None
    else:
        with hours_catalog.app_context():
            text = catalog_csv(db.session, "procedures").decode("utf-8-sig")
        assert "processing_hours,cutoff_time" in text.splitlines()[0]
        assert ",,4,15:00," in text
    with hours_catalog.app_context():
        before = snapshot()
        plan = import_catalog(db.session, read_tables(data, f"c.{fmt}"), strict_names=fmt == "zip")
        assert plan.ok, [i.bilingual() for i in plan.all_issues()]
        assert plan.counts()["changed"] == plan.counts()["new"] == 0
        db.session.rollback()
    result = _cli(hours_catalog, tmp_path, "catalog", data, f"c.{fmt}")
    assert result.exit_code == 0, result.output
    with hours_catalog.app_context():
        assert snapshot() == before


def test_edits_switch_days_and_hours_and_read_a_time_cell(hours_catalog, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(_export(hours_catalog)))
    sheet = workbook["procedures"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in header}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "2.000815":  # hours -> 1 working day, cut-off removed
            row[col["processing_days"]].value = 1
            row[col["processing_hours"]].value = None
            row[col["cutoff_time"]].value = None
        elif row[0].value == "1.002809":  # days -> 8 working hours, a time cell from Excel
            row[col["processing_days"]].value = None
            row[col["processing_hours"]].value = 8
            row[col["cutoff_time"]].value = dt.time(16, 0)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    with hours_catalog.app_context():
        plan = import_catalog(db.session, read_tables(data, "c.xlsx"))
        db.session.rollback()
    changed = {r.key: r.changes for r in plan.rows if r.action == "changed"}
    assert changed == {
        "1.002809": {
            "processing_days": (5, None),
            "processing_hours": (None, 8),
            "cutoff_time": (None, dt.time(16, 0)),
        },
        "2.000815": {
            "processing_days": (None, 1),
            "processing_hours": (4, None),
            "cutoff_time": (dt.time(15, 0), None),
        },
    }
    result = _cli(hours_catalog, tmp_path, "catalog", data, "c.xlsx")
    assert result.exit_code == 0, result.output
    with hours_catalog.app_context():
        procs = {p.code: p for p in db.session.scalars(select(Procedure))}
        assert (procs["1.002809"].processing_hours, procs["1.002809"].cutoff_time) == (
            8,
            dt.time(16, 0),
        )
        assert procs["1.002809"].processing_days is None
        assert (procs["2.000815"].processing_days, procs["2.000815"].processing_hours) == (1, None)


def test_both_limits_neither_or_a_bad_time_are_refused(hours_catalog, tmp_path):
    data = xlsx_bytes(
        {
            "procedures": [
                [
                    "code",
                    "name",
                    "agency_code",
                    "processing_days",
                    "processing_hours",
                    "cutoff_time",
                ],
                ["1.999991", "Cả hai", "SGTVT", "2", "4", None],
                ["1.999992", "Không có", "SGTVT", None, None, None],
                ["1.999993", "Giờ sai", "SGTVT", "1", None, "3h chiều"],
                ["1.999994", "Giờ không tồn tại", "SGTVT", "1", None, "25:00"],
                ["1.999995", "Không giờ", "SGTVT", None, "0", None],
            ]
        }
    )
    output = _refused(hours_catalog, tmp_path, "catalog", data, "c.xlsx", "Trang procedures")
    for expected in (
        "Trang procedures, dòng 2: thời hạn giải quyết: ghi processing_days",
        "Trang procedures, dòng 3: thời hạn giải quyết: ghi processing_days",
        "“3h chiều” không phải giờ dạng HH:MM",
        "“25:00” không phải giờ dạng HH:MM",
        "processing_hours: phải ≥ 1",
    ):
        assert expected in output, expected
    # A procedure of the file that leaves processing_days out keeps its stored limit: fine.
    ok = xlsx_bytes(
        {
            "procedures": [
                ["code", "name", "agency_code", "cutoff_time"],
                ["2.000815", "X", "STP", "14:00"],
            ]
        }
    )
    result = _cli(hours_catalog, tmp_path, "catalog", ok, "ok.xlsx")
    assert result.exit_code == 0, result.output
    with hours_catalog.app_context():
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "2.000815"))
        assert (proc.processing_hours, proc.cutoff_time) == (4, dt.time(14, 0))


def test_dossier_import_counts_an_hours_procedure_by_its_moment(hours_catalog, tmp_path):

    def row(code, accepted, due):
        values = {
            "code": code,
            "procedure_code": "2.000815",
            "applicant_name": "Nông Văn Giờ",
            "channel": "direct",
            "accepted_at": accepted,
            "due_date": due,
            "status": "2",
        }
        return [values.get(name, "") for name in DOSSIER_HEADER]

    data = csv_bytes(
        [
            DOSSIER_HEADER,
            # computed: after the 15:00 cut-off, 4 working hours from 07:30 on Wednesday 03/09
            row("CU-2025-0001", "2025-08-29 16:30", ""),
            row("CU-2025-0002", "2025-08-29 16:30", "2025-09-05"),  # given as a date
        ]
    )
    result = _cli(hours_catalog, tmp_path, "dossiers", data, "hs.csv")
    assert result.exit_code == 0, result.output
    with hours_catalog.app_context():
        found = {d.code: d for d in db.session.scalars(select(Dossier))}
        computed, given = found["CU-2025-0001"], found["CU-2025-0002"]
        assert (computed.due_date, computed.due_at, computed.due_in_hours) == (
            dt.date(2025, 9, 3),
            dt.datetime(2025, 9, 3, 11, 30),
            True,
        )
        assert (given.due_date, given.due_at, given.due_in_hours) == (
            dt.date(2025, 9, 5),
            dt.datetime(2025, 9, 5, 17, 0),
            False,
        )
