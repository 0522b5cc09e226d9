"""A username is one account whatever the case: the user screen posted as the browser sends it
(CSRF on) refuses "canbo.tuphap2" beside "Canbo.TuPhap2" with a clear message naming the
existing account (not a 500), the login finds the account whatever case and spaces are typed
and counts the failures of all of them against one limit, and `flask users create` refuses
the same name in another case (found by a review: both accounts were saved, and the second
one's login refused the first one's password)."""

from __future__ import annotations

from sqlalchemy import select

from models import User, db
from tests.browser_forms import field_errors, open_form
from tests.factories import csrf_token, login_with_csrf, user_agencies

TAKEN_VI = "Đã có tài khoản canbo.tuphap2 (tên đăng nhập không phân biệt chữ hoa, chữ thường)."
TAKEN_EN = (
    "A user with the username canbo.tuphap2 already exists (usernames do not distinguish"
    " capital letters)."
)
NEW_PASSWORD = "mật khẩu mới 42"


def _usernames(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(User.username)))


def _new_user(app, client, username: str, role: str):
    form = open_form(client, "/user/new/")
    form.set("username", username)
    form.set("full_name", "Cán bộ Sở Tư pháp")
    form.set("role", role)
    if role == "staff":
        with app.app_context():
            form.set("agencies", user_agencies()[1].id)
    form.set("new_password", NEW_PASSWORD)
    return form.submit(client)


def test_the_user_screen_refuses_a_username_that_differs_only_by_case(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    # The reviewer's clerk: saved, in lower case.
    assert _new_user(csrf_app, client, "Canbo.TuPhap2", "staff").status_code == 302
    assert _usernames(csrf_app) == ["admin1", "canbo.tuphap2", "manager1", "staff1"]

    # The reviewer's manager with the same name in another case: refused, one message.
    for typed in ("canbo.tuphap2", " CANBO.TUPHAP2 ", "Canbo.TuPhap2"):
        response = _new_user(csrf_app, client, typed, "manager")
        assert response.status_code == 200, typed
        assert field_errors(response) == TAKEN_VI, typed
    assert _usernames(csrf_app) == ["admin1", "canbo.tuphap2", "manager1", "staff1"]

    # Editing: the account saved with its own name in another case is no clash with itself;
    # another account renamed to it is refused.
    with csrf_app.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
    form = open_form(client, f"/user/edit/?id={ids['canbo.tuphap2']}")
    assert form.get("username") == "canbo.tuphap2"
    form.set("username", "CanBo.TuPhap2")
    assert form.submit(client).status_code == 302
    form = open_form(client, f"/user/edit/?id={ids['manager1']}")
    form.set("username", "Canbo.Tuphap2")
    response = form.submit(client)
    assert response.status_code == 200 and field_errors(response) == TAKEN_VI
    assert _usernames(csrf_app) == ["admin1", "canbo.tuphap2", "manager1", "staff1"]

    client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    assert field_errors(_new_user(csrf_app, client, "CANBO.tuphap2", "manager")) == TAKEN_EN


def test_the_login_finds_the_account_whatever_the_case_and_spaces(csrf_app, csrf_login_as):
    _new_user(csrf_app, csrf_login_as("admin"), "Canbo.TuPhap2", "staff")
    for typed in ("canbo.tuphap2", "Canbo.TuPhap2", " CANBO.TUPHAP2 "):
        client = csrf_app.test_client()
        response = login_with_csrf(client, typed, NEW_PASSWORD)
        assert response.status_code == 302, (typed, response.get_data(as_text=True)[:300])
        assert client.get("/dossier/").status_code == 200
    # The seed's and the tests' own lower-case names still log in as typed.
    assert login_with_csrf(csrf_app.test_client(), "staff1").status_code == 302
    assert login_with_csrf(csrf_app.test_client(), "Admin1").status_code == 302


def test_the_failures_of_every_case_count_against_one_limit(csrf_app, csrf_login_as):
    _new_user(csrf_app, csrf_login_as("admin"), "Canbo.TuPhap2", "staff")
    csrf_app.config["LOGIN_LIMIT_PER_USER"] = "4 per 15 minutes"
    for n, typed in enumerate(
        ("Canbo.TuPhap2", "canbo.tuphap2 ", " CANBO.TUPHAP2", "canBO.tuphap2")
    ):
        client = csrf_app.test_client()  # another computer each time: the username's limit
        response = login_with_csrf(client, typed, "wrong password")
        assert response.status_code == 401, n
    refused = login_with_csrf(csrf_app.test_client(), "canbo.tuphap2", NEW_PASSWORD)
    assert refused.status_code == 429


def test_the_user_command_refuses_the_same_name_in_another_case(app, users):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", " Canbo.TuPhap2", "--role", "manager", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert "created manager canbo.tuphap2" in created.output
    again = runner.invoke(
        args=["users", "create", "canbo.tuphap2", "--role", "staff", "--agency", "STP"]
        + ["--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert again.exit_code != 0
    assert "Đã có tài khoản canbo.tuphap2 (tên đăng nhập không phân biệt" in again.output
    assert _usernames(app) == ["admin1", "canbo.tuphap2", "manager1", "staff1"]
