"""Audit trail: every insert, update and delete of an audited model writes an AuditLog row in the
same transaction (design §2). Who and from where come from `session.info["actor"]`, which the web
app sets per request as (user_id, ip); CLI changes have no actor. create_app installs the hook
(`install`)."""

from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import and_, event, false, inspect, or_, select
from sqlalchemy.orm import Session

from domain import clock
from models import AuditLog, Dossier, db

NOT_AUDITED = {
    "audit_log",
    "dossier_counter",
    "user_session",
    "outbox",
    "form_draft",
}  # form drafts: copies of typed input
SECRET_COLUMNS = {"password_hash", "token_hash", "secret_hash", "lookup_secret"}
# last_login_at: a login is one "login" row (record_login), not an update of the user.
TECHNICAL_COLUMNS = {"created_at", "updated_at", "search_text", "version", "last_login_at"}
LOGIN = "login"


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in TECHNICAL_COLUMNS:
            continue
        hist = state.attrs[key].history
        if action == "update":
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
        elif action == "insert":
            old, new = None, getattr(obj, key)
            if new is None:
                continue
        else:
            old, new = getattr(obj, key), None
        if key in SECRET_COLUMNS:
            old, new = ("***" if old else None), "***" if new else None
        changes[key] = [_plain(old), _plain(new)]
    return changes


def install() -> None:
    """Every session (the app's and any other) writes the audit rows of its flushes."""
    if not event.contains(Session, "after_flush", _write_audit_rows):
        event.listen(Session, "after_flush", _write_audit_rows)


def _write_audit_rows(session: Session, flush_context) -> None:
    if session.info.get("skip_audit"):
        return
    user_id, ip = session.info.get("actor") or (None, None)
    rows = []
    for action, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in NOT_AUDITED:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": clock.utcnow(),
                    "user_id": user_id,
                    "ip": ip,
                    "action": action,
                    "table_name": table,
                    # identity is not set yet for inserts in after_flush: read the pk
                    "row_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def record_login(session: Session, user, ip: str | None) -> None:
    """A successful login: one audit row of its own, named after the user."""
    session.add(
        AuditLog(
            at=clock.utcnow(),
            user_id=user.id,
            ip=ip,
            action=LOGIN,
            table_name=user.__tablename__,
            row_id=user.id,
            changes={},
        )
    )


def rows_of_dossiers(code_fragment: str):
    """A criterion on AuditLog: the rows of the dossiers whose code contains the fragment —
    the dossier itself and every row that points to it (documents, history, pauses, payments,
    ratings, forms, feedback, courier items)."""
    fragment = (code_fragment or "").strip()
    if not fragment:
        return false()
    dossiers = select(Dossier.id).where(Dossier.code.contains(fragment, autoescape=True))
    criteria = [and_(AuditLog.table_name == Dossier.__tablename__, AuditLog.row_id.in_(dossiers))]
    for table in db.metadata.sorted_tables:
        if table.name not in NOT_AUDITED and "dossier_id" in table.c and "id" in table.c:
            criteria.append(
                and_(
                    AuditLog.table_name == table.name,
                    AuditLog.row_id.in_(select(table.c.id).where(table.c.dossier_id.in_(dossiers))),
                )
            )
    return or_(*criteria)
