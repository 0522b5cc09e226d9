"""One rule for shares everywhere (issue 10, item 9): a unit that resolved nothing has no share
("–") and does not count as 100 % on time — in the workbook's "Tổng hợp", on the report page and
on the dashboard alike."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

from domain import formatting, report_days
from domain.calendar import WorkingCalendar
from models import Agency, Dossier, Procedure, User, db

D, T = dt.date, dt.datetime
CAL = WorkingCalendar()


@pytest.fixture
def units(app, users):
    """March 2019: SGTVT resolves one dossier on time, STP one late, SXD receives one and resolves
    nothing, SYT receives nothing at all."""
    with app.app_context():
        agencies = {a.code: a for a in db.session.query(Agency)}
        agencies["SXD"] = Agency(code="SXD", name="Sở Xây dựng", kind="department", sort_order=3)
        agencies["SYT"] = Agency(code="SYT", name="Sở Y tế", kind="department", sort_order=4)
        db.session.add_all([agencies["SXD"], agencies["SYT"]])
        db.session.flush()
        procs = {
            code: Procedure(code=f"1.00000{i}", name=f"Thủ tục {code}", agency=a, processing_days=3)
            for i, (code, a) in enumerate(sorted(agencies.items()))
        }
        db.session.add_all(procs.values())
        db.session.flush()
        accepted = T(2019, 3, 4, 9)
        due = CAL.due_date(accepted, 3)  # Thursday 07/03

        def dossier(code, status, **kw):
            db.session.add(
                Dossier(
                    procedure=procs[code],
                    agency_id=procs[code].agency_id,
                    applicant_name=f"Người nộp {code}",
                    channel="direct",
                    accepted_at=accepted,
                    due_date=due,
                    status=status,
                    **kw,
                )
            )

        dossier("SGTVT", 9, resolved_at=T(2019, 3, 7, 10))  # on time
        dossier("STP", 9, resolved_at=T(2019, 3, 8, 10))  # late
        dossier("SXD", 4)  # nothing resolved
        db.session.commit()
    return app


def _summary(client, query="preset=range&from=2019-03-01&to=2019-03-31") -> dict:
    response = client.get(f"/report/xlsx?{query}")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.data))["Tổng hợp"]
    return {row[0]: row[1:] for row in ws.iter_rows(values_only=True) if row and row[0]}


def test_share_is_none_without_a_denominator():
    share, format_percent = formatting.share, formatting.format_percent
    assert share(0, 0) is None and share(1, 0) is None
    assert share(17528, 17958) == 97.61 and share(1, 3, digits=None) == pytest.approx(33.333, 1e-3)
    assert format_percent(0, 0) == "–"
    assert format_percent(0, 1) == "0,00%" and format_percent(17528, 17958) == "97,61%"


def test_workbook_summary_does_not_count_units_that_resolved_nothing(units, client, login_as):
    login_as("manager")
    rows = _summary(client)
    # Two units resolved something: SGTVT all on time, STP one late. SXD (nothing resolved)
    # and SYT (nothing received) have no share: they are not "100 % on time".
    count, ratio, note = rows["Đơn vị giải quyết đúng và trước hạn 100%"]
    assert (count, note) == (1, "1/2 đơn vị")
    assert ratio == pytest.approx(0.5)
    count, _ratio, note = rows["Đơn vị có hồ sơ trễ hạn"]
    assert count == 1 and note == "1/2 đơn vị: Sở Tư pháp"
    assert rows["  – Trễ hạn"][:2] == (1, 0.5)
    # No staff rating, no evaluation form, no feedback in March: no share, not 0,00 %.
    assert rows["Lượt đánh giá cán bộ"][0] == 0
    assert rows["  – Rất hài lòng"][:2] == (0, "–")
    assert rows["  – Đã trả lời"][:2] == (0, "–")


def test_report_page_and_dashboard_say_the_same(units, client, login_as):
    login_as("manager")
    html = client.get("/report/?preset=range&from=2019-03-01&to=2019-03-31").get_data(as_text=True)

    def last_cell(code):
        row = re.search(rf'<tr data-agency="{code}">(.*?)</tr>', html, re.S).group(1)
        return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1].strip()

    assert [last_cell(c) for c in ("SGTVT", "STP", "SXD", "SYT")] == ["100,00%", "0,00%", "–", "–"]
    ratings = re.search(r'id="report-ratings".*?</table>', html, re.S).group(0)
    assert "0,00%" not in ratings and "–" in ratings  # no rating: no share
    # The dashboard over the same months once nothing is resolved there: the same rule.
    units.config["DASHBOARD_CACHE_SECONDS"] = 0
    with units.app_context():
        db.session.query(Dossier).delete()
        report_days.rebuild(db.session)  # past the ORM: as every bulk writer does
        db.session.commit()
    home = client.get("/?until=2019-03").get_data(as_text=True)
    tile = re.search(r'id="tile-on-time".*?tile-value">(.*?)</div>', home, re.S).group(1)
    assert tile.strip() == "–"
    satisfied = re.search(r'id="tile-satisfied".*?tile-value">(.*?)</div>', home, re.S).group(1)
    assert satisfied.strip() == "–"
    assert "0,00%" not in home


def test_staff_dashboard_with_nothing_resolved(units, client, login_as):
    with units.app_context():
        staff = db.session.query(User).filter_by(username="staff1").one()
        staff.agencies = [db.session.query(Agency).filter_by(code="SXD").one()]
        db.session.commit()
    units.config["DASHBOARD_CACHE_SECONDS"] = 0
    login_as("staff")
    home = client.get("/?until=2019-03").get_data(as_text=True)
    tile = re.search(r'id="tile-on-time".*?tile-value">(.*?)</div>', home, re.S).group(1)
    assert tile.strip() == "–"  # SXD received one dossier and resolved none
