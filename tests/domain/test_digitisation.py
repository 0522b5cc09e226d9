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
from domain.reports import build_report
from domain.status import Status
from models import Agency, Dossier, DossierDocument, Procedure, User, db
from tests import file_samples as samples

T = dt.datetime
MARCH = (dt.date(2019, 3, 1), dt.date(2019, 3, 31))


def build_data(session, files_dir) -> None:
    """Agencies SGTVT and STP (the `users` fixture). Period: March 2019.

    SGTVT, received in March (6 with I below):
      A  two documents, both scanned on the acceptance day (one at 17:30)   scanned
         resolved 20/03 (status 10) with an electronic result               with result
      B  two documents, only one scanned                                    not scanned
         resolved 25/03 (status 9), no result                               no result
      C  one document whose only scan was withdrawn                         not scanned
      D  one document scanned the day after acceptance (late)               not scanned
      E  no received document, only a scan of the whole dossier             not scanned
    SGTVT, not received in March: H accepted 28/02 23:59 (all scanned), G accepted 01/04 00:00
      (all scanned, resolved in April with a result), J refused in March (all scanned).
    SGTVT, resolved in March besides A and B: F (accepted in February) whose result was
      withdrawn -> no result. I accepted in March (one document, not scanned) and stopped
      (status 8): received, not scanned, and not a resolved dossier (no result to have).
    STP: K one document scanned at intake, resolved 31/03 23:59 with a result.

    SGTVT: received 6 (A-E, I), scanned 1 (16.67 %); resolved 3 (A, B, F), with result 1
           (33.33 %).
    STP:   received 1, scanned 1 (100 %); resolved 1, with result 1 (100 %).
    Total: received 7, scanned 2 (28.57 %); resolved 4, with result 2 (50 %)."""
    gt = session.scalar(select(Agency).where(Agency.code == "SGTVT"))
    tp = session.scalar(select(Agency).where(Agency.code == "STP"))
    clerk = session.scalar(select(User).where(User.username == "staff1"))
    p1 = Procedure(code="1.000001", name="Cấp đổi giấy phép lái xe", agency=gt, processing_days=5)
    p2 = Procedure(code="1.000002", name="Cấp phiếu lý lịch tư pháp", agency=tp, processing_days=10)
    session.add_all([p1, p2])
    pdf = files.check_content(samples.pdf(), "scan.pdf")
    result_pdf = files.check_content(samples.pdf(pages=2), "ket-qua.pdf")

    def dossier(name, proc, accepted, docs=0, status=Status.ACCEPTED, resolved=None, closed=None):
        d = Dossier(
            procedure=proc,
            agency=proc.agency,
            applicant_name=name,
            channel="direct",
            status=status,
            accepted_at=accepted,
            due_date=accepted.date() + dt.timedelta(days=10),
            resolved_at=resolved,
            closed_at=closed,
            documents=[DossierDocument(name=f"Giấy tờ {i + 1}", kind="copy") for i in range(docs)],
        )
        session.add(d)
        session.flush()
        return d

    def scan(d, at, document=None):
        return files.attach(
            session, d, pdf, "scan.pdf", files_dir, clerk, at, document=document, kind="scan"
        )

    def result(d, at):
        return files.attach(
            session, d, result_pdf, "ket-qua.pdf", files_dir, clerk, at, kind="result"
        )

    a = dossier(
        "A", p1, T(2019, 3, 4, 9), docs=2, status=Status.RETURNED, resolved=T(2019, 3, 20, 10)
    )
    scan(a, T(2019, 3, 4, 9, 5), a.documents[0])
    scan(a, T(2019, 3, 4, 17, 30), a.documents[1])
    result(a, T(2019, 3, 20, 10, 5))
    b = dossier(
        "B", p1, T(2019, 3, 5, 9), docs=2, status=Status.RESOLVED, resolved=T(2019, 3, 25, 15)
    )
    scan(b, T(2019, 3, 5, 9, 5), b.documents[0])
    c = dossier("C", p1, T(2019, 3, 6, 9), docs=1)
    files.withdraw(
        session,
        scan(c, T(2019, 3, 6, 9, 5), c.documents[0]),
        clerk,
        T(2019, 3, 6, 10),
        "Quét nhầm hồ sơ khác",
    )
    d = dossier("D", p1, T(2019, 3, 7, 16), docs=1)
    scan(d, T(2019, 3, 8, 8), d.documents[0])
    e = dossier("E", p1, T(2019, 3, 8, 9))
    scan(e, T(2019, 3, 8, 9, 5))
    for name, accepted, status in (
        ("H", T(2019, 2, 28, 23, 59), Status.ACCEPTED),
        ("G", T(2019, 4, 1, 0, 0), Status.RETURNED),
        ("J", T(2019, 3, 11, 9), Status.REFUSED),
    ):
        x = dossier(
            name,
            p1,
            accepted,
            docs=1,
            status=status,
            resolved=T(2019, 4, 10) if name == "G" else None,
            closed=T(2019, 3, 11, 9, 30) if name == "J" else None,
        )
        scan(x, accepted, x.documents[0])
        if name == "G":
            result(x, T(2019, 4, 10, 9))
    f = dossier(
        "F", p1, T(2019, 2, 20, 9), docs=1, status=Status.RETURNED, resolved=T(2019, 3, 1, 0, 0)
    )
    scan(f, T(2019, 2, 20, 9), f.documents[0])
    files.withdraw(session, result(f, T(2019, 3, 1, 8)), clerk, T(2019, 3, 1, 9), "Nhầm kết quả")
    dossier("I", p1, T(2019, 3, 12, 9), docs=1, status=Status.STOPPED, closed=T(2019, 3, 20, 9))
    k = dossier(
        "K", p2, T(2019, 3, 15, 14), docs=1, status=Status.RETURNED, resolved=T(2019, 3, 31, 23, 59)
    )
    scan(k, T(2019, 3, 15, 14, 10), k.documents[0])
    result(k, T(2019, 3, 31, 23, 59))
    session.commit()


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
    app.config["FILES_DIR"] = str(tmp_path / "files")
    with app.app_context():
        build_data(db.session, tmp_path / "files")
    return app


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
    assert (count, ratio, note) == (2, pytest.approx(0.5), "2/4 hồ sơ đã giải quyết trong kỳ")
    # The sheet per agency, last of the workbook.
    assert wb.sheetnames[-1] == "Số hóa hồ sơ"
    ws = wb["Số hóa hồ sơ"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[1][0] == "SỐ HÓA HỒ SƠ (QUYẾT ĐỊNH 766/QĐ-TTg, NHÓM 4)"
    assert rows[2][0] == "Từ ngày 01/03/2019 đến ngày 31/03/2019"
    head = next(i for i, r in enumerate(rows) if r[0] == "Mã")
    assert rows[head] == [
        "Mã",
        "Cơ quan",
        "Hồ sơ tiếp nhận trong kỳ",
        "Số hóa toàn bộ khi tiếp nhận",
        "Tỷ lệ",
        "Hồ sơ đã giải quyết trong kỳ",
        "Có kết quả điện tử",
        "Tỷ lệ",
    ]
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
    from seed.scale import RESULT, SCANNED

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
