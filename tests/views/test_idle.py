"""The idle timeout (PERMANENT_SESSION_LIFETIME, refreshed by every request) throws nothing
away: pages warn before it, a keep-alive extends it, and a form posted after it is kept and
shown again, filled, once its author has logged in again. Posts are sent as a browser sends them
(Origin and Referer of the page the form is on); expiry is simulated by the session clock."""

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from models import Dossier, FormDraft, Procedure, User, db
from tests.factories import PASSWORD, create_agency, create_user

HOST = "http://localhost"


def _token(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"|'
        r'name="csrf_token" value="([^"]+)"',
        page.get_data(as_text=True),
    )
    return match.group(1) or match.group(2)


def _browser_post(client, url, data, page=None):
    """A form post as Chromium sends it: from the page it is on (same origin)."""
    return client.post(url, data=data, headers={"Origin": HOST, "Referer": HOST + (page or url)})


def _world(app):
    with app.app_context():
        agency = create_agency()
        create_user("staff1", "staff", [agency])
        create_user("staff2", "staff", [agency])
        create_user("admin1", "admin")
        proc = Procedure(
            code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        db.session.add(proc)
        db.session.commit()
        return proc.id


def _login(client, username="staff1", next_url=None):
    data = {"username": username, "password": PASSWORD, "csrf_token": _token(client, "/login")}
    if next_url:
        data["next"] = next_url
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


INTAKE = "/dossier/new/?url=%2Fdossier%2F"


def _intake(procedure_id, token):
    return {
        "csrf_token": token,
        "procedure": str(procedure_id),
        "applicant_name": "Lương Thị Hồng Nhung",
        "applicant_kind": "citizen",
        "phone": "0912345678",
        "address": "Số 5 Lê Lợi, Lạng Sơn",
        "channel": "direct",
        "return_channel": "postal",
        "note": "Khách hẹn quay lại chiều nay",
        "documents-0-name": "Đơn đề nghị",
        "documents-0-kind": "original",
        "documents-0-copies": "1",
    }


def _dossiers(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Dossier))


def test_a_session_ends_after_the_idle_time(csrf_app, session_clock):
    _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    session_clock(minutes=29)
    assert client.get("/dossier/").status_code == 200  # each request starts the 30 min again
    session_clock(minutes=29)
    assert client.get("/dossier/").status_code == 200
    session_clock(minutes=31)
    response = client.get("/dossier/")
    assert response.status_code == 302 and "/login" in response.location


