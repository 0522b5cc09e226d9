"""Behind a reverse proxy: the client's address comes from X-Forwarded-For, but only as many hops
as there are trusted proxies (TRUSTED_PROXIES); anyone can send that header."""

import pytest

from domain.audit import LOGIN
from models import AuditLog, db
from tests.factories import PASSWORD, create_user
from tests.support import make_app

PROXY = "10.0.0.5"


@pytest.fixture
def proxied_app(app_with):
    return app_with(TRUSTED_PROXIES=1)


def _login_ip(app, forwarded_for: str | None) -> str:

    with app.app_context():
        create_user("staff9", "manager")
        db.session.commit()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = app.test_client().post(
        "/login",
        data={"username": "staff9", "password": PASSWORD},
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 302
    with app.app_context():
        row = (
            db.session.query(AuditLog)
            .filter_by(table_name="user", action=LOGIN)
            .order_by(AuditLog.id.desc())
            .first()
        )
        return row.ip


def test_behind_one_trusted_proxy_the_audit_log_has_the_clients_address(proxied_app):
    assert _login_ip(proxied_app, "203.0.113.7") == "203.0.113.7"


def test_a_forged_hop_before_the_trusted_proxy_is_ignored(proxied_app):
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert _login_ip(proxied_app, "1.2.3.4, 203.0.113.7") == "203.0.113.7"


def test_without_trusted_proxies_the_header_is_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    assert _login_ip(app, "1.2.3.4") == PROXY


def test_trusted_proxies_comes_from_the_environment(monkeypatch, tmp_path):

    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    app = make_app(f"sqlite:///{tmp_path / 'x.db'}")
    assert app.config["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "many")
    with pytest.raises(ValueError):
        make_app(f"sqlite:///{tmp_path / 'x.db'}")
