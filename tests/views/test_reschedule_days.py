""" "Hẹn lại" (reschedule with apology, Mẫu 04) posted from the dossier page as the browser sends
it (CSRF on): a new date that is not a working day — a Sunday, a public holiday, the centre's day
off — is refused with a message naming the date and the next working day, and nothing changes;
a make-up Saturday of the centre is accepted (found by a review: 20/12/2026, a Sunday, was
printed on Mẫu 04)."""

from __future__ import annotations

import datetime as dt

from bs4 import BeautifulSoup
from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, CalendarDay, Dossier, Procedure, User, db
from tests.browser_forms import open_form
from tests.factories import csrf_token

D, T = dt.date, dt.datetime
UNIT = "000.00.20.H37"


def _processing_dossier(app) -> int:
    """A dossier of SGTVT accepted on Monday 14/12/2026 (due Thursday 17/12), being processed;
    the centre's calendar: Tuesday 22/12/2026 off, Saturday 26/12/2026 worked."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        clerk = db.session.scalar(select(User).where(User.username == "staff1"))
        procedure = Procedure(code="1.000001", name="Cấp phép", agency=agency, processing_days=3)
        db.session.add_all(
            [
                procedure,
                CalendarDay(date=D(2026, 12, 22), is_working_day=False, note="Nghỉ"),
                CalendarDay(date=D(2026, 12, 26), is_working_day=True, note="Làm bù"),
            ]
        )
        dossier = Dossier(procedure=procedure, applicant_name="Nguyễn Văn A", channel="direct")
        lc.accept_dossier(db.session, dossier, clerk, T(2026, 12, 14, 9, 0), UNIT)
        lc.transition(db.session, dossier, "transfer", clerk, T(2026, 12, 14, 10, 0))
        db.session.commit()
        assert dossier.due_date == D(2026, 12, 17)
        return dossier.id


def _reschedule(client, dossier_id, typed: str):
    form = open_form(client, f"/dossier/details/?id={dossier_id}", "form-reschedule")
    form.set("new_due_date", typed)
    form.set("reason", "Chờ ý kiến thẩm định")
    return form.submit(client, follow_redirects=True)


def _alerts(response) -> str:
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return " ".join(a.get_text(" ", strip=True) for a in page.select(".alert"))


def _rescheduled(app, dossier_id):
    with app.app_context():
        return db.session.get(Dossier, dossier_id).rescheduled_due_date


def test_a_day_off_is_refused_with_the_next_working_day(csrf_app, csrf_login_as):
    client = csrf_login_as("staff")
    dossier_id = _processing_dossier(csrf_app)
    for typed, message in (
        ("20/12/2026", "20/12/2026 là ngày nghỉ (Chủ nhật); ngày làm việc gần nhất sau đó là 21/12/2026."),
        ("19/12/2026", "19/12/2026 là ngày nghỉ (Thứ bảy); ngày làm việc gần nhất sau đó là 21/12/2026."),
        ("01/01/2027", "01/01/2027 là ngày nghỉ (ngày lễ, Tết hoặc nghỉ bù); ngày làm việc gần nhất sau đó là 04/01/2027."),
        ("22/12/2026", "22/12/2026 là ngày nghỉ của Trung tâm; ngày làm việc gần nhất sau đó là 23/12/2026."),
    ):  # fmt: skip
        response = _reschedule(client, dossier_id, typed)
        assert response.status_code == 200
        assert message in _alerts(response), typed
        assert _rescheduled(csrf_app, dossier_id) is None

    client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    response = _reschedule(client, dossier_id, "20/12/2026")
    assert (
        "20/12/2026 is a day off (Sunday); the next working day after it is 21/12/2026."
        in _alerts(response)
    )
    assert _rescheduled(csrf_app, dossier_id) is None


def test_a_make_up_saturday_is_a_working_day(csrf_app, csrf_login_as):
    client = csrf_login_as("staff")
    dossier_id = _processing_dossier(csrf_app)
    response = _reschedule(client, dossier_id, "26/12/2026")
    assert response.status_code == 200 and "ngày nghỉ" not in _alerts(response)
    assert _rescheduled(csrf_app, dossier_id) == D(2026, 12, 26)
    form04 = client.get(f"/dossier/print/04/?id={dossier_id}").get_data(as_text=True)
    assert "26/12/2026" in form04
