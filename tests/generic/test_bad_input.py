"""Issue 11, hardening: hostile numbers and bytes are bad input (400/404, or the list as usual)
with a Vietnamese page, never a 500; a database error shows a short message with a reference
the user can quote, never its SQL. The route fuzzer (test_fuzz_routes.py) sends such values to
every route; these are the cases found, one by one."""

import datetime as dt
import logging
import re

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

import views.reports
from models import Agency, CalendarDay, StaffRating, User, db
from views.catalog import AgencyView
from views.users import CalendarDayView

WORDS_1000 = " ".join(f"tu{i}" for i in range(1000))
SQL = ("SELECT ", "INSERT INTO", "psycopg", "sqlite3.", "sqlalche.me", "Traceback")


def _rating(app):
    with app.app_context():
        staff = db.session.query(User).filter_by(role="staff").one()
        rating = StaffRating(
            staff_id=staff.id, level="satisfied", rated_at=dt.datetime(2019, 3, 4, 9)
        )
        db.session.add(rating)
        db.session.commit()
        return rating.id


@pytest.mark.parametrize(
    "url",
    [
        "/agency/?page=-1",  # PostgreSQL: OFFSET must not be negative
        "/audit_log/?page=-1",
        "/dossier/?page=9223372036854775808",  # beyond 64 bits
        "/payment/?page=100000000000000000000000000000",
    ],
)
def test_a_page_number_out_of_range_is_a_bad_request(client_request, url):
    assert "Yêu cầu không hợp lệ" in client_request("admin", url, status=400).text


@pytest.mark.parametrize(
    "path",
    [
        "/agency/details/",
        "/agency/edit/",
        "/user/details/",
        "/user/edit/",
        "/audit_log/details/",
        "/staff_rating/details/",
        "/staff_rating/cancel/",
    ],
)
@pytest.mark.parametrize(
    "row_id", ["2147483648", "9223372036854775808", "abc", "-1", "", "1.5", "١"]
)
def test_an_id_that_no_row_can_have_is_not_found(client, login_as, path, row_id):
    # Ids ≥ 2³¹ and non-numeric ids reached PostgreSQL's INTEGER columns: a 500.
    login_as("admin")
    response = client.get(path, query_string={"id": row_id})
    assert response.status_code in (302, 404), response.status_code
    assert not any(s in response.text for s in SQL)


def test_an_existing_rating_still_opens(app, client, login_as):
    login_as("admin")
    rating_id = _rating(app)
    assert client.get(f"/staff_rating/details/?id={rating_id}").status_code == 200
    assert client.get(f"/staff_rating/cancel/?id={rating_id}").status_code == 200


@pytest.mark.parametrize("rowid", ["abc", "2147483648", ""])
def test_a_batch_action_on_a_forged_row_id_is_a_bad_request(client, login_as, rowid):
    login_as("admin")
    response = client.post("/calendar_day/action/", data={"action": "delete", "rowid": rowid})
    assert response.status_code == 400


@pytest.mark.parametrize("value", [str(2**31), str(-(2**31) - 1), str(10**29), "9" * 5000])
def test_a_filter_value_beyond_the_column_is_refused_with_a_message(app, client, login_as, value):
    # Dossier filter 0 is the agency (an INTEGER column; PostgreSQL: "integer out of range"):
    # refused like any invalid value, and shown shortened (the message travels in the session
    # cookie).
    login_as("admin")
    response = client.get(f"/dossier/?flt0_0={value}")
    assert response.status_code == 200
    shown = value if len(value) <= 40 else value[:40] + "…"
    assert f"Giá trị bộ lọc không hợp lệ: {shown}\n" in response.text


def test_a_thousand_word_search_uses_the_first_words(app, client, login_as):
    # SQLite: "Expression tree is too large (maximum depth 1000)".
    login_as("admin")
    response = client.get("/agency/", query_string={"search": "giao " + WORDS_1000})
    assert response.status_code == 200
    assert "Chỉ 10 từ đầu tiên của nội dung tìm kiếm được dùng." in response.text
    response = client.get("/agency/", query_string={"search": "giao thong"})
    assert "Sở Giao thông vận tải" in response.text and "Chỉ 10 từ" not in response.text


@pytest.mark.parametrize(
    "args",
    [
        "offset=100000000000000000000000000000",
        "offset=9223372036854775807",
        "query=" + WORDS_1000.replace(" ", "+"),
    ],
)
def test_ajax_picker_with_a_huge_offset_or_long_query_answers_an_empty_page(
    app, client, login_as, args
):
    login_as("admin")
    response = client.get(f"/field/ajax/lookup/?name=agency&{args}")
    assert response.status_code == 200
    assert response.json == []


@pytest.mark.parametrize("until", ["0001-01", "0001-11", "9999-12", "99999999999-01", "2019-13"])
def test_home_page_with_a_month_at_the_end_of_the_calendar(client, login_as, until):
    login_as("manager")
    response = client.get(f"/?until={until}")
    assert response.status_code == 200


