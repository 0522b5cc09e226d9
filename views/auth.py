"""Log in, log out (POST) and the language switch."""
from __future__ import annotations

import functools
import re
import secrets

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from domain.audit import record_login
from models import User, db, utcnow
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
    if url and url.startswith("/") and not url.startswith("//") \
            and not _UNSAFE_IN_PATH.search(url):
        return url
    return url_for("admin.index")


@functools.lru_cache(maxsize=1)
def _nobody() -> User:
    """A user no password matches: an unknown or inactive username still costs one scrypt check,
    so the answer time does not tell which usernames exist."""
    nobody = User()
    nobody.set_password(secrets.token_hex(16))
    return nobody


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    next_url = request.values.get("next", "")
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        usable = user is not None and user.active
        if (user if usable else _nobody()).check_password(form.password.data) and usable:
            session.clear()
            session.permanent = True
            login_user(user)
            db.session.info["actor"] = (user.id, request.remote_addr)  # the audit row is theirs
            user.last_login_at = utcnow()
            record_login(db.session, user, request.remote_addr)
            db.session.commit()
            return redirect(safe_next(next_url))
        # One message for every failure: no hint which part was wrong.
        flash(_("Wrong username or password."), "error")
    elif request.method == "POST":
        flash(_("Please enter your username and password."), "error")
    return render_template("auth/login.html", form=form, next_url=next_url), (
        401 if request.method == "POST" else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in ("vi", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