def test_an_expired_intake_form_is_kept_and_shown_again_after_login(csrf_app, session_clock):
    procedure_id = _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    token = _token(client, INTAKE)
    session_clock(minutes=31)  # the clerk typed for more than half an hour
    response = _browser_post(client, INTAKE, _intake(procedure_id, token))

    # Not a bare "Lỗi 400": a Vietnamese page that explains and offers to log in again.
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Lỗi 400" not in page and "Phiên làm việc đã hết hạn" in page
    assert "Nội dung bạn đã nhập đã được giữ lại" in page
    login_link = re.search(r'id="login-again" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    next_url = parse_qs(urlsplit(login_link).query)["next"][0]
    assert next_url.startswith("/dossier/new/?") and "_draft=" in next_url
    assert "url=%2Fdossier%2F" in next_url  # the page's own query is kept
    assert _dossiers(csrf_app) == 0  # nothing saved by itself
    with csrf_app.app_context():
        draft = db.session.scalar(select(FormDraft))
        kept = dict(draft.fields)
        assert "csrf_token" not in kept and kept["applicant_name"] == "Lương Thị Hồng Nhung"
        # The expired cookie still names its login: the draft is that clerk's alone.
        assert draft.user_id == db.session.scalar(select(User.id).filter_by(username="staff1"))

    # Another clerk logging in on the same browser does not get it (nor uses it up).
    other = csrf_app.test_client()
    other.set_cookie(
        "session", client.get_cookie("session").value, domain=client.get_cookie("session").domain
    )
    _login(other, "staff2")
    assert "Lương Thị Hồng Nhung" not in other.get(next_url).get_data(as_text=True)

    response = _login(client, next_url=next_url)
    assert response.location == next_url
    form = client.get(next_url).get_data(as_text=True)
    assert 'value="Lương Thị Hồng Nhung"' in form and 'value="0912345678"' in form
    assert "Khách hẹn quay lại chiều nay" in form and 'value="Đơn đề nghị"' in form
    assert re.search(r'<option selected value="postal">|<option value="postal" selected', form)
    assert "Phiên làm việc đã hết hạn" in form  # a notice says why the form is filled
    assert _dossiers(csrf_app) == 0
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0  # shown once
    assert "Lương Thị Hồng Nhung" not in client.get(next_url).get_data(as_text=True)

    # Saving the refilled form takes the dossier in.
    data = _intake(procedure_id, _token(client, INTAKE))
    assert _browser_post(client, INTAKE, data).status_code == 302
    assert _dossiers(csrf_app) == 1


def test_an_expired_edit_keeps_the_version_the_clerk_saw(csrf_app, session_clock):
    procedure_id = _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    data = _intake(procedure_id, _token(client, INTAKE))
    _browser_post(client, INTAKE, data)
    with csrf_app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id))
    edit = f"/dossier/edit/?id={dossier_id}&url=%2Fdossier%2F"
    page = client.get(edit).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="form_version" type="hidden" value="([^"]+)"', page).group(1)
    session_clock(minutes=31)
    posted = {
        "csrf_token": token,
        "form_version": version,
        "applicant_name": "Tên đã sửa",
        "applicant_kind": "citizen",
        "return_channel": "counter",
    }
    response = _browser_post(client, edit, posted)
    assert response.status_code == 401
    with csrf_app.app_context():  # meanwhile a colleague changes the dossier
        dossier = db.session.get(Dossier, dossier_id)
        dossier.note = "Đồng nghiệp sửa"
        db.session.commit()
    next_url = parse_qs(
        urlsplit(
            re.search(r'id="login-again" href="([^"]+)"', response.get_data(as_text=True))
            .group(1)
            .replace("&amp;", "&")
        ).query
    )["next"][0]
    _login(client, next_url=next_url)
    form = client.get(next_url).get_data(as_text=True)
    assert 'value="Tên đã sửa"' in form
    # The version of the page the clerk had: saving it now is refused as a conflict.
    assert f'name="form_version" type="hidden" value="{version}"' in form


def test_passwords_are_never_kept(csrf_app, session_clock):
    _world(csrf_app)
    client = csrf_app.test_client()
    _login(client, "admin1")
    token = _token(client, "/user/new/")
    session_clock(minutes=31)
    response = _browser_post(
        client,
        "/user/new/",
        {
            "csrf_token": token,
            "username": "newclerk",
            "full_name": "Cán bộ Mới",
            "role": "staff",
            "new_password": "a secret 1234",
            "password": "another secret",
        },
    )
    assert response.status_code == 401
    with csrf_app.app_context():
        kept = dict(db.session.scalar(select(FormDraft)).fields)
        assert kept["username"] == "newclerk"
        assert not any("password" in name for name in kept)
        assert "secret" not in repr(kept)


