"""The official periodic report (issue 13 point 3): the form as filed (rows by field grouped by
level, columns (1)–(13)), the late dossiers of the period, the national counting method beside
design §6, and the statutory periods across a year boundary — on a data set worked by hand
(March 2026), on SQLite and PostgreSQL, through the domain, the workbook, the CLI and the page.

The data set (period 01/03/2026 – 31/03/2026; March 2026 has no holiday):
  province, field NV-01 (P1)
    X1 carried over (accepted 20/02), due 04/03, resolved 05/03 ........ late, 1 working day
    X2 online, due 10/03, resolved 06/03 ............................... early
    X4 direct, two supplement requests, due 20/03, resolved 16/03 ...... early; national: late
    X7 direct, due 26/03, processing, rescheduled with a reason ........ pending overdue, 3 days
  commune, field HT (P2)
    X3 postal, due 09/03, resolved 09/03 ............................... on time
    X6 online, due 20/03, waiting for a supplement since 18/03 ......... pending in time (both)
  legacy district, field DD (P3)
    X5 direct, due 05/03, withdrawn 12/03 .............................. on time; national: late
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from domain.report_workbook import OFFICIAL_COLUMNS, write_report_workbook
from domain.reports import ROW_KEYS, build_report
from models import (
    Agency,
    Dossier,
    DossierEvent,
    DossierPause,
    Field,
    Procedure,
    User,
    db,
)
from tests.factories import EXPECTED_MARCH, create_user, login
from tests.journeys.browsing import log_in

D, T = dt.date, dt.datetime
PERIOD = (D(2026, 3, 1), D(2026, 3, 31))


def build_data(session) -> None:
    agency = Agency(code="SNV", name="Sở Nội vụ", short_name="Sở Nội vụ", sort_order=1)
    f1 = Field(code="NV-01", name="Công chức, viên chức", agency=agency)
    f2 = Field(code="HT", name="Hộ tịch", agency=agency)
    f3 = Field(code="DD", name="Đất đai", agency=agency)
    p1 = Procedure(
        code="2.000001",
        name="Thi tuyển công chức",
        agency=agency,
        field=f1,
        level="province",
        processing_days=5,
    )
    p2 = Procedure(
        code="2.000002",
        name="Đăng ký kết hôn",
        agency=agency,
        field=f2,
        level="commune",
        processing_days=5,
    )
    p3 = Procedure(
        code="2.000003",
        name="Cấp giấy chứng nhận cũ",
        agency=agency,
        field=f3,
        level="district",
        processing_days=3,
    )
    a = User(username="cba", full_name="Cán bộ A", role="staff", password_hash="x")
    b = User(username="cbb", full_name="Cán bộ B", role="staff", password_hash="x")
    session.add_all([agency, f1, f2, f3, p1, p2, p3, a, b])
    session.flush()

    def dossier(code, proc, channel, accepted, due, status, **kw):
        d = Dossier(
            code=code,
            applicant_name=code,
            procedure=proc,
            agency_id=agency.id,
            channel=channel,
            accepted_at=accepted,
            due_date=due,
            status=status,
            **kw,
        )
        session.add(d)
        session.flush()
        session.add(
            DossierEvent(dossier_id=d.id, from_status=None, to_status=2, at=accepted, user_id=b.id)
        )
        return d

    x1 = dossier(
        "X1", p1, "direct", T(2026, 2, 20, 9), D(2026, 3, 4), 9, resolved_at=T(2026, 3, 5, 10)
    )
    session.add(
        DossierEvent(
            dossier_id=x1.id, from_status=4, to_status=9, at=T(2026, 3, 5, 10), user_id=a.id
        )
    )
    dossier("X2", p1, "online", T(2026, 3, 2, 8), D(2026, 3, 10), 9, resolved_at=T(2026, 3, 6, 9))
    dossier(
        "X3",
        p2,
        "postal",
        T(2026, 3, 3, 8),
        D(2026, 3, 9),
        10,
        resolved_at=T(2026, 3, 9, 16),
        returned_at=T(2026, 3, 10, 9),
        return_channel="counter",
    )
    x4 = dossier(
        "X4", p1, "direct", T(2026, 3, 2, 9), D(2026, 3, 20), 9, resolved_at=T(2026, 3, 16, 9)
    )
    session.add_all(
        [
            DossierPause(
                dossier=x4,
                kind="supplement",
                started_on=D(2026, 3, 4),
                ended_on=D(2026, 3, 5),
                reason="thiếu bản sao",
            ),
            DossierPause(
                dossier=x4,
                kind="supplement",
                started_on=D(2026, 3, 10),
                ended_on=D(2026, 3, 11),
                reason="thiếu ảnh",
            ),
        ]
    )
    dossier("X5", p3, "direct", T(2026, 3, 2, 10), D(2026, 3, 5), 7, closed_at=T(2026, 3, 12, 9))
    x6 = dossier("X6", p2, "online", T(2026, 3, 16, 8), D(2026, 3, 20), 5)
    session.add(
        DossierPause(
            dossier=x6, kind="supplement", started_on=D(2026, 3, 18), reason="thiếu giấy xác nhận"
        )
    )
    x7 = dossier(
        "X7", p1, "direct", T(2026, 3, 23, 8), D(2026, 3, 26), 4, rescheduled_due_date=D(2026, 4, 2)
    )
    session.add(
        DossierEvent(
            dossier_id=x7.id,
            from_status=4,
            to_status=4,
            at=T(2026, 3, 25, 9),
            user_id=a.id,
            reason="Chờ ý kiến liên ngành",
        )
    )
    session.commit()


def row(
    total, online, direct_postal, carried, resolved, early, on_time, late, pending, in_time, overdue
) -> dict:
    """The official columns (3)–(13) of a row, in the form's order."""
    return dict(
        zip(
            (k for k, _, _ in OFFICIAL_COLUMNS),
            (
                total,
                online,
                direct_postal,
                carried,
                resolved,
                early,
                on_time,
                late,
                pending,
                in_time,
                overdue,
            ),
        )
    )


