"""One-time form tokens: each create form carries a random token, and the token is stored in the
same transaction as the record the form creates. The same form sent twice — a double click, a
retry after a slow answer, the browser's "resend" — finds its token taken: one record, and the
second send is shown where the first one led.

Two sends at the same moment are settled by the table's primary key: on PostgreSQL the second
INSERT waits for the first transaction and then finds the row; on SQLite writers take turns."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import bindparam, select, update

from domain.sql import CompiledOnce
from models import FormSubmission, utcnow

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class AlreadySubmitted(Exception):
    """This form was sent before; `result_url` is where its first send led (None if unknown).
    A screen may set `message`: what to say instead of the general "already sent" (e.g. the
    intake names the dossier its first send received)."""

    def __init__(self, result_url: str | None):
        super().__init__(result_url)
        self.result_url = result_url
        self.message: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def clean_token(value) -> str | None:
    """The token as posted, or None when it is missing or not one of ours."""
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def _result_of(session, token: str):
    table = FormSubmission.__table__
    return session.execute(select(table.c.result_url).where(table.c.token == token)).first()


def check_unused(session, token: str | None) -> None:
    """Early check, before the form is validated (a second send could fail validation because of
    the first one, e.g. "code already exists"): AlreadySubmitted if the token was committed."""
    if token is None:
        return
    with session.no_autoflush:
        row = _result_of(session, token)
    if row is not None:
        raise AlreadySubmitted(row.result_url)


def claim(session, token: str | None, user_id: int | None = None) -> None:
    """Take the token in the current transaction, before the record is written. Raises
    AlreadySubmitted (after waiting for the other transaction, if it is still running) when
    another send took it; the caller then rolls back."""
    if token is None:
        return
    with session.no_autoflush:
        taken = _CLAIM.execute(session, {"token": token, "user_id": user_id, "at": utcnow()})
        if taken.first() is not None:  # inserted: the token is ours
            return
        row = _result_of(session, token)
    raise AlreadySubmitted(row.result_url if row is not None else None)


def _claim_statement(insert):
    table = FormSubmission.__table__
    return (
        insert(table)
        .values(token=bindparam("token"), user_id=bindparam("user_id"), created_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["token"])
        .returning(table.c.token)
    )


_CLAIM = CompiledOnce(_claim_statement)


def record_result(session, token: str | None, url: str) -> None:
    """Where this send leads (the new record's page), for a later send of the same form."""
    if token is None:
        return
    table = FormSubmission.__table__
    with session.no_autoflush:
        session.execute(update(table).where(table.c.token == token).values(result_url=url))
