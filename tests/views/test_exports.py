"""List exports to .xlsx: the current filtered and sorted list, typed cells, no formulas from user
text, the same role and agency scoping as the list, a row cap."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain import clock
from models import Agency, AuditLog, Dossier, Procedure, db
from tests.support import make_app
from views import labels
from views.base import AgencyScopedMixin, SecureModelView
from views.dossiers import DossierView
from views.exports import XlsxExportMixin
from views.exports import XlsxExportMixin as Mixin

FORMULA = '=HYPERLINK("http://x","y")'


def _sheet(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    return wb.worksheets[0]


def _rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def _hourly_dossiers(app, procedure_of=lambda i: 0, procedures: int = 1) -> None:
    """Procedures P1… of SGTVT and 25 dossiers N000…N024 accepted an hour apart from
    2019-03-01, of procedure P(procedure_of(i) + 1)."""
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        made = [
            Procedure(code=f"1.00000{i}", name=f"P{i}", agency=gt, processing_days=3)
            for i in range(1, procedures + 1)
        ]
        db.session.add_all(made)
        db.session.flush()
        db.session.info["skip_audit"] = True
        db.session.add_all(
            [
                Dossier(
                    procedure=made[procedure_of(i)],
                    agency_id=gt.id,
                    applicant_name=f"N{i:03}",
                    channel="direct",
                    status=2,
                    accepted_at=dt.datetime(2019, 3, 1) + dt.timedelta(hours=i),
                )
                for i in range(25)
            ]
        )
        db.session.commit()


def _formula_dossier(procedure, agency_id, day: int, channel: str) -> Dossier:
    """A dossier whose applicant name is a spreadsheet formula, accepted at 08:30 on March
    `day` 2019 and being processed."""
    return Dossier(
        code=f"000.00.20.H37-1903{day:02}-0001",
        procedure=procedure,
        agency_id=agency_id,
        applicant_name=FORMULA,
        channel=channel,
        status=4,
        accepted_at=dt.datetime(2019, 3, day, 8, 30),
        due_date=dt.date(2019, 3, day + 3),
    )


def _export_with_statements(app, username, url):
    """The export's rows and the SQL it sent: [(statement on one line, execution options)]."""

    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((" ".join(statement.split()), context.execution_options))

    client = app.test_client()
    client.post("/login", data={"username": username, "password": "correct horse 42"})
    # Every engine: the test's sessions share one connection (conftest).
    event.listen(Engine, "before_cursor_execute", record)
    try:
        return _rows(_sheet(client.get(url))), sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _procedures(app):
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        tp = db.session.query(Agency).filter_by(code="STP").one()
        db.session.add_all(
            [
                Procedure(
                    code="1.000003",
                    name="Cấp đổi giấy phép lái xe",
                    agency=gt,
                    processing_days=5,
                    publication_date=dt.date(2019, 1, 2),
                ),
                Procedure(code="1.000001", name="Đăng ký khai sinh", agency=tp, processing_days=0),
                Procedure(
                    code="1.000002",
                    name="Cấp giấy phép lái xe",
                    agency=gt,
                    processing_days=10,
                    postal_in=True,
                ),
            ]
        )
        db.session.commit()


def test_export_follows_search_filter_and_sort(app, client, login_as):
    _procedures(app)
    login_as("manager")
    page = client.get("/procedure/?search=giay+phep&sort=5&desc=1")
    assert page.status_code == 200
    assert b'id="export-xlsx"' in page.data
    # The list's query string goes to the export unchanged.
    ws = _sheet(client.get("/procedure/export.xlsx?search=giay+phep&sort=5&desc=1"))
    rows = _rows(ws)
    header = rows[0]
    assert header[:3] == ["Mã", "Tên", "Mã cơ quan"]
    assert header[header.index("Thời hạn giải quyết (ngày làm việc)")]
    # Accent-free search; sorted by processing days, descending.
    assert [r[0] for r in rows[1:]] == ["1.000002", "1.000003"]
    days = header.index("Thời hạn giải quyết (ngày làm việc)")
    assert [r[days] for r in rows[1:]] == [10, 5]
    assert all(type(r[days]) is int for r in rows[1:])
    published = header.index("Ngày công bố")
    assert rows[2][published] == dt.datetime(2019, 1, 2)  # a real date cell
    assert ws.cell(row=3, column=published + 1).number_format == "dd/mm/yyyy"
    assert rows[1][2] == "SGTVT"
    # A filter (Agency = STP, filter 0 of ProcedureView) narrows the export the same way.
    with app.app_context():
        stp = db.session.query(Agency).filter_by(code="STP").one().id
    assert client.get(f"/procedure/?flt0_0={stp}").status_code == 200
    ws = _sheet(client.get(f"/procedure/export.xlsx?flt0_0={stp}"))
    assert [r[0] for r in _rows(ws)[1:]] == ["1.000001"]


