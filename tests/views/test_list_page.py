"""List pages written once and filled on each page (views/list_page.py): the page as kept is the
page the template writes, for every list screen and role; what is the request's own (CSRF
token, CSP nonce, the user's name, flashed messages, the rows) is this request's."""

import datetime as dt
import itertools
import json
import re

import itsdangerous
from sqlalchemy import select

from domain import catalog_cache
from domain import lifecycle as lc
from models import Dossier, Procedure, User, db
from tests import factories
from tests.generic.test_access import _sample_ids
from tests.views.test_list_rows import _same_page
from views import kept_pages
from views.base import SecureModelView


def _kept_count(app, endpoint: str) -> int:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    return len(kept_pages._pages.get(view, ()))


def test_every_kept_list_is_the_page_the_template_writes(app, client, login_as):
    _sample_ids(app)
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView)]
    for role in ("admin", "staff", "manager"):
        login_as(role)
        for view in views:
            for url in (f"{view.url}/", f"{view.url}/?sort=0&desc=1&page_size=20"):
                written = client.get(url)
                if written.status_code != 200:  # not this role's screen
                    continue
                again = client.get(url).get_data(as_text=True)
                view.keep_list_pages = False
                try:
                    template = client.get(url).get_data(as_text=True)
                finally:
                    del view.keep_list_pages
                reference = _same_page(template)
                assert _same_page(written.get_data(as_text=True)) == reference, (role, url)
                assert _same_page(again) == reference, (role, url)
    assert _kept_count(app, "dossier") > 0 and _kept_count(app, "payment") > 0


def _tokens(page: str) -> set:
    found = set(re.findall(r'name="csrf_token"[^>]*value="([^"]*)"', page))
    return found | set(re.findall(r"&#34;csrf&#34;: &#34;([^&]*)&#34;", page))


def test_a_kept_page_carries_this_requests_token_nonce_and_name(csrf_app, monkeypatch):
    # Each token signed at its own second: a token of the page's first writing would show.
    seconds = itertools.count(1_900_000_000)
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: next(seconds))
    with csrf_app.app_context():
        factories.create_users()
        agency, _ = factories.user_agencies()
        factories.create_user("staff2", "staff", [agency])
        db.session.scalar(select(User).where(User.username == "staff2")).full_name = "Lê <Thị> B"
        db.session.commit()
    pages = {}
    for username in ("staff1", "staff2"):
        client = csrf_app.test_client()
        login = {"username": username, "password": factories.PASSWORD}
        login["csrf_token"] = factories.csrf_token(client, "/login")
        assert client.post("/login", data=login).status_code == 302
        for n in (1, 2):
            response = client.get("/dossier/")
            page = response.get_data(as_text=True)
            nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
            assert set(re.findall(r'nonce="([^"]*)"', page)) == {nonce}
            pages[username, n] = page
        # The kept page's token is this request's: the language form posts with it.
        (token,) = _tokens(pages[username, 2])
        assert token not in _tokens(pages[username, 1])
        answer = client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/"})
        assert answer.status_code == 302
    assert _kept_count(csrf_app, "dossier") == 1  # one page for the role, both users
    assert "staff2" not in pages["staff1", 2] and "Lê &lt;Thị&gt; B" in pages["staff2", 2]


def test_a_kept_page_shows_the_messages_and_the_rows_of_its_request(app, client, login_as):
    _sample_ids(app)
    login_as("admin")
    client.get("/dossier/")
    client.get("/dossier/")
    # A filter value beyond the column: refused with a message, on this page only.
    refused = client.get("/dossier/?flt0_0=99999999999").get_data(as_text=True)
    assert "alert" in refused and "99999999999" in refused
    assert "99999999999" not in client.get("/dossier/").get_data(as_text=True)
    _accept_a_new_dossier(app)
    assert "Người Nộp Mới" in client.get("/dossier/").get_data(as_text=True)


