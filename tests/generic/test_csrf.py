"""CSRF: a state-changing request without a valid token is refused and changes nothing."""

from models import Agency, db
from tests.factories import PASSWORD, create_agency, create_user
from tests.factories import csrf_token as _token


def test_login_without_token_is_refused(csrf_app):
    with csrf_app.app_context():
        create_user("admin1", "admin")
        db.session.commit()
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "admin1", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/agency/").status_code == 302  # not logged in


def test_create_and_delete_need_the_token(csrf_app):
    with csrf_app.app_context():
        create_user("admin1", "admin")
        create_agency(code="OLD", name="Cơ quan cũ")
        db.session.commit()
    client = csrf_app.test_client()
    token = _token(client, "/login")
    assert (
        client.post(
            "/login", data={"username": "admin1", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )

    data = {"code": "NEW", "name": "Cơ quan mới", "kind": "department", "sort_order": "1"}
    assert client.post("/agency/new/", data=data).status_code == 400
    assert client.post("/calendar_day/delete/", data={"id": "1"}).status_code == 400
    assert client.post("/logout").status_code == 400
    with csrf_app.app_context():
        assert db.session.query(Agency).filter_by(code="NEW").count() == 0

    data["csrf_token"] = _token(client, "/agency/new/")
    assert client.post("/agency/new/", data=data).status_code == 302
    with csrf_app.app_context():
        assert db.session.query(Agency).filter_by(code="NEW").count() == 1
