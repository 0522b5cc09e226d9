"""A read replica for the reading-heavy pages (README "Scaling"): with REPORTS_DATABASE_URL set,
the periodic report, the dashboard and the list exports read through its own engine (a
Flask-SQLAlchemy bind named "reports"); without it they read the main database as everything
else does. Only reads go there: nothing is ever added to this session."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from models import db

BIND = "reports"


def configure(app) -> None:
    """Before db.init_app: the bind from REPORTS_DATABASE_URL, and the session closed with the
    app context."""
    url = app.config.get("REPORTS_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[13:]
        app.config["SQLALCHEMY_BINDS"] = {**(app.config.get("SQLALCHEMY_BINDS") or {}), BIND: url}
    app.teardown_appcontext(_close)


def reports_session():
    """The session the report, the dashboard and the exports read with."""
    if BIND not in (current_app.config.get("SQLALCHEMY_BINDS") or {}):
        return db.session
    session = g.get("reports_session")
    if session is None:
        session = g.reports_session = Session(db.engines[BIND])
    return session


def _close(exc=None) -> None:
    session = g.pop("reports_session", None)
    if session is not None:
        session.close()
