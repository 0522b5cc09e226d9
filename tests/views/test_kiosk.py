"""Kiosk mode: the rating tablet runs all day on its own long-lived credential, which can only
show one officer's rating screen and post ratings; a staff login starts and ends it."""

import datetime as dt
import re

import pytest

from domain import kiosk
from models import Agency, KioskDevice, StaffRating, User, UserSession, db, utcnow
from tests.factories import PASSWORD, create_agency, create_user, login
from tests.factories import csrf_token as _token

COOKIE = "motcua_kiosk"


def _ids(app):
    with app.app_context():
        return {u.username: u.id for u in db.session.query(User)}


def _start(client, officer_id):
    """Start kiosk mode as the logged-in user; returns the device's token (its cookie)."""
    response = client.post("/kiosk/start/", data={"officer": str(officer_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.location.endswith("/kiosk/device/")
    cookie = client.get_cookie(COOKIE, path="/kiosk/")
    assert cookie is not None
    return cookie.value


def _form_token(client):
    page = client.get("/kiosk/device/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _ratings(app):
    with app.app_context():
        return [
            (r.staff_id, r.level, r.channel)
            for r in db.session.query(StaffRating).order_by(StaffRating.id)
        ]


def test_staff_start_kiosk_mode_and_the_tablet_rates_that_officer(app, client, login_as):
    ids = _ids(app)
    login_as("staff")
    page = client.get("/kiosk/start/").get_data(as_text=True)
    assert "Staff1" in page and 'id="kiosk-start"' in page
    token = _start(client, ids["staff1"])
    raw = [
        h
        for h in client.get("/kiosk/device/").headers.getlist("Set-Cookie")
        if h.startswith(COOKIE)
    ]
    with app.app_context():
        device = db.session.query(KioskDevice).one()
        # Only the hash is stored; the credential is long-lived (hours, not the 30 minutes).
        assert device.token_hash == kiosk.hash_token(token) and token not in device.token_hash
        assert device.officer_id == ids["staff1"] and device.started_by_id == ids["staff1"]
        assert device.expires_at - device.started_at >= dt.timedelta(hours=12)
    assert raw == []  # not renewed on every request
    # The staff login on the tablet is over (on the server too): only the kiosk credential.
    assert client.get("/dossier/").status_code == 302
    with app.app_context():
        assert db.session.query(UserSession).count() == 0

    screen = client.get("/kiosk/device/")
    assert screen.status_code == 200
    text = screen.get_data(as_text=True)
    assert "Staff1" in text and "Rất hài lòng" in text and "Không hài lòng" in text
    response = client.post(
        "/kiosk/device/", data={"level": "very_satisfied", "csrf_token": _form_token(client)}
    )
    assert response.status_code == 302
    assert "Xin cảm ơn" in client.get(response.location).get_data(as_text=True)
    assert _ratings(app) == [(ids["staff1"], "very_satisfied", "kiosk")]
    # /kiosk/ on the tablet leads to its rating screen.
    assert client.get("/kiosk/").location.endswith("/kiosk/device/")


def test_the_kiosk_cookie_is_long_lived_strict_and_only_for_the_kiosk(app, client, login_as):
    ids = _ids(app)
    login_as("staff")
    response = client.post("/kiosk/start/", data={"officer": str(ids["staff1"])})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    assert "Path=/kiosk/" in header and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Expires=" in header


def test_the_kiosk_credential_opens_no_other_page(app, client, login_as):
    ids = _ids(app)
    login_as("staff")
    token = _start(client, ids["staff1"])
    # Even sent to every path, the credential is no login.
    client.set_cookie(COOKIE, token, path="/")
    admin = app.extensions["admin"][0]
    urls = {(view.blueprint.url_prefix or "").rstrip("/") + "/" for view in admin._views} | {
        "/",
        "/dossier/new/",
        "/dossier/details/?id=1",
        "/staff_rating/totals/",
        "/payment/new/",
        "/kiosk/start/",
        "/kiosk/end/",
        "/user/",
        "/report/",
    }
    for url in sorted(urls):
        response = client.get(url)
        if url == "/kiosk/":
            assert response.location.endswith("/kiosk/device/"), url
            continue
        assert response.status_code == 302 and "/login" in response.location, (url, response)
    posted = client.post("/kiosk/start/", data={"officer": str(ids["staff1"])})
    assert posted.status_code == 302 and "/login" in posted.location
    assert client.post("/kiosk/", data={"level": "satisfied"}).status_code == 302
    assert _ratings(app) == []
    with app.app_context():
        assert db.session.query(KioskDevice).count() == 1


def test_a_forged_officer_or_form_is_refused(app, client, login_as):
    with app.app_context():
        create_user("staff2", "staff", [db.session.query(Agency).filter_by(code="STP").one()])
        db.session.commit()
    ids = _ids(app)
    login_as("staff")
    _start(client, ids["staff1"])
    app.config["WTF_CSRF_ENABLED"] = True  # the tablet's form is checked like any other
    form = _form_token(client)
    forged = client.post(
        "/kiosk/device/",
        data={"level": "unsatisfied", "csrf_token": form, "staff_id": str(ids["staff2"])},
    )
    assert forged.status_code == 403
    assert "Máy đánh giá chỉ ghi nhận đánh giá cho cán bộ" in forged.get_data(as_text=True)
    stale = client.post("/kiosk/device/", data={"level": "satisfied"})
    assert stale.status_code == 400  # no token: nothing recorded, the screen again
    assert "bấm lại" in stale.get_data(as_text=True) and 'id="rate-satisfied"' in stale.get_data(
        as_text=True
    )
    assert (
        client.post(
            "/kiosk/device/", data={"level": "satisfied", "csrf_token": "x" * 64}
        ).status_code
        == 400
    )
    assert (
        client.post("/kiosk/device/", data={"level": "excellent", "csrf_token": form}).status_code
        == 400
    )
    assert _ratings(app) == []
    ok = client.post(
        "/kiosk/device/",
        data={"level": "satisfied", "csrf_token": form, "staff_id": str(ids["staff1"])},
    )
    assert ok.status_code == 302
    assert _ratings(app) == [(ids["staff1"], "satisfied", "kiosk")]


def test_ending_kiosk_mode_needs_a_staff_login_and_revokes_the_credential(app, client, login_as):
    ids = _ids(app)
    login_as("staff")
    token = _start(client, ids["staff1"])
    form = _form_token(client)
    # Someone at the tablet: the end page asks for a staff login.
    response = client.get("/kiosk/end/")
    assert response.status_code == 302 and "/login" in response.location
    assert "kiosk" in response.location
    login(client, "manager1")
    assert client.get("/kiosk/end/").status_code == 403
    client.post("/logout")
    client.set_cookie(COOKIE, token, path="/kiosk/")  # logout is not the end of kiosk mode
    login_as("staff")
    page = client.get("/kiosk/end/").get_data(as_text=True)
    assert "Staff1" in page and 'id="kiosk-end"' in page
    response = client.post("/kiosk/end/")
    assert response.status_code == 302
    assert client.get_cookie(COOKIE, path="/kiosk/") is None
    with app.app_context():
        device = db.session.query(KioskDevice).one()
        assert device.revoked_at is not None and device.revoked_by_id == ids["staff1"]
    # The old credential, kept by a copy of the cookie, is refused.
    client.post("/logout")
    client.set_cookie(COOKIE, token, path="/kiosk/")
    refused = client.get("/kiosk/device/")
    assert refused.status_code == 403
    assert "đăng nhập" in refused.get_data(as_text=True)
    assert (
        client.post("/kiosk/device/", data={"level": "satisfied", "csrf_token": form}).status_code
        == 403
    )
    assert _ratings(app) == []


def test_an_admin_ends_a_lost_tablet_from_the_device_list(app, client, login_as):
    ids = _ids(app)
    login_as("admin")
    assert client.get("/kiosk/").location.endswith("/kiosk/start/")
    token = _start(client, ids["staff1"])
    with app.app_context():
        device_id = db.session.query(KioskDevice.id).scalar()
    login_as("admin")
    listing = client.get("/kiosk_device/").get_data(as_text=True)
    assert "Staff1" in listing
    assert token not in listing and kiosk.hash_token(token) not in listing
    client.post("/kiosk_device/action/", data={"action": "revoke", "rowid": [device_id]})
    client.post("/logout")
    client.set_cookie(COOKIE, token, path="/kiosk/")
    assert client.get("/kiosk/device/").status_code == 403


def test_who_may_start_kiosk_mode_for_whom(app, client, login_as):
    with app.app_context():
        stp = db.session.query(Agency).filter_by(code="STP").one()
        create_user("staff2", "staff", [stp])
        db.session.commit()
    ids = _ids(app)
    assert client.get("/kiosk/start/").status_code == 302  # anonymous: log in first
    login_as("manager")
    assert client.get("/kiosk/start/").status_code == 403
    assert client.post("/kiosk/start/", data={"officer": str(ids["staff1"])}).status_code == 403
    client.post("/logout")
    login_as("staff")
    page = client.get("/kiosk/start/").get_data(as_text=True)
    assert "Staff2" not in page  # another agency's officer is not offered...
    refused = client.post("/kiosk/start/", data={"officer": str(ids["staff2"])})
    assert refused.status_code == 400  # ...nor accepted
    client.post("/logout")
    login_as("admin")
    refused = client.post("/kiosk/start/", data={"officer": str(ids["manager1"])})
    assert refused.status_code == 400  # only counter officers are rated
    _start(client, ids["staff2"])
    with app.app_context():
        device = db.session.query(KioskDevice).one()
        assert (device.officer_id, device.started_by_id) == (ids["staff2"], ids["admin1"])


def test_expiry_renewal_and_a_deactivated_officer(app, users):
    idle, max_life = dt.timedelta(hours=12), dt.timedelta(hours=24)
    with app.app_context():
        staff = db.session.query(User).filter_by(username="staff1").one()
        start = dt.datetime(2019, 3, 4, 7, 30)
        device, token = kiosk.start(db.session, staff, staff, start, idle, max_life)
        db.session.commit()
        assert kiosk.find(db.session, token, start + dt.timedelta(hours=11)) is device
        assert kiosk.find(db.session, token, start + dt.timedelta(hours=12)) is None
        assert kiosk.find(db.session, "another", start) is None
        # A use renews it (at most twice per idle period), never past the maximum life.
        assert not kiosk.renew(device, start + dt.timedelta(hours=1), idle, max_life)
        assert kiosk.renew(device, start + dt.timedelta(hours=8), idle, max_life)
        assert device.expires_at == start + dt.timedelta(hours=20)
        assert kiosk.renew(device, start + dt.timedelta(hours=19), idle, max_life)
        assert device.expires_at == start + max_life
        assert kiosk.find(db.session, token, start + dt.timedelta(hours=23)) is device
        assert kiosk.find(db.session, token, start + max_life) is None
        staff.active = False
        assert kiosk.find(db.session, token, start + dt.timedelta(hours=1)) is None


def test_an_expired_kiosk_is_refused_on_the_tablet(app, client, login_as):
    ids = _ids(app)
    login_as("staff")
    _start(client, ids["staff1"])
    form = _form_token(client)
    with app.app_context():
        device = db.session.query(KioskDevice).one()
        device.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert client.get("/kiosk/device/").status_code == 403
    assert (
        client.post("/kiosk/device/", data={"level": "satisfied", "csrf_token": form}).status_code
        == 403
    )
    assert _ratings(app) == []


def test_the_kiosk_start_form_needs_the_csrf_token(csrf_app):

    with csrf_app.app_context():
        create_user("staff1", "staff", [create_agency()])
        db.session.commit()
        staff_id = db.session.query(User.id).scalar()
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={"username": "staff1", "password": PASSWORD, "csrf_token": _token(client, "/login")},
    )
    assert client.post("/kiosk/start/", data={"officer": str(staff_id)}).status_code == 400
    with csrf_app.app_context():
        assert db.session.query(KioskDevice).count() == 0
    token = _token(client, "/kiosk/start/")
    response = client.post("/kiosk/start/", data={"officer": str(staff_id), "csrf_token": token})
    assert response.status_code == 302
    # The tablet's form token lives as long as its kiosk credential, not as its session.
    form = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/kiosk/device/").get_data(as_text=True)
    ).group(1)
    assert client.post("/kiosk/device/", data={"level": "satisfied"}).status_code == 400
    client.delete_cookie("session")  # as a browser drops a session cookie past its time
    assert (
        client.post("/kiosk/device/", data={"level": "satisfied", "csrf_token": form}).status_code
        == 302
    )
    with csrf_app.app_context():
        assert db.session.query(StaffRating).count() == 1


@pytest.mark.parametrize("idle_minutes", [31, 60 * 8])
def test_the_tablet_still_rates_after_idle_time(app, client, login_as, session_clock, idle_minutes):
    """The defect: after 30 idle minutes the next tap ended on an error page."""
    ids = _ids(app)
    app.config["WTF_CSRF_ENABLED"] = True

    client.post(
        "/login",
        data={"username": "staff1", "password": PASSWORD, "csrf_token": _token(client, "/login")},
    )
    token = _token(client, "/kiosk/start/")
    client.post("/kiosk/start/", data={"officer": str(ids["staff1"]), "csrf_token": token})
    form = _form_token(client)
    session_clock(minutes=idle_minutes)
    response = client.post("/kiosk/device/", data={"level": "satisfied", "csrf_token": form})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _ratings(app) == [(ids["staff1"], "satisfied", "kiosk")]
