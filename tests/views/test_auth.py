"""Login, logout, sessions and the user command."""

import re

import pytest

from models import AuditLog, User, db
from tests.factories import PASSWORD, create_user, login


def test_wrong_password_gives_one_clear_message(client, users):
    for username, password in (("admin1", "wrong"), ("nobody", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu".encode() in response.data
    assert client.get("/agency/").status_code == 302


def test_login_logout(client, users):
    response = login(client, "manager1")
    assert response.status_code == 302
    assert client.get("/agency/").status_code == 200
    assert client.get("/logout").status_code == 405  # logout is POST only
    assert client.post("/logout").status_code == 302
    assert client.get("/agency/").status_code == 302


def test_login_never_redirects_off_site(client, users):
    response = client.post(
        "/login", data={"username": "admin1", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.location == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r/evil.example/",
        "/ /evil.example/",
        "/\\evil.example/",
    ],
)
def test_login_refuses_next_that_browsers_turn_into_another_host(client, users, target):
    # Browsers drop tabs and newlines: "/<TAB>/evil.example" is "//evil.example" to them.
    response = client.post(
        "/login", data={"username": "admin1", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_login_with_a_nul_in_next_is_refused_not_redirected(client, users):
    # The NUL guard (views/errors.py) answers 400 to any input holding a NUL, before the login.
    response = client.post(
        "/login", data={"username": "admin1", "password": PASSWORD, "next": "/\x00/evil.example/"}
    )
    assert response.status_code == 400
    assert response.location is None


def test_login_keeps_a_same_site_next(client, users):
    response = client.post(
        "/login",
        data={"username": "admin1", "password": PASSWORD, "next": "/dossier/?search=nguyen%20van"},
    )
    assert response.location == "/dossier/?search=nguyen%20van"


def test_language_switch_never_redirects_off_site(client, users):
    response = client.post("/language", data={"lang": "en", "next": "/\t/evil.example/"})
    assert response.location == "/"


def test_inactive_user_cannot_log_in(app, client):
    with app.app_context():
        create_user("old", "manager").active = False
        db.session.commit()
    assert login(client, "old").status_code == 401


def test_password_hash_is_scrypt_at_production_cost(app, client, users):
    with app.app_context():
        user = db.session.query(User).filter_by(username="admin1").one()
        user.set_password("another password 7")
        db.session.commit()
        assert user.password_hash.startswith("scrypt:32768:8:1$")  # N=2**15, not the tests' cost
        assert "another password 7" not in user.password_hash
    assert login(client, "admin1", "another password 7").status_code == 302


def test_session_cookie_flags(app, client, users):
    response = login(client, "admin1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 3600


def test_users_create_command(app, users):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "hoa", "--role", "staff", "--agency", "SGTVT", "--password-stdin"],
        input="mat-khau-dai\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.query(User).filter_by(username="hoa").one()
        assert [a.code for a in user.agencies] == ["SGTVT"]
        assert user.check_password("mat-khau-dai")
    bad = runner.invoke(
        args=["users", "create", "x", "--role", "staff", "--password-stdin"], input="mat-khau-dai\n"
    )
    assert bad.exit_code != 0 and "agency" in bad.output
    short = runner.invoke(
        args=["users", "create", "y", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0
    with app.app_context():
        assert db.session.query(User).filter(User.username.in_(["x", "y"])).count() == 0


def test_vietnamese_is_the_default_and_english_selectable(client, users):
    login(client, "admin1")
    page = client.get("/procedure/").data.decode()
    assert "Thủ tục" in page
    client.post("/language", data={"lang": "en", "next": "/procedure/"})
    assert "Procedures" in client.get("/procedure/").data.decode()


def test_error_pages_are_vietnamese(client, login_as):
    login_as("staff")
    response = client.get("/user/")
    assert response.status_code == 403
    assert "Bạn không có quyền truy cập trang này." in response.get_data(as_text=True)
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "không tồn tại" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_csrf_failure_page_is_vietnamese(csrf_app):
    response = csrf_app.test_client().post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, users):
    other = app.test_client()
    for c in (client, other):
        assert login(c, "staff1").status_code == 302
    assert client.get("/dossier/").status_code == 200
    with app.app_context():  # e.g. an admin resets a leaked password
        db.session.query(User).filter_by(username="staff1").one().set_password("a new one 42")
        db.session.commit()
    assert client.get("/dossier/").status_code == 302  # back to the login page
    assert other.get("/dossier/").status_code == 302
    assert login(client, "staff1", "a new one 42").status_code == 302
    assert client.get("/dossier/").status_code == 200


def test_an_unchanged_password_keeps_the_session_and_the_audit_actor(app, client, users):

    assert login(client, "admin1").status_code == 302
    response = client.post("/calendar_day/new/", data={"date": "2019-12-31", "note": "x"})
    assert response.status_code == 302
    with app.app_context():
        admin = db.session.query(User).filter_by(username="admin1").one()
        row = db.session.query(AuditLog).filter_by(table_name="calendar_day").one()
        assert row.user_id == admin.id


def test_unknown_and_inactive_usernames_cost_a_password_check_too(app, client, users, monkeypatch):
    # Without it, "no such user" answers at once and a slow answer means "this user exists".
    with app.app_context():
        create_user("gone", "staff").active = False
        db.session.commit()
    calls = []
    original = User.check_password
    monkeypatch.setattr(
        User,
        "check_password",
        lambda self, password: calls.append(self.username) or original(self, password),
    )
    for username in ("nobody", "gone", "staff1"):
        calls.clear()
        response = client.post("/login", data={"username": username, "password": "wrong pw 1"})
        assert response.status_code == 401
        assert len(calls) == 1, username
    assert client.get("/dossier/").status_code == 302


def test_the_login_is_one_login_row_under_the_user(app, client, users):
    """One "Đăng nhập" row per login, not an update of the user's last_login_at (those
    drowned the audit log: 47 of 126 rows)."""

    with app.app_context():
        before = db.session.query(AuditLog).count()
    login(client, "manager1")
    with app.app_context():
        rows = db.session.query(AuditLog).order_by(AuditLog.id).all()[before:]
        assert [(r.action, r.table_name) for r in rows] == [("login", "user")]
        assert rows[0].user.username == "manager1" and rows[0].ip == "127.0.0.1"
        assert rows[0].row_id == rows[0].user_id
        assert db.session.query(User).filter_by(username="manager1").one().last_login_at
    client.post("/logout")
    login(client, "admin1")
    client.get("/")  # browsing writes nothing
    page = client.get("/audit_log/").get_data(as_text=True)
    actions = re.findall(r'<td class="col-action">\s*([^<]*?)\s*</td>', page)
    assert actions.count("Đăng nhập") == 2 and "Thay đổi" not in actions