EXPECTED = {
    "design": {
        ("province", "NV-01"): row(4, 1, 2, 1, 3, 2, 0, 1, 1, 0, 1),
        ("commune", "HT"): row(2, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0),
        ("district", "DD"): row(1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0),
        "totals": row(7, 2, 4, 1, 5, 2, 2, 1, 2, 1, 1),
        # (code, state, officer, due, resolved on, days late, reason)
        "late": [
            ("X1", "resolved", "Cán bộ A", "2026-03-04", "2026-03-05", 1, None),
            ("X7", "pending", "Cán bộ A", "2026-03-26", None, 3, "Chờ ý kiến liên ngành"),
        ],
    },
    "national": {
        ("province", "NV-01"): row(4, 1, 2, 1, 3, 1, 0, 2, 1, 0, 1),
        ("commune", "HT"): row(2, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0),
        ("district", "DD"): row(1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0),
        "totals": row(7, 2, 4, 1, 5, 1, 1, 3, 2, 1, 1),
        "late": [
            ("X1", "resolved", "Cán bộ A", "2026-03-04", "2026-03-05", 1, None),
            ("X5", "resolved", "Cán bộ B", "2026-03-05", "2026-03-12", 5, None),
            ("X4", "resolved", "Cán bộ B", "2026-03-20", "2026-03-16", 0, None),
            ("X7", "pending", "Cán bộ A", "2026-03-26", None, 3, "Chờ ý kiến liên ngành"),
        ],
    },
}


@pytest.fixture
def data(app):
    with app.app_context():
        build_data(db.session)
    return app


def official_figures(report) -> dict:
    got = {}
    for group in report["official_form"]["groups"]:
        for r in group["rows"]:
            got[(group["level"], r["field_code"])] = {k: r[k] for k, _, _ in OFFICIAL_COLUMNS}
    got["totals"] = {k: report["official_form"]["totals"][k] for k, _, _ in OFFICIAL_COLUMNS}
    return got


@pytest.mark.parametrize("method", ["design", "national"])
def test_official_form_worked_by_hand(data, method):
    with data.app_context():
        report = build_report(db.session, *PERIOD, method=method)
    expected = EXPECTED[method]
    assert official_figures(report) == {k: v for k, v in expected.items() if k != "late"}
    form = report["official_form"]
    assert [g["level"] for g in form["groups"]] == ["province", "commune", "district"]
    assert [g["label"] for g in form["groups"]] == [
        "Cấp tỉnh",
        "Cấp xã",
        "Cấp huyện (trước 01/07/2025)",
    ]
    # The form adds up to the §6 totals of the same report, and each level to its rows.
    assert {k: form["totals"][k] for k in ROW_KEYS} == report["totals"]
    for group in form["groups"]:
        for key in ROW_KEYS:
            assert group["totals"][key] == sum(r[key] for r in group["rows"])
    assert report["method"] == method
    late = [
        (
            x["code"],
            x["state"],
            x["officer"],
            x["due_date"],
            x["resolved_on"],
            x["days_late"],
            x["reason"],
        )
        for x in report["late_dossiers"]
    ]
    assert late == expected["late"]
    assert all(
        x["procedure_name"] and x["agency_name"] == "Sở Nội vụ" for x in report["late_dossiers"]
    )
    # The late list and the late figures are one rule.
    t = report["totals"]
    assert len(late) == t["resolved_late"] + t["pending_overdue"]


