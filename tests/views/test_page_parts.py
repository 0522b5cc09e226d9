"""Parts of the admin pages written once per process (views/page_parts.py): the main menu kept
per role, screen and language is the menu Flask-Admin writes; a list's filter choices as JSON
are its choices."""

import html
import json
import re

from tests import factories
from tests.views.test_list_rows import _same_page
from views import page_parts


def _menu(page: str) -> str:
    return re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul', page, re.S)[1]


def test_the_kept_menu_is_the_menu_of_the_role_screen_and_language(app, users):
    clients = {}
    for role in ("admin", "staff", "manager"):
        clients[role] = app.test_client()
        assert factories.login(clients[role], users[role]).status_code == 302
    urls = ("/dossier/", "/agency/")
    kept = {(r, u): c.get(u).get_data(as_text=True) for r, c in clients.items() for u in urls}
    # Written on every page (as before): the same menus.
    admin = app.extensions["admin"][0]
    saved = page_parts._menus[admin]
    page_parts._menus[admin] = None
    try:
        for (role, url), page in kept.items():
            fresh = clients[role].get(url).get_data(as_text=True)
            assert _same_page(_menu(fresh)) == _same_page(_menu(page)), (role, url)
    finally:
        page_parts._menus[admin] = saved
    # Each role its own menu (users: admins only), each screen its own active entry.
    assert 'href="/user/"' in _menu(kept["admin", "/dossier/"])
    assert 'href="/user/"' not in _menu(kept["staff", "/dossier/"])
    assert _menu(kept["admin", "/dossier/"]) != _menu(kept["admin", "/agency/"])
    # Another language, another menu.
    client = clients["admin"]
    vietnamese = _menu(client.get("/dossier/").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "next": "/dossier/"})
    english = _menu(client.get("/dossier/").get_data(as_text=True))
    assert vietnamese != english and "Dossiers" in english


def test_the_filter_choices_json_is_the_views_choices(app, client, users, login_as):
    login_as("admin")
    page = client.get("/dossier/").get_data(as_text=True)
    data = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S)[1]
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier")
    with app.test_request_context("/dossier/"):  # every agency (as an admin), Vietnamese
        groups = view._get_filter_groups()
        assert isinstance(groups, page_parts.FilterGroups) and groups.json is not None
    assert json.loads(html.unescape(data)) == json.loads(json.dumps(groups))
