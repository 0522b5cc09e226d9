"""Server-side sessions: logging out, a new password and deactivation end every copy of a
session, even a cookie copied before; another device's session lives on."""

import datetime as dt

import pytest
from sqlalchemy import select

from models import AuditLog, User, UserSession, db, utcnow
from tests.factories import PASSWORD, login, user_agencies


def _copy_of_session(app, client):
    """A second browser holding a copy of the first one's session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/dossier/").status_code == 200
    return thief


def test_logout_ends_every_copy_of_the_session(app, client, users):
    assert login(client, "staff1").status_code == 302
    thief = _copy_of_session(app, client)
    assert client.post("/logout").status_code == 302
    response = thief.get("/dossier/")
    assert response.status_code == 302 and "/login" in response.location


def test_logout_leaves_the_users_other_devices_logged_in(app, client, users):
    other = app.test_client()
    for c in (client, other):
        assert login(c, "staff1").status_code == 302
    client.post("/logout")
    assert client.get("/dossier/").status_code == 302
    assert other.get("/dossier/").status_code == 200


def test_deactivating_a_user_ends_their_sessions(app, client, users):
    victim = app.test_client()
    assert login(victim, "staff1").status_code == 302
    assert login(client, "admin1").status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(username="staff1").one()
        user_id, agency_id = user.id, user.agencies[0].id
    # The admin unticks "active" in the user form, as the browser posts it.
    response = client.post(
        f"/user/edit/?id={user_id}",
        data={
            "username": "staff1",
            "full_name": "Staff1",
            "role": "staff",
            "agencies": str(agency_id),
            "counter_no": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.get(User, user_id).active is False
    response = victim.get("/dossier/")
    assert response.status_code == 302 and "/login" in response.location


def test_a_password_change_ends_every_session_of_the_user(app, client, users):
    thief = app.test_client()
    assert login(client, "staff1").status_code == 302
    thief = _copy_of_session(app, client)
    with app.app_context():
        db.session.query(User).filter_by(username="staff1").one().set_password("a new one 42")
        db.session.commit()

        assert db.session.query(UserSession).count() == 0
    assert client.get("/dossier/").status_code == 302
    assert thief.get("/dossier/").status_code == 302


def test_the_database_never_holds_the_session_secret(app, client, users):
    # Whoever reads the table (a backup, a manager reading the audit log) cannot open a session.
    login(client, "manager1")
    cookie_user_id = _session_user_id(app, client)

    with app.app_context():
        (row,) = db.session.query(UserSession).all()
        token = cookie_user_id.partition(":")[2]
        assert token and row.id != token and token not in row.id

        assert not db.session.query(AuditLog).filter_by(table_name="user_session").count()


def test_a_forged_or_unknown_session_id_is_anonymous(app, client, users):
    login(client, "manager1")
    with client.session_transaction() as flask_session:
        uid = flask_session["_user_id"].partition(":")[0]
        flask_session["_user_id"] = f"{uid}:not-a-session"
    assert client.get("/dossier/").status_code == 302
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = "nonsense"
    assert client.get("/dossier/").status_code == 302


def test_login_again_after_logout_works(app, client, users):
    assert login(client, "admin1").status_code == 302
    client.post("/logout")
    assert login(client, "admin1", PASSWORD).status_code == 302
    assert client.get("/user/").status_code == 200


def _session_user_id(app, client) -> str:
    with client.session_transaction() as flask_session:
        return flask_session["_user_id"]


def test_abandoned_sessions_are_purged_and_used_ones_kept(app, client, users):
    # A browser closed without logging out leaves a record; its cookie expires (idle timeout),
    # and the record goes at a later login. A session in use is seen and kept.
    assert login(client, "staff1").status_code == 302
    other = app.test_client()
    assert login(other, "manager1").status_code == 302
    with app.app_context():
        staff_id = db.session.query(User).filter_by(username="staff1").one().id
        for record in db.session.query(UserSession):
            record.last_seen_at = utcnow() - dt.timedelta(days=8)
        db.session.commit()
    assert client.get("/dossier/").status_code == 200  # seen again now
    assert login(app.test_client(), "admin1").status_code == 302
    with app.app_context():
        left = {r.user_id for r in db.session.query(UserSession)}
        assert staff_id in left and len(left) == 2  # staff1's and the new admin1's
    assert other.get("/dossier/").status_code == 302


def test_a_new_secret_key_ends_every_session_and_signs_the_new_ones(app, client, users):
    """The cookie's signer is kept per secret key (app.CookieSession): a key rotated without
    the old one among the fallbacks ends the sessions it signed; with it, they live on."""
    assert login(client, "staff1").status_code == 302
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another key"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/dossier/").status_code == 200  # signed again with the new key
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/dossier/").status_code == 200
    app.config["SECRET_KEY"] = old
    response = client.get("/dossier/")
    assert response.status_code == 302 and "/login" in response.location
    assert login(client, "staff1").status_code == 302
    assert client.get("/dossier/").status_code == 200


def _serializers(app):
    """The app's session serializer and Flask's own for the same key."""
    from flask.sessions import SecureCookieSessionInterface  # noqa: PLC0415 - the reference

    with app.app_context():
        kept = app.session_interface.get_signing_serializer(app)
        stock = SecureCookieSessionInterface.get_signing_serializer(app.session_interface, app)
    return kept, stock


def test_the_session_cookie_is_flasks_own_with_its_payload_kept(app, monkeypatch):
    """The session's payload made once per content (app.SessionSerializer): the cookie is
    byte for byte Flask's, each content its own, the signature checked on every reading."""
    import itsdangerous  # noqa: PLC0415 - one timestamp for both serializers

    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_900_000_000)
    kept, stock = _serializers(app)
    contents = [
        {"_user_id": "1:abc", "_fresh": True, "csrf_token": "x", "_permanent": True},
        {"_user_id": "1:abc", "_fresh": 1, "csrf_token": "x", "_permanent": True},  # 1, not True
        {"_user_id": "1:abd", "_fresh": True, "csrf_token": "x", "_permanent": True},
        {"_flashes": [("error", "Lỗi")], "lang": "en"},  # (a list: not kept, still right)
    ]
    for _ in range(2):  # written, then from the kept payloads
        for data in contents:
            cookie = kept.dumps(data)
            assert cookie == stock.dumps(data)
            loaded = kept.loads(cookie, max_age=60)
            assert loaded == data and type(loaded.get("_fresh")) is type(data.get("_fresh"))
            loaded["lang"] = "vi"  # (the reader's own copy)
    assert kept.loads(kept.dumps(contents[0]), max_age=60) == contents[0]
    cookie = kept.dumps(contents[0])
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    with pytest.raises(itsdangerous.BadSignature):
        kept.loads(forged, max_age=60)
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_900_000_100)
    with pytest.raises(itsdangerous.SignatureExpired):
        kept.loads(cookie, max_age=60)