def test_choices_read_again_keep_the_page_and_new_choices_write_a_new_one(app, client, login_as):
    login_as("admin")
    client.get("/dossier/")
    catalog_cache.clear()  # read again, as once a minute: the same choices
    client.get("/dossier/")
    assert _kept_count(app, "dossier") == 1
    with app.app_context():
        factories.create_agency(code="MOI", name="Sở Mới Lập")
        db.session.commit()
    catalog_cache.clear()
    # (in the filter choices' JSON: non-ASCII as \u escapes)
    assert json.dumps("Sở Mới Lập") in client.get("/dossier/").get_data(as_text=True)
    assert _kept_count(app, "dossier") == 2


def test_a_kept_page_is_served_without_flask_admins_list_view_and_read_once(
    app, client, login_as, monkeypatch
):
    """The list read once per page; Flask-Admin's index_view (its actions, URLs, texts for the
    template) only for the first page: a new row is written from its values alone."""
    _sample_ids(app)
    # A list past its exact count, as a center's dossiers are ("more than N rows"): a new row
    # changes neither the count shown nor the page's key.
    _accept_a_new_dossier(app, "Người Nộp Trước", count=20)
    app.config["LIST_COUNT_LIMIT"] = 1
    url = "/dossier/?page_size=20"
    login_as("admin")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier")
    calls = {"index_view": 0, "get_list": 0}

    def counted(name, method):
        def call(*args, **kwargs):
            calls[name] += 1
            return method(*args, **kwargs)

        return call

    # Flask-Admin's index_view asks for the actions once, for the template.
    actions = type(view).get_actions_list
    monkeypatch.setattr(type(view), "get_actions_list", counted("index_view", actions))
    monkeypatch.setattr(type(view), "get_list", counted("get_list", type(view).get_list))

    def page():
        calls.update(index_view=0, get_list=0)
        html = client.get(url).get_data(as_text=True)
        return html, dict(calls)

    first, written = page()
    again, kept = page()
    assert written == {"index_view": 1, "get_list": 1}
    assert kept == {"index_view": 0, "get_list": 1}
    assert _same_page(again) == _same_page(first)
    _accept_a_new_dossier(app)
    # A row not written yet: written from its values alone, as the template writes it.
    new, written = page()
    assert "Người Nộp Mới" in new
    assert written == {"index_view": 0, "get_list": 1}
    view.keep_list_pages = False
    try:
        template = client.get(url).get_data(as_text=True)
    finally:
        del view.keep_list_pages
    assert _same_page(new) == _same_page(template)
    assert page()[1] == {"index_view": 0, "get_list": 1}


def test_a_page_with_a_message_keeps_the_rows_it_writes_for_the_next_page(
    app, client, login_as, monkeypatch
):
    """The first list page after an intake shows its message (written by the template, not
    kept): the new rows it writes are kept all the same, the next page writes none."""
    _sample_ids(app)
    login_as("admin")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier")
    written = []
    row_html = type(view)._row_html

    def counted(self, page, context, row, row_id):
        written.append(row_id)
        return row_html(self, page, context, row, row_id)

    monkeypatch.setattr(type(view), "_row_html", counted)
    client.get("/dossier/")
    assert written
    _accept_a_new_dossier(app)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Đã tiếp nhận hồ sơ")]
    written.clear()
    shown = client.get("/dossier/").get_data(as_text=True)
    assert "Đã tiếp nhận hồ sơ" in shown and "Người Nộp Mới" in shown
    assert len(written) == 1  # the new row only
    written.clear()
    again = client.get("/dossier/").get_data(as_text=True)
    assert "Người Nộp Mới" in again and "Đã tiếp nhận hồ sơ" not in again
    assert written == []


def _accept_a_new_dossier(app, name: str = "Người Nộp Mới", count: int = 1) -> None:
    """A clerk accepts `count` dossiers of `name` (committed): rows the kept page lacks."""
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.role == "staff"))
        procedure = db.session.scalar(select(Procedure))
        for _ in range(count):
            dossier = Dossier(procedure=procedure, applicant_name=name)
            at = dt.datetime(2019, 3, 5, 9)
            lc.accept_dossier(db.session, dossier, staff, at, "000.00.20.H37")
        db.session.commit()