def test_row_cap_refuses_with_a_clear_message(app, client, login_as):
    _procedures(app)
    app.config["EXPORT_MAX_ROWS"] = 2
    login_as("admin")
    response = client.get("/procedure/export.xlsx?sort=0")
    assert response.status_code == 302
    assert "/procedure/" in response.location and "sort=0" in response.location
    page = client.get(response.location)
    assert "nhiều hơn 2 dòng".encode() in page.data
    # Under the cap the export goes through.
    assert len(_rows(_sheet(client.get("/procedure/export.xlsx?search=giay")))) == 3


EXPORT_ROLES = {
    "agency": {"admin", "staff", "manager"},
    "field": {"admin", "staff", "manager"},
    "procedure": {"admin", "staff", "manager"},
    "user": {"admin"},
    "calendar_day": {"admin", "staff", "manager"},
    "audit_log": {"admin", "manager"},
    "payment": {"admin", "staff", "manager"},
    "staff_rating": {"admin", "manager"},
    "evaluation_form": {"admin", "staff", "manager"},
    "evaluation_indicator": {"admin", "manager"},
    "feedback": {"admin", "staff", "manager"},
    "postal": {"admin", "staff", "manager"},
    "courier_run": {"admin", "staff", "manager"},
}


@pytest.mark.parametrize("role", ["admin", "staff", "manager"])
def test_export_has_the_roles_of_the_list(app, users, role):
    anonymous = app.test_client()
    client = app.test_client()
    client.post("/login", data={"username": users[role], "password": "correct horse 42"})
    for endpoint, allowed in EXPORT_ROLES.items():
        assert anonymous.get(f"/{endpoint}/export.xlsx").status_code == 302  # to the login
        response = client.get(f"/{endpoint}/export.xlsx")
        if role in allowed:
            assert _rows(_sheet(response))[0], (endpoint, role)
        else:
            assert response.status_code == 403, (endpoint, role)


class DossierExportView(XlsxExportMixin, AgencyScopedMixin, SecureModelView):
    """A dossier list as the dossier branch declares it: scoped to the staff's agencies."""

    read_roles = ("admin", "staff", "manager")
    agency_column = Dossier.agency_id
    column_labels = labels.LABELS
    column_list = (
        "code",
        "applicant_name",
        "agency",
        "channel",
        "accepted_at",
        "due_date",
        "status",
    )
    column_choices = {
        "channel": [("direct", "Trực tiếp"), ("online", "Trực tuyến"), ("postal", "Bưu chính")]
    }
    column_default_sort = ("accepted_at", True)
    simple_list_pager = True
    column_export_list = column_list + ("version",)
    column_formatters_export = {"status": lambda v, c, m, n: labels.DOSSIER_STATUSES[m.status]}


@pytest.fixture
def dossier_app(app):
    """An app of its own (the shared one must not grow a test view), on the same database."""

    own = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = own.extensions["admin"][0]
    admin.add_view(DossierExportView(Dossier, db, name="Hồ sơ", endpoint="test_dossier"))
    yield own
    with own.app_context():
        db.engine.dispose()


def test_user_text_is_never_a_formula_and_staff_see_their_agencies(dossier_app, users):
    app = dossier_app
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        tp = db.session.query(Agency).filter_by(code="STP").one()
        p1 = Procedure(code="1.000001", name="P1", agency=gt, processing_days=3)
        p2 = Procedure(code="1.000002", name="P2", agency=tp, processing_days=3)
        db.session.add_all([p1, p2])
        db.session.flush()
        db.session.add_all(
            [
                _formula_dossier(p1, gt.id, 4, "online"),
                Dossier(
                    code="000.00.20.H37-190304-0002",
                    procedure=p2,
                    agency_id=tp.id,
                    applicant_name="-1+2",
                    channel="direct",
                    status=2,
                    accepted_at=dt.datetime(2019, 3, 4, 9),
                    due_date=dt.date(2019, 3, 7),
                ),
            ]
        )
        db.session.commit()

    client = app.test_client()
    client.post("/login", data={"username": users["manager"], "password": "correct horse 42"})
    response = client.get("/test_dossier/export.xlsx")
    ws = _sheet(response)
    rows = _rows(ws)
    assert rows[0][:7] == [
        "Mã",
        "Người nộp",
        "Cơ quan",
        "Hình thức",
        "Ngày tiếp nhận",
        "Ngày hẹn trả",
        "Trạng thái",
    ]
    by_code = {r[0]: r for r in rows[1:]}
    cell = by_code["000.00.20.H37-190304-0001"]
    assert cell[1] == "'" + FORMULA  # shown as typed, never run
    assert by_code["000.00.20.H37-190304-0002"][1] == "'-1+2"
    assert cell[3] == "Trực tuyến"
    assert cell[4] == dt.datetime(2019, 3, 4, 8, 30) and cell[5] == dt.datetime(2019, 3, 7)
    assert cell[6] == "Đang xử lý"  # column_formatters_export
    assert cell[7] == 1 and type(cell[7]) is int
    # No formula and no hyperlink anywhere in the file.
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets"))
        assert "<f>" not in xml and "<f " not in xml and "<hyperlink" not in xml
    assert not ws._hyperlinks

    # Staff of SGTVT export only SGTVT's dossiers, even with tampered filters.
    staff = app.test_client()
    staff.post("/login", data={"username": users["staff"], "password": "correct horse 42"})
    rows = _rows(_sheet(staff.get("/test_dossier/export.xlsx?search=1")))
    assert [r[0] for r in rows[1:]] == ["000.00.20.H37-190304-0001"]


