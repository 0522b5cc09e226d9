"""Log in, log out (POST) and the language switch."""

from __future__ import annotations

import functools
import math
import re
import secrets
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from domain.audit import record_login
from domain.usernames import normalize_username
from models import User, UserSession, db, utcnow
from transactions import reads_only
from views.base import SecureForm

bp = Blueprint("auth", __name__)


class LoginForm(SecureForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


# Browsers drop tabs and newlines from a URL ("/\t/evil.example" becomes "//evil.example"):
# a path with any control character or whitespace is refused.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(url: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if url and url.startswith("/") and not url.startswith("//") and not _UNSAFE_IN_PATH.search(url):
        return url
    return url_for("admin.index")


@functools.lru_cache(maxsize=1)
def _nobody() -> User:
    """A user no password matches: an unknown or inactive username still costs one scrypt check,
    so the answer time does not tell which usernames exist."""
    nobody = User()
    nobody.set_password(secrets.token_hex(16))
    return nobody


# Password guessing: failed logins are counted per username and per client address (the real
# one behind TRUSTED_PROXIES) in RATELIMIT_STORAGE_URI — Redis when REDIS_URL is set, so that every
# gunicorn worker and host shares the count; this process's memory otherwise. Past the limit the
# login is refused before the password is checked, the right one included.
limiter = Limiter(key_func=get_remote_address)


def _login_failed(response) -> bool:
    return g.get("login_failed", False)


def _username_key() -> str:
    # Any username counts, existing or not: the refusal must not tell which ones exist.
    # The username as the login looks it up (domain/usernames.py): "Canbo.TuPhap2 " counts
    # against canbo.tuphap2's limit.
    return "user:" + normalize_username(request.form.get("username", ""))


def _address_key() -> str:
    return "address:" + (request.remote_addr or "")


def _too_many_failures(limit: RequestLimit):
    # reset_at is rounded up to a whole second: rounding now up too keeps a fresh 15-minute
    # window at 900 s, not 901 (16 minutes).
    wait = max(1, limit.reset_at - math.ceil(time.time()))
    minutes = math.ceil(wait / 60)
    flash(
        ngettext(
            "Too many failed logins. Try again in %(num)d minute.",
            "Too many failed logins. Try again in %(num)d minutes.",
            minutes,
        ),
        "error",
    )
    response = current_app.make_response(
        (
            render_template(
                "auth/login.html", form=LoginForm(), next_url=request.values.get("next", "")
            ),
            429,
        )
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _login_limit(setting: str, key_func):
    return limiter.limit(
        lambda: getattr(current_app.settings, setting),
        key_func=key_func,
        methods=["POST"],
        deduct_when=_login_failed,
        on_breach=_too_many_failures,
    )


@bp.route("/login", methods=["GET", "POST"])
@_login_limit("login_limit_per_user", _username_key)
@_login_limit("login_limit_per_address", _address_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    next_url = request.values.get("next", "")
    if form.validate_on_submit():
        user = _checked_user(normalize_username(form.username.data), form.password.data)
        if user is not None:
            _new_session()  # no fixation
            session.permanent = True
            UserSession.purge_stale()
            user.open_session()
            login_user(user)
            db.session.info["actor"] = (user.id, request.remote_addr)  # the audit row is theirs
            user.last_login_at = utcnow()
            record_login(db.session, user, request.remote_addr)
            db.session.commit()
            return redirect(safe_next(next_url))
        g.login_failed = True  # counted by the login limits
        # One message for every failure: no hint which part was wrong.
        flash(_("Wrong username or password."), "error")
    elif request.method == "POST":
        flash(_("Please enter your username and password."), "error")
    return render_template("auth/login.html", form=form, next_url=next_url), (
        401 if request.method == "POST" else 200
    )


def _checked_user(username: str, password: str) -> User | None:
    """The active user of this username (as stored: domain/usernames.py) with this password,
    or None. The hash is checked in a read transaction: on SQLite a login does not hold the
    write lock while scrypt works (seconds on a loaded server, every other worker's save
    waiting), and a wrong password never waits for it."""
    with reads_only():
        user = db.session.scalar(select(User).where(User.username == username))
        usable = user is not None and user.active
        accepted = (user if usable else _nobody()).check_password(password) and usable
        user_id = user.id if accepted else None
        db.session.rollback()  # ends the read; the login's writes take their own transaction
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        current_user.close_session()
        db.session.commit()
    logout_user()
    _new_session()
    return redirect(url_for("auth.login"))


def _new_session() -> None:
    """The session emptied, but for the language chosen (on the login page, or by the user who
    logged out): the browser's, as the login page shows it."""
    lang = session.get("lang")
    session.clear()
    if lang is not None:
        session["lang"] = lang


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in ("vi", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
