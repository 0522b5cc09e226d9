"""The dossier list and the supervision list (đôn đốc) as the clerk and the manager use them
(issue 10, item 12): the procedure shown as code and name, a bounded count of the filtered list,
search by procedure code, and on the due list the applicant's phone, a count, an Excel export and
lateness in working days — the same number as on the home page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from domain import clock
from domain import lifecycle as lc
from models import Dossier, Procedure, db
from tests.factories import user_agencies
from tests.support import statements_of

UNIT = "000.00.20.H37"
LONG_NAME = (
    "Cấp giấy phép kinh doanh vận tải bằng xe ô tô đối với doanh nghiệp, hợp tác xã "
    "kinh doanh vận tải"
)


@pytest.fixture
def world(app, users):
    with app.app_context():
        sgtvt, stp = user_agencies()
        p1 = Procedure(code="1.002809", name=LONG_NAME, agency=sgtvt, processing_days=5)
        p2 = Procedure(
            code="2.000488", name="Cấp phiếu lý lịch tư pháp", agency=stp, processing_days=10
        )
        db.session.add_all([p1, p2])
        db.session.flush()
        own = Dossier(procedure=p1, applicant_name="Nguyễn Văn Ánh", phone="0912 345 678")
        other = Dossier(procedure=p2, applicant_name="Trần Thị Bình", phone="0987 000 111")
        for d in (own, other):
            lc.accept_dossier(db.session, d, None, dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        return {"p1": p1.id, "p2": p2.id, "own": own.id, "other": other.id, "due": own.due_date}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _count_text(html: str) -> str:
    match = re.search(r'id="list-count"[^>]*>(.*?)</', html, re.S)
    assert match, "no count above the list"
    return match.group(1).strip()


def test_procedure_shown_as_code_and_short_name(client, login_as, world):
    login_as("manager")
    html = client.get("/dossier/").get_data(as_text=True)
    cell = next(
        c
        for c in re.findall(r'<td class="col-procedure">(.*?)</td>', html, re.S)
        if "1.002809" in c
    )
    assert "1.002809" in cell and "Cấp giấy phép kinh doanh vận tải" in cell
    assert "…" in cell and LONG_NAME not in _text(cell)  # shortened on the list...
    assert f'title="{LONG_NAME}"' in cell  # ...the whole name on hover
    due = client.get("/dossier_due/").get_data(as_text=True)
    assert "2.000488" in due and "Cấp phiếu lý lịch tư pháp" in due


def test_search_by_procedure_code(client, login_as, world):
    login_as("manager")
    html = client.get("/dossier/?search=2.000488").get_data(as_text=True)
    assert "Trần Thị Bình" in html and "Nguyễn Văn Ánh" not in html
    html = client.get("/dossier/?search=1.0028").get_data(as_text=True)  # its beginning
    assert "Nguyễn Văn Ánh" in html and "Trần Thị Bình" not in html
    # With another word: both must match (code and applicant).
    html = client.get("/dossier/?search=2.000488+binh").get_data(as_text=True)
    assert "Trần Thị Bình" in html
    html = client.get("/dossier/?search=2.000488+anh").get_data(as_text=True)
    assert "Trần Thị Bình" not in html and "Nguyễn Văn Ánh" not in html
    client.post("/logout")
    login_as("staff")  # staff stay within their agencies, whatever they search
    html = client.get("/dossier/?search=2.000488").get_data(as_text=True)
    assert "Trần Thị Bình" not in html


def test_filtered_list_shows_a_bounded_count(app, client, login_as, world):
    with app.app_context():
        p1 = db.session.get(Procedure, world["p1"])
        calendar = lc.load_calendar(db.session)
        for i in range(25):
            lc.accept_dossier(
                db.session,
                Dossier(procedure=p1, applicant_name=f"Lê Văn {i}"),
                None,
                dt.datetime(2019, 3, 5, 9),
                UNIT,
                calendar=calendar,
            )
        db.session.commit()
    login_as("manager")
    assert _count_text(client.get("/dossier/").get_data(as_text=True)) == "27 hồ sơ"
    assert _count_text(client.get("/dossier/?search=2.000488").get_data(as_text=True)) == "1 hồ sơ"
    # One page of 20 out of 25: counted, with the numbered pager.
    html = client.get("/dossier/?search=le+van&page_size=20").get_data(as_text=True)
    pages = re.findall(r'<a class="page-link"[^>]*>\s*(\d+)\s*</a>', html)
    assert _count_text(html) == "25 hồ sơ" and pages == ["1", "2"]
    html = client.get("/dossier/?search=le+van&page_size=20&page=1").get_data(as_text=True)
    assert _count_text(html) == "25 hồ sơ"  # the last page: known without counting
    app.config["LIST_COUNT_LIMIT"] = 10
    html = client.get("/dossier/?search=le+van&page_size=20").get_data(as_text=True)
    assert _count_text(html) == "Hơn 10 hồ sơ"
    app.config["LIST_COUNT_LIMIT"] = 10_000
    # Never an unbounded COUNT over the dossiers: the count reads at most LIMIT + 1 rows.
    statements = statements_of(app, lambda: client.get("/dossier/?search=le+van&page_size=20"))
    counts = [s for s in statements if "count(" in s.lower()]
    assert counts and all("limit" in s.lower() for s in counts), counts
    # A short list (the last page on screen) is counted without a query at all.
    statements = statements_of(app, lambda: client.get("/dossier/?search=le+van"))
    assert not [s for s in statements if "count(" in s.lower() and "dossier" in s.lower()]


def test_due_list_phone_count_export_and_working_days(app, client, login_as, world):
    today = clock.today()
    with app.app_context():
        calendar = lc.load_calendar(db.session)
        late = calendar.working_days_between(world["due"], today)
    assert late < (today - world["due"]).days  # working days, not calendar days
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    login_as("staff")
    html = client.get("/dossier_due/").get_data(as_text=True)
    text = _text(html)
    assert "Điện thoại" in text and "0912 345 678" in text
    assert _count_text(html) == "1 hồ sơ"
    assert "Số ngày làm việc còn lại" in text
    assert f"quá hạn {late:,} ngày làm việc".replace(",", ".") in text
    # The home page gives the same lateness, and says it counts working days.
    home = client.get("/").get_data(as_text=True)
    table = re.search(r'id="overdue-list">(.*?)</table>', home, re.S).group(1)
    headers = [_text(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "Nguyễn Văn Ánh" in r)
    cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[headers.index("Số ngày làm việc quá hạn")] == f"{late:,}".replace(",", ".")
    # Excel: the list as shown (scope, columns, working days), from a link on the page.
    assert "/dossier_due/export.xlsx" in html
    response = client.get("/dossier_due/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "Điện thoại" in header and "Số ngày làm việc còn lại" in header
    assert len(body) == 1  # staff: their own agency only
    (record,) = body
    assert record[header.index("Người nộp")] == "Nguyễn Văn Ánh"
    assert record[header.index("Điện thoại")] == "0912 345 678"
    assert record[header.index("Số ngày làm việc còn lại")] == -late


def test_due_list_export_roles(client, login_as, world):
    assert client.get("/dossier_due/export.xlsx").status_code == 302  # anonymous: log in
    login_as("manager")
    rows = list(
        load_workbook(io.BytesIO(client.get("/dossier_due/export.xlsx").data)).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 3  # header + both agencies' dossiers
