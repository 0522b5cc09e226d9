"""Security headers of every response: a Content-Security-Policy whose nonce changes with each
request, HSTS in production, and no caching of what a logged-in user sees. Style sheets and
scripts are the opposite: their links carry a digest of the file, so the browser keeps them for
a year and asks again only when a new version changes the link."""

from __future__ import annotations

import hashlib
import os
import secrets
import time

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.security import safe_join

from signing import keep
from views.public_access import public_prefix


def csp_nonce() -> str:
    """This request's nonce: a <script>/<style> of our own carries it (Flask-Admin's do through
    Admin(csp_nonce_generator=...)); anything else inline, injected or not, does not run."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",  # Bootstrap draws its form icons as data: SVG
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        )
    )


# The links to static files carry STATIC_DIGEST: a file answered under it is kept for a year.
STATIC_DIGEST = "h"
STATIC_MAX_AGE = 365 * 24 * 3600
_digests: dict[str, tuple[int, int, str]] = {}  # path -> (mtime_ns, size, digest)


def static_digest(path: str) -> str | None:
    """A short digest of the file at `path` (None when there is none), read again only when its
    time or size changes: a page links to a style sheet or script as it is now, never as it was
    when the process started."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    kept = _digests.get(path)
    if kept is None or kept[:2] != (stat.st_mtime_ns, stat.st_size):
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()[:12]
        kept = _digests[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return kept[2]


# A link's digest is looked up again (the file's path made safe, its time and size read) at most
# once a second: a page links to about twenty static files, and the look-ups were a fortieth of
# a page's time; a file changed on disk gets its new digest within the second.
STATIC_RECHECK_SECONDS = 1.0
_linked: dict[tuple, tuple[float, str | None]] = {}


def _static_digest_of(app, endpoint: str, filename: str) -> str | None:
    """static_digest of the file that `endpoint` (the app's "static" or a blueprint's
    "<name>.static") serves as `filename`; None when there is none."""
    now, key = time.monotonic(), (app.static_folder, endpoint, filename)
    kept = _linked.get(key)
    if kept is not None and now < kept[0]:
        return kept[1]
    digest = _file_digest(app, endpoint, filename)
    keep(_linked, key, (now + STATIC_RECHECK_SECONDS, digest), limit=1024)
    return digest


def _file_digest(app, endpoint: str, filename: str) -> str | None:
    if endpoint == "static":
        folder = app.static_folder
    else:
        blueprint = app.blueprints.get(endpoint[: -len(".static")])
        folder = blueprint.static_folder if blueprint is not None else None
    path = folder and safe_join(folder, filename)
    return static_digest(path) if path else None


def register(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # Static files (Flask-Admin's under /static/admin too) are the same for everybody: no
    # session read or refreshed for them, and so no Set-Cookie on a response kept for a year.
    public_prefix(app, app.static_url_path)

    @app.url_defaults
    def _static_digest(endpoint, values):
        # url_for("static", …) and Flask-Admin's admin_static.url(…): the file's digest added.
        if endpoint != "static" and not endpoint.endswith(".static"):
            return
        digest = _static_digest_of(app, endpoint, values.get("filename", ""))
        if digest:
            values.setdefault(STATIC_DIGEST, digest)

    def _current_version_asked() -> bool:
        # Only the file's own digest: a link to another version (a page of an older or newer
        # release of the app, while both run during a deploy) gets this file revalidated as
        # usual, never kept for a year under an address that names other content.
        asked = request.args.get(STATIC_DIGEST)
        filename = (request.view_args or {}).get("filename", "")
        return bool(asked) and _static_digest_of(app, request.endpoint, filename) == asked

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # (headers.setdefault, without werkzeug's KeyError raised and caught for each absent one)
        present = {name.lower() for name, _ in headers.items()}
        defaults = [
            ("Content-Security-Policy", lambda: content_security_policy(csp_nonce())),
            ("X-Content-Type-Options", lambda: "nosniff"),
            ("X-Frame-Options", lambda: "SAMEORIGIN"),
            ("Referrer-Policy", lambda: "same-origin"),
        ]
        hsts = current_app.settings.hsts_seconds
        if hsts:
            defaults.append(
                ("Strict-Transport-Security", lambda: f"max-age={hsts}; includeSubDomains")
            )
        for name, value in defaults:
            if name.lower() not in present:
                headers[name] = value()
        static = (request.endpoint or "").rpartition(".")[2] == "static"
        if static and response.status_code == 200 and _current_version_asked():
            # The link named this version: it never changes under this address.
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        # (is_anonymous, not is_authenticated: after a commit the latter reloads the user's row)
        if not static and not current_user.is_anonymous:
            # Dossiers and applicants' data: never kept in a browser's or a proxy's cache.
            headers["Cache-Control"] = "no-store"
        return response
