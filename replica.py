"""A read replica for the reading-heavy pages (README "Scaling"): with REPORTS_DATABASE_URL set,
the periodic report, the dashboard and the list exports read through its own engine (a
Flask-SQLAlchemy bind named "reports"); without it they read the main database as everything
else does. Only reads go there: nothing is ever added to this session."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import db

# An engine of its own, not a Flask-SQLAlchemy bind: a bind would add a metadata to the shared
# `db` object, and every later create_all/drop_all of any app would look for its engine.
EXTENSION = "motcua_reports_engine"


def configure(app) -> None:
    """The engine of REPORTS_DATABASE_URL, and the session closed with the app context."""
    url = app.config.get("REPORTS_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[13:]
        app.extensions[EXTENSION] = create_engine(url, pool_pre_ping=True)
    app.teardown_appcontext(_close)


def reports_session():
    """The session the report, the dashboard and the exports read with."""
    engine = current_app.extensions.get(EXTENSION)
    if engine is None:
        return db.session
    session = g.get("reports_session")
    if session is None:
        session = g.reports_session = Session(engine)
    return session


def _close(exc=None) -> None:
    session = g.pop("reports_session", None)
    if session is not None:
        session.close()
