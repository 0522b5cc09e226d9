"""`flask report` (design §10) and the report workbook read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from domain.report_workbook import FORM_COLUMNS
from tests.factories import EXPECTED_MARCH, assert_identity, contract


def test_cli_json_to_stdout(march):
    result = march.test_cli_runner().invoke(
        args=["report", "--month", "2019-03", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert contract(json.loads(result.output)) == EXPECTED_MARCH


def test_cli_presets_and_out_file(march, tmp_path):
    runner = march.test_cli_runner()
    out = tmp_path / "r.json"
    result = runner.invoke(
        args=[
            "report",
            "--from",
            "2019-03-01",
            "--to",
            "2019-03-31",
            "--format",
            "json",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert contract(json.loads(out.read_text(encoding="utf-8"))) == EXPECTED_MARCH
    for args in (["--quarter", "2019-Q1"], ["--year", "2019"]):
        result = runner.invoke(args=["report", *args, "--by-field", "--format", "json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert_identity(report)
        assert "fields" in report["rows"][0]
    q1 = json.loads(
        runner.invoke(args=["report", "--quarter", "2019-Q1", "--format", "json"]).output
    )
    assert q1["period"] == {"from": "2019-01-01", "to": "2019-03-31"}


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json"],  # no period
        ["--month", "2019-03", "--year", "2019", "--format", "json"],  # two periods
        ["--month", "2019-13", "--format", "json"],
        ["--from", "2019-03-01", "--format", "json"],  # --to missing
        ["--from", "2019-03-31", "--to", "2019-03-01", "--format", "json"],
        ["--month", "2019-03", "--format", "xlsx"],  # xlsx needs --out
        ["--month", "2019-03"],  # --format is required
    ],
)
def test_cli_refuses_bad_arguments(march, args):
    result = march.test_cli_runner().invoke(args=["report", *args])
    assert result.exit_code == 2, result.output


def _numbers(ws, row, first_col, count):
    return [ws.cell(row=row, column=c).value for c in range(first_col, first_col + count)]


def test_workbook_read_back(march, tmp_path):
    out = tmp_path / "r.xlsx"
    result = march.test_cli_runner().invoke(
        args=["report", "--month", "2019-03", "--by-field", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Biểu mẫu",
        "06a",
        "Hồ sơ trễ hạn",
        "Tổng hợp",
        "Phí, lệ phí",
        "Đánh giá cán bộ",
        "Phiếu đánh giá",
        "Phản ánh, kiến nghị",
        "Bưu chính công ích",
        "Chuyển hồ sơ",
        "Xếp hàng",
        "Số hóa hồ sơ",
    ]
    ws = wb["06a"]
    cells = {c.value for row in ws.iter_rows(max_row=8) for c in row if c.value}
    assert "Kỳ báo cáo: Từ ngày 01/03/2019 đến ngày 31/03/2019" in cells
    assert {
        "Số hồ sơ nhận giải quyết",
        "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết",
        "STT",
    } <= cells
    # Column numbers (1)..(13) under the two header rows, in columns C..O.
    assert _numbers(ws, 8, 3, 13) == [f"({i})" for i in range(1, 14)]
    assert ws.cell(row=7, column=3).value == "Tổng số"
    assert "C6:H6" in {str(r) for r in ws.merged_cells.ranges}  # group header merged
    # Agency rows, field rows beneath, then the total row.
    expected_rows = []
    for n, agency in enumerate(EXPECTED_MARCH["rows"], start=1):
        expected_rows.append((n, agency["agency_name"], agency))
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=9)]
    agency_rows = [r for r in data if isinstance(r[0], int)]
    assert [(r[0], r[1]) for r in agency_rows] == [(n, name) for n, name, _ in expected_rows]
    for r, (_, _, agency) in zip(agency_rows, expected_rows):
        assert r[2:15] == [agency[k] for k, _, _ in FORM_COLUMNS]
        assert all(type(v) is int for v in r[2:15])
    field_rows = [r for r in data if isinstance(r[0], str) and "." in r[0]]
    assert [(r[0], r[1]) for r in field_rows] == [
        ("1.1", "Đường bộ"),
        ("1.2", "Đăng kiểm"),
        ("1.3", "Khác"),
        ("2.1", "Hộ tịch"),
    ]
    total = next(r for r in data if r[0] == "Tổng cộng")
    made = next(r for r in data if "Ngày lập báo cáo:" in r)
    assert isinstance(made[made.index("Ngày lập báo cáo:") + 3], dt.datetime)  # a date cell
    assert total[2:15] == [EXPECTED_MARCH["totals"][k] for k, _, _ in FORM_COLUMNS]
    # Printing: A4 landscape, one page wide, header rows repeated.
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    # fitToWidth defaults to 1 (xlsxwriter omits it); fitToHeight 0 = as many pages as needed.
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$6:$8"

    summary = {
        r[0].value.strip(): (r[1].value, r[2].value)
        for r in wb["Tổng hợp"].iter_rows(min_row=6)
        if r[0].value
    }
    assert summary["Tổng số hồ sơ tiếp nhận"][0] == 13
    assert summary["Đã giải quyết, trả kết quả"] == (8, pytest.approx(8 / 13))
    assert summary["– Trước hạn"] == (1, pytest.approx(1 / 8))
    assert wb["Tổng hợp"].cell(row=5, column=3).value == "Tỷ lệ"
    assert wb["Tổng hợp"]["C12"].value == pytest.approx(8 / 13)
    assert summary["Thu phí, lệ phí (đồng)"][0] == 215_000
    assert wb["Tổng hợp"]["C12"].number_format == "0.00%"

    fees = [[c.value for c in r] for r in wb["Phí, lệ phí"].iter_rows(min_row=5)]
    assert ["", "Tổng cộng", 3, 215_000] in [r[:4] for r in fees] or [
        None,
        "Tổng cộng",
        3,
        215_000,
    ] in [r[:4] for r in fees]
    ratings = [[c.value for c in r] for r in wb["Đánh giá cán bộ"].iter_rows(min_row=5)]
    assert ["Rất hài lòng", 2, pytest.approx(2 / 3)] in [r[:3] for r in ratings]
    forms = [[c.value for c in r] for r in wb["Phiếu đánh giá"].iter_rows(min_row=5)]
    assert ["8/8", 2, pytest.approx(2 / 3)] in [r[:3] for r in forms]
    courier = [[c.value for c in r] for r in wb["Chuyển hồ sơ"].iter_rows(min_row=5)]
    assert ["SGTVT", "Sở Giao thông vận tải", 1, 3, 1, 2] in courier
    postal = [[c.value for c in r] for r in wb["Bưu chính công ích"].iter_rows(min_row=5)]
    assert [r for r in postal if r[1] == "Tổng cộng"][0][2:4] == [2, 1]
    feedback = [[c.value for c in r] for r in wb["Phản ánh, kiến nghị"].iter_rows(min_row=5)]
    assert ["Đường dây nóng", 4, 2, 1] in feedback