def test_design_is_the_default_and_json_keeps_its_keys(data):
    with data.app_context():
        default = build_report(db.session, *PERIOD)
        design = build_report(db.session, *PERIOD, method="design")
        with pytest.raises(ValueError):
            build_report(db.session, *PERIOD, method="other")
    assert default == design
    assert list(default)[: len(EXPECTED_MARCH)] == list(EXPECTED_MARCH)
    assert list(default)[len(EXPECTED_MARCH) :] == ["method", "official_form", "late_dossiers"]
    json.dumps(default)


@pytest.mark.parametrize("method", ["design", "national"])
def test_official_sheet_read_back(data, tmp_path, method):
    with data.app_context():
        report = build_report(db.session, *PERIOD, method=method)
    path = tmp_path / "r.xlsx"
    write_report_workbook(
        path,
        report,
        None,
        "Trung tâm PVHCC tỉnh X",
        made_on=D(2026, 4, 1),
        recipient="Văn phòng UBND tỉnh X",
        form_label="Biểu số TEST",
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Biểu mẫu", "06a", "Hồ sơ trễ hạn"]
    ws = wb["Biểu mẫu"]
    cells = [[c.value for c in r] for r in ws.iter_rows()]
    texts = [v for r in cells for v in r if isinstance(v, str)]
    assert "Đơn vị báo cáo: Trung tâm PVHCC tỉnh X" in texts
    assert "Đơn vị nhận báo cáo: Văn phòng UBND tỉnh X" in texts
    assert "Biểu số TEST" in texts
    assert "Đơn vị tính: Hồ sơ" in texts
    assert "Kỳ báo cáo: Từ ngày 01/03/2026 đến ngày 31/03/2026" in texts
    assert any(
        t.startswith(
            "Cách tính: theo "
            + ("cách tính của Trung tâm" if method == "design" else "Cổng DVC quốc gia")
        )
        for t in texts
    )
    numbers = next(i for i, r in enumerate(cells) if r[0] == "(1)")
    assert cells[numbers][:13] == [f"({i})" for i in range(1, 14)]
    assert cells[numbers - 1][2:6] == [
        "Tổng số",
        "Trong đó: Trực tuyến",
        "Trong đó: Trực tiếp, dịch vụ bưu chính",
        "Từ kỳ trước",
    ]
    body = cells[numbers + 1 :]
    total = next(r for r in body if r[0] == "Tổng cộng")
    fields = [r for r in body[: body.index(total)] if isinstance(r[0], int)]
    groups = [r for r in body[: body.index(total)] if r[0] in ("I", "II", "III")]
    assert [r[1] for r in fields] == ["Công chức, viên chức", "Hộ tịch", "Đất đai"]
    assert [r[1] for r in groups] == ["Cấp tỉnh", "Cấp xã", "Cấp huyện (trước 01/07/2025)"]
    expected = EXPECTED[method]["totals"]
    assert total[2:13] == list(expected.values())
    for col in range(2, 13):  # the column sums of the fields and of the levels = the totals
        assert sum(r[col] for r in fields) == total[col]
        assert sum(r[col] for r in groups) == total[col]
    assert total[2] == report["totals"]["received_total"]
    assert total[4] == report["totals"]["received_direct"] + report["totals"]["received_postal"]
    assert total[5] == report["totals"]["carried_over"]

    late = [[c.value for c in r] for r in wb["Hồ sơ trễ hạn"].iter_rows()]
    method_line = next(v for r in late for v in r if isinstance(v, str) and "Cách tính" in v)
    assert method_line == next(t for t in texts if t.startswith("Cách tính"))
    assert not [w for w in ("§", "design", "thiết kế") if w in method_line]
    head = next(i for i, r in enumerate(late) if r[0] == "STT")
    assert late[head][8] == "Số ngày trễ (ngày làm việc)"
    listed = [r for r in late[head + 1 :] if isinstance(r[0], int)]
    assert [(r[1], r[4], r[8], r[9]) for r in listed] == [
        (code, officer, days, reason or "")
        for code, _, officer, _, _, days, reason in EXPECTED[method]["late"]
    ]
    assert listed[0][6] == dt.datetime(2026, 3, 4)  # a real date cell


def test_cli_method_national(data, tmp_path):
    runner = data.test_cli_runner()
    result = runner.invoke(
        args=["report", "--month", "2026-03", "--method", "national", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(EXPECTED_MARCH) < set(report)
    assert report["method"] == "national"
    assert [x["code"] for x in report["late_dossiers"]] == ["X1", "X5", "X4", "X7"]
    assert report["totals"]["resolved_late"] == 3
    result = runner.invoke(args=["report", "--month", "2026-03", "--format", "json"])
    assert json.loads(result.output)["totals"]["resolved_late"] == 1
    result = runner.invoke(
        args=["report", "--month", "2026-03", "--method", "other", "--format", "json"]
    )
    assert result.exit_code != 0
    out = tmp_path / "n.xlsx"
    data.config["REPORT_FORM_LABEL"] = "Biểu số CẤU HÌNH"
    result = runner.invoke(
        args=[
            "report",
            "--month",
            "2026-03",
            "--method",
            "national",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Biểu mẫu"]
    texts = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert "Biểu số CẤU HÌNH" in texts
    assert any("Cổng DVC quốc gia" in t for t in texts)


@pytest.mark.parametrize(
    "args, start, end",
    [
        (["--quarter", "2026-Q1", "--statutory"], "2025-12-15", "2026-03-14"),
        (["--half", "2026-H1", "--statutory"], "2025-12-15", "2026-06-14"),
        (["--year", "2026", "--statutory"], "2025-12-15", "2026-12-14"),
        (["--month", "2026-01", "--statutory"], "2025-12-15", "2026-01-14"),
    ],
)
def test_cli_statutory_periods_across_the_year(data, frozen_clock, args, start, end):
    frozen_clock(dt.date(2027, 1, 10))  # every period over (a running one is counted to today)
    result = data.test_cli_runner().invoke(args=["report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == {"from": start, "to": end}
    assert "official_form" in report


def test_page_official_view_and_statutory_quarter(data, client):
    with data.app_context():
        create_user("manager1", "manager")
        db.session.commit()
    login(client, "manager1")
    page = client.get("/report/?preset=quarter&quarter=1&year=2026&statutory=1&view=official")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kỳ báo cáo: từ ngày 15/12/2025 đến ngày 14/03/2026" in html
    assert 'id="official-table"' in html and 'id="report-table"' not in html
    assert "Biểu số II.06a/VPCP/KSTT" in html  # the default label
    page = client.get("/report/?preset=month&month=3&year=2026&view=official&method=national")
    html = page.get_data(as_text=True)
    assert "Cách tính: theo Cổng DVC quốc gia" in html
    assert "§" not in html and "thiết kế" not in html
    assert html.count('data-dossier="') == 4
    with data.app_context():
        create_user("staff9", "staff")
        db.session.commit()
    other = data.test_client()  # a staff member: the report is for managers and admins
    assert login(other, "staff9").status_code == 302
    assert other.get("/report/?view=official").status_code in (302, 403)


@pytest.mark.browser
def test_manager_sees_the_official_form_in_chromium(app, live_server, page):
    with app.app_context():
        build_data(db.session)
        create_user("manager1", "manager")
        db.session.commit()
    log_in(page, live_server, "manager1", "/report/")
    page.select_option("#preset", "month")
    page.select_option("#month", "3")
    page.select_option("#year", "2026")
    page.select_option("#method", "national")
    with page.expect_navigation(url=lambda u: "method=national" in u):
        page.click("#report-show")
    with page.expect_navigation(url=lambda u: "view=official" in u):
        page.click("#view-official")
    assert "method=national" in page.url
    totals = page.locator("#official-totals td").all_inner_texts()
    assert [int(x) for x in totals[2:]] == list(EXPECTED["national"]["totals"].values())
    assert "theo Cổng DVC quốc gia" in page.inner_text("#report-method")
    assert page.locator("#late-table tbody tr").count() == 4
    assert page.inner_text("#late-count") == "4"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path="/tmp/report2025-shots/official-form.png", full_page=True)
