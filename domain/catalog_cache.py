"""Per-process copies of small tables read on every page (the filter options of the lists: agencies,
procedures; 140 KB of HTML options for a province's catalog), instead of reading and building
them per request.

A copy is dropped as soon as a change to one of the WATCHED tables is committed (or rolled back)
in this process, and is at most `max_age` seconds old (settings.catalog_cache_seconds) for a
change made by another process (another gunicorn worker or host)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

WATCHED = frozenset({"agency", "field", "procedure", "user_agency", "calendar_day"})

_lock = threading.Lock()
_entries: dict = {}  # key -> (version, stored at, value)
_version = 0


# Seconds a copy is kept at most (a change made by another process); create_app sets it from
# settings.catalog_cache_seconds.
MAX_AGE = 60.0


def get(key, build, max_age: float | None = None):
    """The cached value of `key`, built with build() when missing, stale or outdated."""
    max_age = MAX_AGE if max_age is None else max_age
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] == _version and now - entry[1] < max_age:
        return entry[2]
    version = _version
    value = build()
    with _lock:
        _entries[key] = (version, now, value)
    return value


def clear() -> None:
    global _version
    with _lock:
        _version += 1
        _entries.clear()


@event.listens_for(Session, "after_flush")
def _note_changes(session, flush_context):
    rows = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(getattr(r, "__table__", None), "name", None) in WATCHED for r in rows):
        # Dropped now (this transaction reads its own change) and again when it ends (a copy
        # made meanwhile holds uncommitted rows).
        session.info["catalog_changed"] = True
        clear()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _drop_on_change(session):
    if session.info.pop("catalog_changed", False):
        clear()