def test_export_streams_rows_in_batches(dossier_app, users, monkeypatch):
    """More rows than a batch: all of them arrive, in the list's order."""
    app = dossier_app
    _hourly_dossiers(app)
    monkeypatch.setattr(DossierExportView, "export_batch_size", 7)
    client = app.test_client()
    client.post("/login", data={"username": users["admin"], "password": "correct horse 42"})
    rows = _rows(_sheet(client.get("/test_dossier/export.xlsx")))
    assert [r[1] for r in rows[1:]] == [f"N{i:03}" for i in reversed(range(25))]


def test_audit_log_export_shows_local_time(app, users):

    with app.app_context():
        db.session.query(AuditLog).delete()
        db.session.add(
            AuditLog(
                at=dt.datetime(2019, 3, 4, 2, 30),
                action="update",
                table_name="agency",
                row_id=1,
                changes={},
            )
        )
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": users["admin"], "password": "correct horse 42"})
    rows = _rows(_sheet(client.get("/audit_log/export.xlsx")))
    stamps = [c for row in rows[1:] for c in row if isinstance(c, dt.datetime)]
    assert dt.datetime(2019, 3, 4, 9, 30) in stamps  # 02:30 UTC is 09:30 in Hà Nội


def test_export_file_names_are_vietnamese_ascii_on_the_local_clock(app, users):
    """`ho-so_2019-12-31_1530.xlsx`: the list's Vietnamese name without accents, the local
    date and time (the server's clock is UTC: 08:30 UTC is 15:30 in Hà Nội)."""
    client = app.test_client()
    client.post("/login", data={"username": users["admin"], "password": "correct horse 42"})
    names = {}
    with clock.frozen(dt.datetime(2019, 12, 31, 8, 30, tzinfo=dt.UTC)):
        for endpoint in ("dossier", "audit_log", "procedure", "payment"):
            response = client.get(f"/{endpoint}/export.xlsx")
            names[endpoint] = response.headers["Content-Disposition"]
    assert names["dossier"] == 'attachment; filename="ho-so_2019-12-31_1530.xlsx"'
    assert names["audit_log"] == 'attachment; filename="nhat-ky-thao-tac_2019-12-31_1530.xlsx"'
    assert names["procedure"] == 'attachment; filename="thu-tuc-hanh-chinh_2019-12-31_1530.xlsx"'
    assert names["payment"].endswith('_2019-12-31_1530.xlsx"')
    assert all(name.isascii() for name in names.values())


def test_dossier_export_translates_labels_once_and_caps_by_a_bounded_count(
    dossier_app, users, monkeypatch
):
    """Issue 16: a status label is turned into text once per export, not once per row, and the
    row cap is checked by a COUNT over at most cap + 1 rows (no OFFSET walk of the sorted list)."""

    class Label:
        calls = 0

        def __str__(self):
            Label.calls += 1
            return "Nhãn trạng thái"

    app = dossier_app
    _hourly_dossiers(app)
    monkeypatch.setattr(DossierView, "export_choices", {"status": {2: Label()}}, raising=False)
    app.config["EXPORT_MAX_ROWS"] = 100
    rows, sent = _export_with_statements(app, users["admin"], "/dossier/export.xlsx")
    sent = [statement for statement, _ in sent]
    status = rows[0].index("Trạng thái")
    assert [r[status] for r in rows[1:]] == ["Nhãn trạng thái"] * 25
    assert Label.calls == 1
    dossier_sql = [s for s in sent if "FROM dossier" in s]
    assert not any("OFFSET" in s and "ORDER BY" in s for s in dossier_sql), dossier_sql
    assert any("count(*)" in s.lower() and "LIMIT" in s for s in dossier_sql), dossier_sql


