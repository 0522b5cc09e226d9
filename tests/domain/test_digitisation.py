"""Digitisation figures of the report (issue 14, point 4; Decision 766 group 4) over a data set
worked by hand, on SQLite and PostgreSQL: the SQL of domain/digitisation.py, the `digitisation`
key of `flask report --format json`, the workbook read back with openpyxl, and the scale
generator's sample. The page: tests/views/test_report_digitisation.py and
tests/browser/test_e2e_report_digitisation.py (same data set)."""

import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import select

from domain import files
from domain.digitisation import digitisation_summary
from domain.report_workbook import DIGITISATION_HEADERS
from domain.reports import build_report
from models import Agency, Procedure, db
from seed.scale import RESULT, SCANNED
from tests.digitisation_data import MARCH, load_digitised


def figures(received, scanned, scanned_share, resolved, with_result, result_share):
    return {
        "received": received,
        "received_scanned": scanned,
        "received_scanned_share": scanned_share,
        "resolved": resolved,
        "resolved_with_result": with_result,
        "resolved_with_result_share": result_share,
    }


EXPECTED = {
    **figures(7, 2, 28.57, 4, 2, 50.0),
    "rows": [
        {
            "agency_code": "SGTVT",
            "agency_name": "Sở Giao thông vận tải",
            **figures(6, 1, 16.67, 3, 1, 33.33),
        },
        {"agency_code": "STP", "agency_name": "Sở Tư pháp", **figures(1, 1, 100.0, 1, 1, 100.0)},
    ],
}


@pytest.fixture
def digitised(app, users, tmp_path):
    return load_digitised(app, tmp_path)


def test_figures_worked_by_hand(digitised):
    with digitised.app_context():
        assert digitisation_summary(db.session, *MARCH) == EXPECTED
        report = build_report(db.session, *MARCH)
    # The existing keys come first and keep their order; the new one right after them (then
    # those of the official form, issue 13 point 3).
    keys = list(report)
    assert keys.index("courier") < keys.index("digitisation") and report["digitisation"] == EXPECTED
    # Dossiers "received" are the report's received_new, agency by agency.
    assert report["totals"]["received_new"] == EXPECTED["received"]
    for row, dg in zip(report["rows"], report["digitisation"]["rows"]):
        assert (row["agency_code"], row["received_new"]) == (dg["agency_code"], dg["received"])


def test_empty_period_has_no_share(digitised):
    """Nothing received nor resolved: no share at all ("–"), not 0 % nor 100 %."""
    with digitised.app_context():
        dg = digitisation_summary(db.session, dt.date(2018, 1, 1), dt.date(2018, 1, 31))
    assert dg == {
        **figures(0, 0, None, 0, 0, None),
        "rows": [
            {
                "agency_code": "SGTVT",
                "agency_name": "Sở Giao thông vận tải",
                **figures(0, 0, None, 0, 0, None),
            },
            {"agency_code": "STP", "agency_name": "Sở Tư pháp", **figures(0, 0, None, 0, 0, None)},
        ],
    }


def test_report_cli_json_has_the_key(digitised):
    result = digitised.test_cli_runner().invoke(
        args=["report", "--month", "2019-03", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["digitisation"] == EXPECTED
    assert report["totals"]["received_new"] == 7


def test_workbook_read_back(digitised, tmp_path):
    out = tmp_path / "r.xlsx"
    result = digitised.test_cli_runner().invoke(
        args=["report", "--month", "2019-03", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    # The summary: two lines in its four columns (label, count, share, note).
    summary = {r[0]: r[1:] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    count, ratio, note = summary["Hồ sơ số hóa toàn bộ khi tiếp nhận"]
    assert (count, ratio, note) == (2, pytest.approx(2 / 7), "2/7 hồ sơ tiếp nhận trong kỳ")
    count, ratio, note = summary["Hồ sơ giải quyết có kết quả điện tử"]
    assert (count, ratio, note) == (
        2,
        pytest.approx(0.5),
        "2/4 hồ sơ đã có kết quả giải quyết trong kỳ",
    )
    # The sheet per agency, last of the workbook.
    assert wb.sheetnames[-1] == "Số hóa hồ sơ"
    ws = wb["Số hóa hồ sơ"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[1][0] == "SỐ HÓA HỒ SƠ (QUYẾT ĐỊNH 766/QĐ-TTg, NHÓM 4)"
    assert rows[2][0] == "Từ ngày 01/03/2019 đến ngày 31/03/2019"
    head = next(i for i, r in enumerate(rows) if r[0] == "Mã")
    assert rows[head] == list(DIGITISATION_HEADERS)
    body = {r[1]: r[2:8] for r in rows[head + 1 : head + 4]}
    assert body["Sở Giao thông vận tải"] == [6, 1, pytest.approx(1 / 6), 3, 1, pytest.approx(1 / 3)]
    assert body["Sở Tư pháp"] == [1, 1, 1, 1, 1, 1]
    assert body["Tổng cộng"] == [7, 2, pytest.approx(2 / 7), 4, 2, pytest.approx(0.5)]
    # Shares are real percentages in the cells (shown 28,57%), not text.
    assert ws.cell(row=head + 4, column=5).number_format == "0.00%"


def test_scale_generator_attaches_scans_and_results(app, users, tmp_path):
    """`flask seed scale` (seed/scale.py) on a two-procedure catalog: a sample of the synthetic
    dossiers gets listed documents with scans and electronic results, a few tiny PDFs stored
    once by their hash, so the 2020 shares are plausible (neither 0 nor 100 %)."""

    folder = tmp_path / "files"
    app.config["FILES_DIR"] = str(folder)
    with app.app_context():
        for code, agency_code in (("1.000001", "SGTVT"), ("1.000002", "STP")):
            db.session.add(
                Procedure(
                    code=code,
                    name=f"Thủ tục {code}",
                    processing_days=5,
                    agency=db.session.scalar(select(Agency).where(Agency.code == agency_code)),
                )
            )
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["seed", "scale", "--dossiers", "600"])
        assert result.exit_code == 0, result.output
        assert "documents" in result.output and "files" in result.output
        check = files.verify(db.session, folder)
        assert check.ok and check.checked == 5 and not check.unreferenced
        dg = digitisation_summary(db.session, dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert dg["received"] == 600
    # Scanned at intake: the sample less its late scans; results: about RESULT of the resolved.
    expected_scanned = 100 * SCANNED * 0.9
    assert expected_scanned - 10 < dg["received_scanned_share"] < expected_scanned + 10
    assert dg["resolved"] > 500
    assert 100 * RESULT - 10 < dg["resolved_with_result_share"] < 100 * RESULT + 10
    assert {r["agency_code"] for r in dg["rows"] if r["received_scanned"]} == {"SGTVT", "STP"}
