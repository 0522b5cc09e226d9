"""Audit trail: every insert, update and delete of an audited model writes an AuditLog row in the
same transaction (design §2). Who and from where come from `session.info["actor"]`, which the web
app sets per request as (user_id, ip); CLI changes have no actor."""
from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

NOT_AUDITED = {"audit_log", "dossier_counter", "user_session"}
SECRET_COLUMNS = {"password_hash"}
TECHNICAL_COLUMNS = {"created_at", "updated_at", "search_text", "version"}


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
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


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session: Session, flush_context) -> None:
    if session.info.get("skip_audit"):
        return
    from models import AuditLog

    user_id, ip = session.info.get("actor") or (None, None)
    rows = []
    for action, objects in (("insert", session.new), ("update", session.dirty),
                            ("delete", session.deleted)):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in NOT_AUDITED:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append({"at": dt.datetime.now(dt.UTC).replace(tzinfo=None), "user_id": user_id,
                         "ip": ip, "action": action, "table_name": table,
                         # identity is not set yet for inserts in after_flush: read the pk
                         "row_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                         "changes": changes})
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)
