"""The intake page and the receipt with a due moment (issue 13 point 4), posted as the browser
does: a procedure counted in working hours accepted at 16:30 on the Friday before National Day
2025 shows, stores and prints its appointment at 11:00 on the next working day; a cut-off time
is said on the page; the working hours come from the WORKING_HOURS setting."""

import datetime as dt

import pytest
from sqlalchemy import select

from domain import clock, deadlines
from domain import lifecycle as lc
from models import Agency, Dossier, Procedure, db

FRIDAY_1630 = dt.datetime(2025, 8, 29, 16, 30)  # Mon 01/09 and Tue 02/09/2025 off


@pytest.fixture
def procedures(app, users):
    with app.app_context():
        stp = db.session.scalar(select(Agency).where(Agency.code == "STP"))
        hours = Procedure(
            code="2.000815", name="Chứng thực bản sao từ bản chính", agency=stp, processing_hours=4
        )
        same_day = Procedure(
            code="2.000816",
            name="Chứng thực chữ ký",
            agency=stp,
            processing_days=0,
            cutoff_time=dt.time(15, 0),
        )
        db.session.add_all([hours, same_day])
        db.session.commit()
        return {"hours": hours.id, "same_day": same_day.id}


def _post_intake(client, procedure_id, name):
    return client.post(
        "/dossier/new/",
        data={
            "procedure": procedure_id,
            "applicant_name": name,
            "phone": "0912345678",
            "address": "Lạng Sơn",
            "applicant_kind": "citizen",
            "channel": "direct",
            "return_channel": "counter",
            "_intake_print": "1",
        },
    )


def test_hours_procedure_accepted_at_1630_shows_stores_and_prints_its_moment(
    app, client, login_as, procedures
):
    login_as("admin")
    with clock.frozen(FRIDAY_1630):
        shown = client.get(f"/dossier/intake/procedure/{procedures['hours']}/").get_json()
        assert (shown["due_date"], shown["due_at"]) == ("2025-09-03", "2025-09-03T11:00")
        assert (shown["processing_days"], shown["processing_hours"]) == (None, 4)
        assert shown["text"]["processing"] == "4 giờ làm việc"
        assert shown["text"]["due"] == "11:00 03/09/2025"
        response = _post_intake(client, procedures["hours"], "Lê Thị Giờ")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Lê Thị Giờ"))
        assert (d.accepted_at, d.due_date, d.due_at, d.due_in_hours) == (
            FRIDAY_1630,
            dt.date(2025, 9, 3),
            dt.datetime(2025, 9, 3, 11, 0),
            True,
        )
        assert deadlines.due_moment(d).isoformat(timespec="minutes") == shown["due_at"]
    receipt = client.get(response.location).get_data(as_text=True)
    assert "11 giờ 00 phút, ngày 03/09/2025" in receipt
    assert "Thời gian giải quyết hồ sơ theo quy định: 4 giờ làm việc" in receipt


def test_cutoff_is_said_and_counts_on_the_page(app, client, login_as, procedures):
    login_as("admin")
    url = f"/dossier/intake/procedure/{procedures['same_day']}/"
    with clock.frozen(dt.datetime(2025, 8, 29, 14, 59)):
        before = client.get(url).get_json()
    with clock.frozen(dt.datetime(2025, 8, 29, 15, 1)):
        after = client.get(url).get_json()
        response = _post_intake(client, procedures["same_day"], "Hoàng Văn Chốt")
    assert before["text"]["processing"] == (
        "Trong ngày (tiếp nhận sau 15:00: tính từ ngày làm việc tiếp theo)"
    )
    assert (before["text"]["due"], after["text"]["due"]) == ("17:00 29/08/2025", "17:00 03/09/2025")
    assert after["cutoff_time"] == "15:00"
    assert response.status_code == 302
    receipt = client.get(response.location).get_data(as_text=True)
    assert "17 giờ 00 phút, ngày 03/09/2025" in receipt


def test_working_hours_come_from_the_setting(app, client, login_as, procedures):
    app.config["WORKING_HOURS"] = "07:00-11:30,13:30-17:00"
    login_as("admin")
    with clock.frozen(FRIDAY_1630):
        shown = client.get(f"/dossier/intake/procedure/{procedures['hours']}/").get_json()
    assert shown["text"]["due"] == "10:30 03/09/2025"  # 0.5 h on Friday, 3.5 h from 07:00


def test_report_page_lists_an_hours_dossier_one_working_hour_late(
    app, client, login_as, procedures
):

    with app.app_context():
        proc = db.session.get(Procedure, procedures["hours"])
        dossier = Dossier(procedure=proc, applicant_name="Đinh Văn Muộn", channel="direct")
        lc.accept_dossier(db.session, dossier, None, FRIDAY_1630, "000.00.20.H37")
        lc.transition(db.session, dossier, "transfer", None, FRIDAY_1630)
        lc.transition(db.session, dossier, "resolve", None, dt.datetime(2025, 9, 3, 14, 0))
        db.session.commit()
        code = dossier.code
    login_as("manager")
    page = client.get("/report/?preset=range&from=2025-08-01&to=2025-09-30").get_data(as_text=True)
    row = page[page.index(f">{code}<") :]
    row = row[: row.index("</tr>")]
    assert "1 giờ làm việc" in row  # 0 working days, one working hour late