def test_a_post_from_another_site_is_not_kept(csrf_app, session_clock):
    procedure_id = _world(csrf_app)
    client = csrf_app.test_client()
    response = client.post(
        INTAKE,
        data=_intake(procedure_id, "x"),
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/form"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "Phiên làm việc đã hết hạn" in page
    assert "Nội dung bạn đã nhập đã được giữ lại" not in page
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0
    # ...nor a post without any sign of where it came from
    client.post(INTAKE, data=_intake(procedure_id, "x"))
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0


def test_a_draft_is_only_for_its_page_and_its_author(csrf_app, session_clock):
    procedure_id = _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    token = _token(client, INTAKE)
    # Another tab logged in again meanwhile: the session lives but the form's token is old.
    other = csrf_app.test_client()
    _login(other, "staff2")
    client.post("/logout", data={"csrf_token": _token(client, "/dossier/")})
    _login(client)
    response = _browser_post(client, INTAKE, _intake(procedure_id, token))
    # Still logged in: straight back to the form, filled.
    assert response.status_code == 302 and "_draft=" in response.location
    key = parse_qs(urlsplit(response.location).query)["_draft"][0]
    # Only its author, only on its page.
    assert "Lương Thị Hồng Nhung" not in other.get(f"/dossier/new/?_draft={key}").get_data(
        as_text=True
    )
    assert "Lương Thị Hồng Nhung" not in client.get(f"/feedback/new/?_draft={key}").get_data(
        as_text=True
    )
    assert _dossiers(csrf_app) == 0


def test_the_keep_alive_extends_the_session(csrf_app, session_clock):
    _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    page = client.get("/dossier/").get_data(as_text=True)
    script = re.search(r'<script[^>]*id="idle-timeout"[^>]*>', page).group(0)
    assert "motcua_idle.js" in script and "1800" in script  # 30 minutes, warned before
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session_clock(minutes=25)
    response = client.post("/session/keep-alive", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["idle_seconds"] == 1800
    session_clock(minutes=25)  # 50 minutes after the last page, 25 after the keep-alive
    assert client.get("/dossier/").status_code == 200
    session_clock(minutes=31)
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 401


def test_the_login_page_left_open_asks_again_instead_of_failing(csrf_app, session_clock):
    _world(csrf_app)
    client = csrf_app.test_client()
    token = _token(client, "/login?next=/dossier/")
    session_clock(minutes=31)
    response = _browser_post(
        client,
        "/login?next=/dossier/",
        {"csrf_token": token, "username": "staff1", "password": PASSWORD, "next": "/dossier/"},
    )
    assert response.status_code == 302 and "/login" in response.location
    assert "dossier" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Trang đã hết hạn" in page and PASSWORD not in page


def test_the_warning_script_is_not_on_pages_without_a_session(csrf_app):
    _world(csrf_app)
    client = csrf_app.test_client()
    assert "motcua_idle.js" not in client.get("/login").get_data(as_text=True)


def test_a_button_with_an_old_token_leads_back_to_its_page(csrf_app, session_clock):
    procedure_id = _world(csrf_app)
    client = csrf_app.test_client()
    _login(client)
    _browser_post(client, INTAKE, _intake(procedure_id, _token(client, INTAKE)))
    with csrf_app.app_context():
        dossier = db.session.scalar(select(Dossier))
        dossier_id, status, version = dossier.id, dossier.status, dossier.version
    details = f"/dossier/details/?id={dossier_id}"
    token = _token(client, details)
    client.post("/logout", data={"csrf_token": token})
    _login(client)  # e.g. in another tab: the page's token is now an old one
    response = _browser_post(
        client,
        "/dossier/transition/",
        {"csrf_token": token, "id": str(dossier_id), "version": str(version), "action": "resolve"},
        page=details,
    )
    assert response.status_code == 302 and response.location == details
    assert "chưa có gì được thay đổi" in client.get(details).get_data(as_text=True)
    with csrf_app.app_context():
        assert db.session.get(Dossier, dossier_id).status == status
    # Logged out meanwhile: the explanation, and a login that leads back to the dossier.
    session_clock(minutes=31)
    response = _browser_post(
        client,
        "/dossier/transition/",
        {"csrf_token": token, "id": str(dossier_id), "version": str(version), "action": "resolve"},
        page=details,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "Phiên làm việc đã hết hạn" in page
    assert "Nội dung bạn đã nhập đã được giữ lại" not in page
    link = re.search(r'id="login-again" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["next"] == [details]
