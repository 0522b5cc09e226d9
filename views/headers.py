"""Security headers of every response: a Content-Security-Policy whose nonce changes with each
request, HSTS in production, and no caching of what a logged-in user sees."""

from __future__ import annotations

import secrets

from flask import current_app, g, request
from flask_login import current_user


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


def register(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "same-origin")
        hsts = current_app.settings.hsts_seconds
        if hsts:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
        static = (request.endpoint or "").rpartition(".")[2] == "static"
        # (is_anonymous, not is_authenticated: after a commit the latter reloads the user's row)
        if not static and not current_user.is_anonymous:
            # Dossiers and applicants' data: never kept in a browser's or a proxy's cache.
            headers["Cache-Control"] = "no-store"
        return response
