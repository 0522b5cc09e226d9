"""The idle timeout without lost work (PERMANENT_SESSION_LIFETIME, refreshed by each request).

- Pages warn a few minutes before it (static/motcua_idle.js) and offer to stay signed in: a
  POST to /session/keep-alive, which any request refreshes.
- A form posted after it fails the CSRF check: `expired_form_response` keeps what was typed
  (domain/form_drafts.py) and offers to log in again; the login leads back to the form's page
  with `?_draft=<key>`, where `_restore_draft` hands the kept input to the forms of that page
  (views.base.SecureForm) to show it again, unsaved.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from domain import form_drafts
from models import User, db, utcnow
from transactions import writes

bp = Blueprint("idle", __name__)


def idle_seconds() -> int:
    return int(current_app.permanent_session_lifetime.total_seconds())


def warning_seconds() -> int:
    """How long before the end the banner shows: 5 minutes (less for a very short timeout)."""
    return min(300, idle_seconds() // 3)


@bp.route("/session/keep-alive", methods=["POST"])
def keep_alive():
    """Stay signed in: the request itself refreshes the session's idle time."""
    if not current_user.is_authenticated:
        return jsonify(ok=False), 401
    return jsonify(ok=True, idle_seconds=idle_seconds())


def _page_of_this_site() -> str | None:
    """The path and query of the page this POST came from, when it is a page of this site (as
    the browser says in Origin and Referer); None otherwise, e.g. a post from another site."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return None
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.host or not referer.path.startswith("/"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _with_draft(page: str, key: str) -> str:
    parts = urlsplit(page)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_draft"]
    return f"{parts.path}?{urlencode(query + [('_draft', key)])}"


def expired_form_response():
    """The answer to a failed CSRF check caused by an ended session (or by a newer login in
    another tab): keep what the form carried and let the user go on. None: not such a case
    (the caller shows its plain error page)."""
    if request.method != "POST":
        return None
    page = _page_of_this_site()
    signed_in = current_user.is_authenticated
    if request.endpoint == "idle.keep_alive":  # the banner then says the session has ended
        return jsonify(ok=False), (400 if signed_in else 401)
    if request.endpoint == "auth.login":
        if page is None:
            return None
        # The login page was left open too long: ask again (the password is never kept).
        flash(_("The page had expired. Please log in again."), "error")
        return redirect(url_for("auth.login", next=request.form.get("next", "")))
    if request.endpoint == "auth.logout" and not signed_in:
        return redirect(url_for("auth.login"))
    key = None
    # Only a form that posts back to its own page (create, edit, the entry forms) is shown
    # again; buttons that post elsewhere (actions, next steps) simply lead back to the page.
    if page is not None and urlsplit(page).path == request.path:
        key = form_drafts.store(
            db.session,
            request.path,
            form_drafts.keepable_fields(request.form.items(multi=True)),
            utcnow(),
            dt.timedelta(hours=current_app.settings.form_draft_hours),
            user_id=current_user.id if signed_in else _expired_login_user_id(),
        )
        db.session.commit()
    target = _with_draft(page, key) if key else page
    if signed_in:  # a newer login (another tab) replaced the form's token: back to the page
        if target is None:
            return None
        if key is None:
            flash(_("The page had expired and nothing was changed: please do it again."), "warning")
        return redirect(target)
    return render_template(
        "session_expired.html",
        kept=key is not None,
        minutes=idle_seconds() // 60,
        login_url=url_for("auth.login", next=target or ""),
    ), 401


def _expired_login_user_id() -> int | None:
    """The user whose login the request's expired session cookie names: its signature checked,
    not its age, and the login still open (not logged out, no new password). The draft is then
    that user's alone; another clerk logging in on the same browser does not get it."""
    data = current_app.session_interface.signed_data(current_app, request) or {}
    login = data.get("_user_id")
    user = User.from_session(login) if isinstance(login, str) else None
    return user.id if user is not None else None


def _restore_draft():
    key = request.args.get("_draft")
    if not key or request.method != "GET" or not current_user.is_authenticated:
        return
    user_id = current_user.id  # before the commit, which would expire it (a reload)
    fields = None
    if form_drafts.exists(db.session, key):
        # A GET that writes (the draft is used up): in a write transaction of its own
        # (writes()), after the read one that loaded the user has ended (nothing is pending).
        db.session.commit()
        with writes():
            fields = form_drafts.take(db.session, key, request.path, utcnow(), user_id)
            db.session.commit()
    if fields is None:
        flash(_("The input kept from the expired form is no longer available."), "warning")
        return
    g.form_draft = MultiDict([(name, value) for name, value in fields])
    flash(
        _(
            "Your session had expired. What you typed is shown again: check it and save it. "
            "Attached files must be chosen again."
        ),
        "warning",
    )


def register(app) -> None:
    app.register_blueprint(bp)
    app.before_request(_restore_draft)

    @app.context_processor
    def _idle_timeout():
        return {"idle_seconds": idle_seconds, "idle_warning_seconds": warning_seconds}
