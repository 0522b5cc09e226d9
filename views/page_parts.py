"""Parts of the admin pages that are the same for many requests, written once per process
rather than on every page: the main menu (per role, screen, language and URL root) and the JSON
of a list's filter choices (kept with the choices themselves, views/columns.py)."""

from __future__ import annotations

import hashlib
import weakref

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

import signing

# Per Flask-Admin instance (one per app): whether its menu depends on the role alone, and its
# menus written so far.
_menus: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def by_role(method):
    """Marks a view's is_accessible / is_visible that depend on the user's role alone: the menu
    of a role is then the same for all its users."""
    method.menu_by_role = True
    return method


def _menus_of(admin) -> dict | None:
    """The menus kept for `admin`, or None when its menu may differ between users of a role."""
    if admin not in _menus:
        by_role = not admin._menu_links and all(
            getattr(type(v).is_accessible, "menu_by_role", False)
            and getattr(type(v).is_visible, "menu_by_role", False)
            for v in admin._views
        )
        _menus[admin] = {} if by_role else None
    return _menus[admin]


def main_menu(admin_view, render) -> Markup:
    """The main menu as `render()` (Flask-Admin's layout.menu macro) writes it for this page:
    written once per role, active screen, language and URL root when every screen's visibility
    depends on the role alone (by_role); on every page otherwise."""
    menus = _menus_of(admin_view.admin)
    if menus is None:
        return render()
    role = current_user.role if current_user.is_authenticated else None
    key = (role, admin_view.endpoint, str(get_locale()), request.script_root)
    html = menus.get(key)
    if html is None:
        html = menus[key] = Markup(render())
    return html


class FilterGroups(dict):
    """A list's filter choices ({group: [filters]}), with their JSON and its digest once
    written."""

    json: Markup | None = None
    json_bytes: bytes | None = None
    digest: str | None = None


def filter_groups_json(groups) -> Markup:
    """`groups|tojson` as Flask-Admin's list template writes it (the choices for its filter
    menu: 140 KB for a province's procedures), written once per kept copy of the choices."""
    cached = getattr(groups, "json", None)
    if cached is None:
        policies = current_app.jinja_env.policies
        cached = htmlsafe_json_dumps(
            groups, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]
        )
        if isinstance(groups, FilterGroups):
            groups.json = cached
    return cached


def filter_groups_bytes(groups) -> bytes:
    """filter_groups_json encoded (UTF-8), once per kept copy of the choices: what a kept list
    page (views/list_page.py) puts in its hole."""
    cached = getattr(groups, "json_bytes", None)
    if cached is None:
        cached = filter_groups_json(groups).encode()
        if isinstance(groups, FilterGroups):
            groups.json_bytes = cached
    return cached


def filter_groups_digest(groups) -> str | None:
    """A digest of the choices' JSON: the same for the same choices read again (a kept list
    page, views/list_page.py, stays valid when the choices are read again once a minute)."""
    if groups is None:
        return None
    digest = getattr(groups, "digest", None)
    if digest is None:
        digest = hashlib.blake2b(filter_groups_json(groups).encode(), digest_size=16).hexdigest()
        if isinstance(groups, FilterGroups):
            groups.digest = digest
    return digest


def csrf_token() -> str:
    """Flask-WTF's generate_csrf (this request's CSRF token, made once a request, the raw token
    in the session), signed by a serializer kept per secret key (signing.py): the same token,
    without a new serializer and its key derived anew on each page. Anything unusual (no raw
    token in the session yet, no secret key) goes through Flask-WTF itself."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    raw = session.get(field)
    if not secret or not field or type(raw) is not str:
        return generate_csrf()
    token = signing.serializer(secret, "wtf-csrf-token").dumps(raw)
    setattr(g, field, token)
    return token
