"""The language chosen on the login page is the language of the session the login opens (found
by a review: English chosen under the login form, then Vietnamese again once logged in). The
forms posted as the browser sends them, CSRF on."""

from __future__ import annotations

import re

from tests.factories import csrf_token, login_with_csrf


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _choose(client, lang: str, page: str) -> None:
    response = client.post(
        "/language", data={"lang": lang, "next": page, "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302


def test_english_chosen_on_the_login_page_stays_after_login(csrf_app, csrf_login_as):
    csrf_login_as("manager")  # (makes the users)
    client = csrf_app.test_client()
    _choose(client, "en", "/login")
    assert _lang(client.get("/login")) == "en"
    assert login_with_csrf(client, "manager1").status_code == 302
    home = client.get("/")
    assert _lang(home) == "en" and "Log out" in home.get_data(as_text=True)
    assert _lang(client.get("/dossier/")) == "en"
    # The user menu still switches it, for the rest of the session.
    _choose(client, "vi", "/dossier/")
    assert _lang(client.get("/dossier/")) == "vi"


def test_vietnamese_stays_the_default_when_nothing_was_chosen(csrf_app, csrf_login_as):
    csrf_login_as("manager")
    client = csrf_app.test_client()
    assert login_with_csrf(client, "manager1").status_code == 302
    assert _lang(client.get("/")) == "vi"
    # Vietnamese chosen on the login page is kept too.
    client = csrf_app.test_client()
    _choose(client, "en", "/login")
    _choose(client, "vi", "/login")
    assert login_with_csrf(client, "manager1").status_code == 302
    assert _lang(client.get("/")) == "vi"


def test_the_login_still_opens_a_new_session(csrf_app, csrf_login_as):
    """Carrying the language over keeps nothing else of the anonymous session."""
    csrf_login_as("manager")
    client = csrf_app.test_client()
    _choose(client, "en", "/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    assert login_with_csrf(client, "manager1").status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after and after["lang"] == "en"


def test_logging_out_keeps_the_language_and_nothing_else(csrf_app, csrf_login_as):
    # The login page after a logout is in the language the clerk was using.
    csrf_login_as("manager")
    client = csrf_app.test_client()
    assert login_with_csrf(client, "manager1").status_code == 302
    _choose(client, "en", "/dossier/")
    with client.session_transaction() as before:
        assert "_user_id" in before
    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/dossier/")})
    assert out.status_code == 302
    assert _lang(client.get("/login")) == "en"
    with client.session_transaction() as after:
        assert "_user_id" not in after and after["lang"] == "en"
    assert client.get("/dossier/").status_code == 302  # logged out