def test_plain_rows_give_the_cells_of_the_models(march_with_users, users, monkeypatch):
    """Issue 16: exports read plain rows when their columns allow it (views/export_cells.py
    _row_plan); every list export gives the same cells as reading the models, user text
    included (a formula stays text)."""

    app = march_with_users
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        procedure = db.session.query(Procedure).filter_by(code="1.000001").one()
        db.session.add_all(
            [
                _formula_dossier(procedure, gt.id, 5, "postal"),
                Dossier(procedure=procedure, agency_id=gt.id, applicant_name="@SUM(1)", status=1),
            ]
        )
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": users["admin"], "password": "correct horse 42"})
    endpoints = ["dossier", *EXPORT_ROLES]
    planned = {}
    real_plan = Mixin._row_plan

    def spy(view, names):
        plan = real_plan(view, names)
        planned[view.endpoint] = plan is not None
        return plan

    monkeypatch.setattr(Mixin, "_row_plan", spy)
    rows = {e: _rows(_sheet(client.get(f"/{e}/export.xlsx?sort=0"))) for e in endpoints}
    assert planned["dossier"] and planned["procedure"] and planned["audit_log"], planned
    monkeypatch.setattr(Mixin, "_row_plan", lambda view, names: None)
    models = {e: _rows(_sheet(client.get(f"/{e}/export.xlsx?sort=0"))) for e in endpoints}
    for endpoint in endpoints:
        assert rows[endpoint] == models[endpoint], endpoint
    dossiers = rows["dossier"]
    assert len(dossiers) > 10
    names = [r[1] for r in dossiers[1:]]
    assert "'" + FORMULA in names and "'@SUM(1)" in names
    row = next(r for r in dossiers[1:] if r[1] == "'" + FORMULA)
    assert row[2] == "1.000001 – Cấp giấy phép lái xe" and row[3] == "Sở Giao thông vận tải"
    assert row[4] == "Qua bưu chính" and row[5] == "Đang xử lý", row
    assert row[6] == dt.datetime(2019, 3, 5, 8, 30) and row[7] == dt.datetime(2019, 3, 8)
    unknown = next(r for r in dossiers[1:] if r[1] == "'@SUM(1)")
    assert unknown[0] is None and unknown[5] == "Mới đăng ký", unknown  # no code yet


def test_dossier_export_streams_plain_rows_and_reads_each_procedure_once(
    dossier_app, users, monkeypatch
):
    """Issue 16: the dossier list is exported from one query of the exported columns only
    (not the dossier rows as models: no search_text), streamed (a server-side cursor on
    PostgreSQL), each procedure read once for the whole export."""

    app = dossier_app
    # P3 for the 5 newest, P2 for the 5 oldest, P1 between
    _hourly_dossiers(app, lambda i: 2 if i >= 20 else 1 if i < 5 else 0, procedures=3)
    monkeypatch.setattr(DossierView, "export_row_batch_size", 7)
    rows, sent = _export_with_statements(app, users["admin"], "/dossier/export.xlsx")
    assert [r[1] for r in rows[1:]] == [f"N{i:03}" for i in reversed(range(25))]
    assert [r[2] for r in rows[1:]] == ["1.000003 – P3"] * 5 + ["1.000001 – P1"] * 15 + [
        "1.000002 – P2"
    ] * 5
    listed = [(s, o) for s, o in sent if s.startswith("SELECT") and "ORDER BY" in s]
    [(statement, options)] = [(s, o) for s, o in listed if "FROM dossier" in s]
    assert "search_text" not in statement and "JOIN" not in statement, statement
    assert options.get("yield_per") == 7 and options.get("stream_results"), options
    procedure_reads = [s for s, _ in sent if "FROM procedure" in s]
    # Batches of 7 rows: the 1st has P3 and P1 (read together), the 3rd brings P2.
    assert len(procedure_reads) == 2, procedure_reads


def test_columns_are_as_wide_as_their_text(app, client, login_as):
    # A reviewer found the dossier list's codes and names cut off (columns sized to headers).
    _hourly_dossiers(app)
    name = "Nguyễn Thị Phương Thảo Hoàng Ngọc Bích"
    with app.app_context():
        dossier = db.session.query(Dossier).filter_by(applicant_name="N024").one()
        dossier.applicant_name = name
        dossier.code = "000.00.20.H37-190302-0024"
        db.session.commit()
    login_as("manager")
    ws = _sheet(client.get("/dossier/export.xlsx"))
    header = [c.value for c in ws[1]]
    widths = {
        title: ws.column_dimensions[cell.column_letter].width
        for title, cell in zip(header, ws[1], strict=True)
    }
    assert widths["Mã"] >= len("000.00.20.H37-190302-0024")
    assert widths["Người nộp"] >= len(name)
    assert widths["Ngày tiếp nhận"] >= len("hh:mm dd/mm/yyyy")
    assert all(8 <= w <= 53 for w in widths.values()), widths
