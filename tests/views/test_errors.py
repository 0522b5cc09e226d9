"""views/errors.py: the error pages."""

from __future__ import annotations


def test_an_error_page_shows_the_messages_waiting_in_the_session(client, login_as):
    """A message flashed before an error page (a redirect the browser never followed, a screen
    that flashed then failed) is shown there and taken out of the session: it does not pile up
    in the cookie nor turn up later on an unrelated page."""
    login_as("staff")
    with client.session_transaction() as session:
        session["_flashes"] = [("warning", "Cảnh báo đang chờ")]
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'class="alert alert-warning" role="alert">Cảnh báo đang chờ</div>' in html
    with client.session_transaction() as session:
        assert "_flashes" not in session
    assert "Cảnh báo đang chờ" not in client.get("/dossier/").get_data(as_text=True)


def test_an_error_page_escapes_a_message(client, login_as):
    login_as("staff")
    with client.session_transaction() as session:
        session["_flashes"] = [("error", "<b>x</b>")]
    html = client.get("/no-such-page/").get_data(as_text=True)
    assert 'class="alert alert-danger" role="alert">&lt;b&gt;x&lt;/b&gt;</div>' in html


def test_query_arguments_read_as_werkzeugs(app):
    """app.QueryArgs answers what werkzeug's ImmutableMultiDict answers, an absent key too."""
    from werkzeug.datastructures import ImmutableMultiDict  # noqa: PLC0415

    from app import QueryArgs  # noqa: PLC0415

    pairs = [("page", "2"), ("page", "3"), ("search", ""), ("flt0_1", "x")]
    ours, theirs = QueryArgs(pairs), ImmutableMultiDict(pairs)
    for key in ("page", "search", "flt0_1", "absent"):
        for default, kind in ((None, None), (7, None), (0, int), ("d", str)):
            assert ours.get(key, default, type=kind) == theirs.get(key, default, type=kind)
    with app.test_request_context("/dossier/?page=2&sort=x"):
        from flask import request  # noqa: PLC0415

        assert isinstance(request.args, QueryArgs)
        assert request.args.get("page", type=int) == 2 and request.args.get("desc") is None
