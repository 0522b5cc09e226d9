"""The citizens' side of the site (the catalog, the open API, and what comes after them) runs
without the staff session: on its paths the session cookie is neither read nor written, and
nobody is logged in. A staff member who opens the catalog in the browser they work in sends the
cookie along; it is ignored, not refreshed, and never echoed in a Set-Cookie.

Each public blueprint declares its URL prefix with `public_prefix(app, "/thu-tuc")`."""

from __future__ import annotations

from flask import g
from flask.sessions import SecureCookieSession, SessionInterface


class _NoSession(SecureCookieSession):
    """An empty session that is never saved: what a public page writes (nothing, normally)
    goes nowhere."""


class PublicPathsSession(SessionInterface):
    """The app's session interface everywhere else; no session on the public prefixes."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner
        self.prefixes: list[str] = []

    def __getattr__(self, name):  # the rest of the inner interface (CookieSession.signed_data)
        return getattr(self.inner, name)

    def is_public(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)

    def open_session(self, app, request):
        if self.is_public(request.path):
            # Nobody is loaded either (not from the remember-me cookie, not from the session):
            # Flask-Login takes the user it finds in g.
            g._login_user = app.login_manager.anonymous_user()
            return _NoSession()
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response):
        if isinstance(session, _NoSession):
            return None
        return self.inner.save_session(app, session, response)

    def make_null_session(self, app):
        return self.inner.make_null_session(app)

    def is_null_session(self, obj) -> bool:
        return self.inner.is_null_session(obj)


def public_prefix(app, prefix: str) -> None:
    """Serve `prefix` (and everything under it) without the staff session."""
    if not isinstance(app.session_interface, PublicPathsSession):
        app.session_interface = PublicPathsSession(app.session_interface)
    prefix = prefix.rstrip("/")
    if prefix not in app.session_interface.prefixes:
        app.session_interface.prefixes.append(prefix)
