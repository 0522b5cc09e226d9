"""A date typed the right way that is not in the calendar (31/02/2019) is said not to exist, in
every place the one date reader (domain.formatting.parse_datetime) serves: the date and
date-time fields of the forms, the list filters and the report periods. Typed the wrong way,
the message still says how to type it. Forms are posted as the browser sends them, with their
CSRF token (found by a clerk's review: the calendar form answered "type dd/mm/yyyy")."""

from __future__ import annotations

from sqlalchemy import func, select

from models import CalendarDay, Feedback, db
from tests.browser_forms import field_errors, open_form
from tests.factories import csrf_token

NOT_REAL_VI = "Ngày 31/02/2019 không có thật."
NOT_REAL_EN = "31/02/2019 is not a real date."
HOW_TO_TYPE_VI = "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 05/12/2026."


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_calendar_form_says_an_impossible_date_does_not_exist(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    for typed in ("31/02/2019", "2019-02-31", " 31-02-2019 "):
        form = open_form(client, "/calendar_day/new/")
        form.set("date", typed)
        form.set("note", "Nghỉ bù")
        response = form.submit(client)
        assert response.status_code == 200
        assert NOT_REAL_VI in field_errors(response), typed
        assert HOW_TO_TYPE_VI not in field_errors(response)
    assert _count(csrf_app, CalendarDay) == 0

    # Typed the wrong way: how to type it, as before.
    form = open_form(client, "/calendar_day/new/")
    form.set("date", "31/02/19")
    response = form.submit(client)
    shown = field_errors(response)
    assert HOW_TO_TYPE_VI in shown and "không có thật" not in shown

    # A day that exists is saved (29/02 of a leap year).
    form = open_form(client, "/calendar_day/new/")
    form.set("date", "29/02/2020")
    assert form.submit(client).status_code == 302
    assert _count(csrf_app, CalendarDay) == 1

    # In English too.
    client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    form = open_form(client, "/calendar_day/new/")
    form.set("date", "31/02/2019")
    assert NOT_REAL_EN in field_errors(form.submit(client))


def test_a_date_and_time_field_says_the_date_does_not_exist(csrf_app, csrf_login_as):
    client = csrf_login_as("staff")
    form = open_form(client, "/feedback/new/")
    for name, value in {
        "sender": "Phạm Văn Đức",
        "subject": "Hỏi thủ tục",
        "content": "Xin hỏi",
        "received_at": "31/02/2019 14:30",
    }.items():
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == 200
    assert NOT_REAL_VI in field_errors(response)
    assert _count(csrf_app, Feedback) == 0


def test_list_filters_and_report_periods_say_the_date_does_not_exist(csrf_login_as):
    client = csrf_login_as("admin")
    page = client.get("/calendar_day/?flt0_0=31/02/2019").get_data(as_text=True)  # date equals
    assert NOT_REAL_VI in page
    page = client.get("/calendar_day/?flt0_0=31/02/19").get_data(as_text=True)
    assert "Giá trị bộ lọc không hợp lệ: 31/02/19" in page and NOT_REAL_VI not in page

    page = client.get("/postal/totals/?from=31/02/2019&to=01/03/2019").get_data(as_text=True)
    assert NOT_REAL_VI in page