def test_a_nul_byte_in_the_login_username_is_a_bad_request(client, users):
    # PostgreSQL: "A string literal cannot contain NUL (0x00) characters".
    response = client.post("/login", data={"username": "admin1\x00", "password": "x"})
    assert response.status_code == 400
    assert "ký tự không được phép (NUL)" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/dossier/?search=a%00b",
        "/agency/?flt0_0=a%00",
        "/procedure/ajax/lookup/?name=field&query=%00",
        "/agency/details/?id=1%00",
    ],
)
def test_a_nul_byte_anywhere_in_the_query_is_a_bad_request(client_request, url):
    assert "ký tự không được phép (NUL)" in client_request("admin", url, status=400).text


def test_a_nul_byte_in_a_form_is_refused_and_nothing_is_written(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/agency/new/",
        data={
            "code": "X\x00",
            "name": "Sở X",
            "short_name": "X",
            "kind": "department",
            "sort_order": "1",
            "active": "y",
        },
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Agency).filter(Agency.name == "Sở X").count() == 0


# ---- item 2: database errors ----------------------------------------------------------------


@pytest.fixture
def logs(app, caplog, monkeypatch):
    # Alembic's logging set-up (the schema is built with the migrations) disables the loggers
    # that existed before it, the app's among them.
    monkeypatch.setattr(app.logger, "disabled", False)
    with caplog.at_level(logging.ERROR):
        yield caplog


def _reference(text):
    match = re.search(r"tham chiếu:? ([23456789A-HJ-NP-Z]{5})", text)
    assert match, text[-2000:]
    return match.group(1)


def test_a_database_error_on_save_shows_a_reference_not_the_sql(
    app, client, login_as, monkeypatch, logs
):
    """A constraint the form does not check (here a forced bad agency kind): Flask-Admin
    flashed the exception text — the INSERT statement and its parameters."""

    def force_bad_kind(self, form, model, is_created):
        model.kind = "bogus"  # the CHECK constraint refuses it at commit

    monkeypatch.setattr(AgencyView, "on_model_change", force_bad_kind, raising=False)
    login_as("admin")
    response = client.post(
        "/agency/new/",
        follow_redirects=True,
        data={
            "code": "SXD",
            "name": "Sở Xây dựng",
            "short_name": "SXD",
            "kind": "department",
            "sort_order": "3",
            "active": "y",
        },
    )
    page = response.text
    assert response.status_code == 200
    assert "Chưa lưu được thay đổi, dữ liệu vẫn như cũ" in page
    assert not any(s in page for s in SQL + ("bogus", "CHECK", "constraint", "IntegrityError"))
    reference = _reference(page)
    logged = "\n".join(
        r.getMessage() + (r.exc_text or "") for r in logs.records if reference in r.getMessage()
    )
    assert "INSERT INTO agency" in logged or "IntegrityError" in logged  # the detail: logged
    with app.app_context():
        assert db.session.query(Agency).filter_by(code="SXD").count() == 0


def test_a_database_error_on_delete_shows_a_reference_not_the_sql(
    app, client, login_as, monkeypatch
):

    with app.app_context():
        day = CalendarDay(date=dt.date(2019, 12, 31), is_working_day=False)
        db.session.add(day)
        db.session.commit()
        day_id = day.id

    def lost_connection(self, model):
        raise OperationalError(
            "DELETE FROM calendar_day WHERE id = %s",
            (day_id,),
            Exception("server closed the connection unexpectedly"),
        )

    monkeypatch.setattr(CalendarDayView, "on_model_delete", lost_connection, raising=False)
    login_as("admin")
    for url, data in (
        ("/calendar_day/delete/", {"id": day_id}),
        ("/calendar_day/action/", {"action": "delete", "rowid": day_id}),
    ):
        page = client.post(url, data=data, follow_redirects=True).text
        assert "Chưa lưu được thay đổi" in page and _reference(page)
        assert not any(s in page for s in ("DELETE FROM", "server closed"))


def test_an_unexpected_error_page_shows_a_reference(app, client, login_as, monkeypatch, logs):

    def broken(*args, **kwargs):
        raise ProgrammingError("SELECT secret FROM agency", {}, Exception("no such column"))

    monkeypatch.setattr(views.reports.reports, "build_report", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, not a raise
    login_as("manager")
    response = client.get("/report/")
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.text
    assert not any(s in response.text for s in SQL + ("secret", "no such column"))
    reference = _reference(response.text)
    records = [r for r in logs.records if reference in r.getMessage()]
    assert len(records) == 1 and "SELECT secret" in records[0].exc_text  # logged once, in full


def test_the_batch_delete_action_deletes(app, client, login_as):
    # Flask-Admin's delete action compared the integer ids with text: PostgreSQL refused it.
    with app.app_context():
        days = [CalendarDay(date=dt.date(2019, 12, d), is_working_day=False) for d in (30, 31)]
        db.session.add_all(days)
        db.session.commit()
        ids = [d.id for d in days]
    login_as("admin")
    page = client.post(
        "/calendar_day/action/", data={"action": "delete", "rowid": ids}, follow_redirects=True
    ).text
    assert "alert-success" in page and "alert-danger" not in page
    with app.app_context():
        assert db.session.query(CalendarDay).count() == 0
