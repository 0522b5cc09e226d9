"""Form drafts: a form posted after its session expired loses nothing. What was typed is kept
server-side under a random key (only its hash is stored) until its author logs in again and
sees the form refilled, to check and save it (a draft is never saved by itself). Neither the
CSRF token, nor passwords, nor files are kept; a draft is shown once and lives a few hours."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select

from models import FormDraft

DEFAULT_HOURS = 2
MAX_CHARS = 200_000  # a form of a normal size; anything bigger is not kept
NOT_KEPT = ("csrf_token",)


def keepable_fields(items) -> list[list[str]]:
    """The posted (name, value) pairs worth keeping, in their order."""
    return [
        [name, value]
        for name, value in items
        if name not in NOT_KEPT and "password" not in name.lower()
    ]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def store(
    session,
    path: str,
    fields: list,
    now: dt.datetime,
    lifetime: dt.timedelta,
    user_id: int | None = None,
) -> str | None:
    """Keep `fields` for the page at `path`; returns the key, or None when there is nothing
    (or too much) to keep. Expired drafts are deleted on the way."""

    session.execute(delete(FormDraft).where(FormDraft.expires_at <= now))
    if not fields or len(path) > 255 or sum(len(n) + len(v) for n, v in fields) > MAX_CHARS:
        return None
    key = secrets.token_urlsafe(24)
    session.add(
        FormDraft(
            key_hash=_hash(key),
            path=path,
            fields=fields,
            user_id=user_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return key


def exists(session, key: str | None) -> bool:
    """Whether a draft is kept under `key`, whoever's and whatever its page: a read, for the
    keys that name none (used up, mistyped), which need no write transaction to find that out."""

    if not key or len(key) > 100:
        return False
    return session.scalar(select(FormDraft.id).where(FormDraft.key_hash == _hash(key))) is not None


def take(session, key: str | None, path: str, now: dt.datetime, user_id: int | None) -> list | None:
    """The fields kept under `key` for the page at `path`, once (the draft is deleted); None
    when unknown, expired, for another page or typed by another user."""

    if not key or len(key) > 100:
        return None
    draft = session.scalar(select(FormDraft).where(FormDraft.key_hash == _hash(key)))
    if draft is None or draft.path != path:
        return None
    if draft.user_id is not None and draft.user_id != user_id:
        return None
    session.delete(draft)
    return draft.fields if draft.expires_at > now else None