def test_the_login_reads_the_users_agencies_ids_with_it(app, users):
    """The scope of every list (User.agency_ids) read with the login, one row per agency, the
    agencies themselves not loaded; after a change and its commit, the new ones."""
    with app.test_request_context():
        sgtvt, stp = user_agencies()
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        staff.agencies = [sgtvt, stp]
        token = staff.open_session()
        db.session.commit()
        user_id, ids = f"{staff.id}:{token}", (sgtvt.id, stp.id)
        db.session.expunge_all()
        loaded = User.from_session(user_id)
        assert "agencies" not in loaded.__dict__  # (ids only)
        assert loaded.agency_ids == sorted(ids)
        loaded.agencies = [db.session.get(type(stp), ids[1])]
        assert loaded.agency_ids == [ids[1]]
        db.session.commit()
        assert loaded.agency_ids == [ids[1]]
        db.session.expunge_all()
        assert User.from_session(user_id).agency_ids == [ids[1]]
        admin = db.session.scalar(select(User).where(User.username == "admin1"))
        token = admin.open_session()
        db.session.commit()
        assert User.from_session(f"{admin.id}:{token}").agency_ids == []


def test_a_cookie_signed_here_is_accepted_only_as_signed_and_only_while_fresh(app, monkeypatch):
    """signing.KeptSigner: the cookie it signed is accepted without a second HMAC when it
    carries exactly its signature; a cookie of the same content with another signature (a key
    that is not the app's) is refused, and the age is checked as before."""
    import itsdangerous  # noqa: PLC0415 - one timestamp for both serializers

    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_900_000_000)
    kept, stock = _serializers(app)
    data = {"_user_id": "1:abc", "_fresh": True, "csrf_token": "x", "_permanent": True}
    cookie = kept.dumps(data)
    assert kept.loads(cookie, max_age=60) == data == stock.loads(cookie, max_age=60)
    other = itsdangerous.URLSafeTimedSerializer(
        "not the app's key",
        salt=stock.salt,
        serializer=stock.serializer,
        signer_kwargs=stock.signer_kwargs,
    )
    for forged in (other.dumps(data), cookie.rsplit(".", 1)[0] + ".AAAA"):
        with pytest.raises(itsdangerous.BadSignature):
            kept.loads(forged, max_age=60)
    assert stock.loads(kept.dumps({**data, "lang": "en"}), max_age=60)["lang"] == "en"
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_900_000_100)
    with pytest.raises(itsdangerous.SignatureExpired):
        kept.loads(cookie, max_age=60)


def test_the_list_pages_csrf_token_is_flask_wtfs_own(app, client, login_as, monkeypatch):
    """views/page_parts.csrf_token (the kept list page's token) is the token Flask-WTF makes for
    the same session and second, and Flask-WTF accepts it."""
    import itsdangerous  # noqa: PLC0415 - one timestamp for both
    from flask import g  # noqa: PLC0415
    from flask_wtf.csrf import generate_csrf, validate_csrf  # noqa: PLC0415

    from views.page_parts import csrf_token  # noqa: PLC0415

    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_900_000_000)
    with app.test_request_context("/dossier/"):
        from flask import session  # noqa: PLC0415

        session["csrf_token"] = "f" * 40
        ours = csrf_token()
        assert csrf_token() == ours  # once a request
        g.pop("csrf_token")
        assert generate_csrf() == ours
        validate_csrf(ours)
        g.pop("csrf_token")
        session.pop("csrf_token")
        made = csrf_token()  # no raw token yet: Flask-WTF makes it
        assert session["csrf_token"] and made == g.csrf_token
        validate_csrf(made)
