"""The procedure catalog as the public sees it (issue 15): only active procedures of active
agencies, searched without accents by name or code, filtered by what the Procedure carries.

Shared by the public pages (views/public.py) and the open API (views/api_procedures.py): both
show the same procedures for the same filters. No Flask here; queries take the session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from domain.sql import bytewise
from domain.text import search_words
from models import Agency, Field, Procedure

# Longer searches are cut: no one types 200 characters of a procedure's name.
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class CatalogFilters:
    """What a citizen can ask: words (name or code, accents optional), then exact filters.
    Agencies and fields are named by their public codes, never by row ids."""

    q: str = ""
    agency: str | None = None  # Agency.code
    field: str | None = None  # Field.code
    level: str | None = None  # models.PROCEDURE_LEVELS
    online_level: str | None = None  # models.ONLINE_LEVELS
    saturday_service: bool = False
    four_on_spot: bool = False
    postal_in: bool = False
    postal_out: bool = False

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in dataclass_fields(self))


def public_procedures():
    """Every procedure the public may see, with its agency joined (for ordering and display)."""
    return (
        select(Procedure)
        .join(Procedure.agency)
        .where(Procedure.active.is_(True), Agency.active.is_(True))
        .options(contains_eager(Procedure.agency))
    )


def _filtered(stmt, filters: CatalogFilters):
    for word in search_words(filters.q[:MAX_QUERY_LENGTH]):
        # search_text holds the code and the name, lower-case and accent-free (models.py).
        stmt = stmt.where(Procedure.search_text.contains(word, autoescape=True))
    if filters.agency:
        stmt = stmt.where(Agency.code == filters.agency)
    if filters.field:
        stmt = stmt.where(
            Procedure.field_id.in_(select(Field.id).where(Field.code == filters.field))
        )
    if filters.level:
        stmt = stmt.where(Procedure.level == filters.level)
    if filters.online_level:
        stmt = stmt.where(Procedure.online_level == filters.online_level)
    for flag in ("saturday_service", "four_on_spot", "postal_in", "postal_out"):
        if getattr(filters, flag):
            stmt = stmt.where(getattr(Procedure, flag).is_(True))
    return stmt


def code_order(session: Session):
    """Procedure codes in byte order on both databases: PostgreSQL's default collation would
    skip the dots and sort "1.2" among "12"; SQLite compares bytes already."""
    return bytewise(Procedure.code)


def count(session: Session, filters: CatalogFilters) -> int:
    stmt = _filtered(
        select(func.count(Procedure.id))
        .join(Procedure.agency)
        .where(Procedure.active.is_(True), Agency.active.is_(True)),
        filters,
    )
    return session.scalar(stmt) or 0


def page(session: Session, filters: CatalogFilters, number: int, size: int) -> list[Procedure]:
    """One page (from 1) of the matching procedures, agency by agency in the center's order,
    with agency and field loaded in the same query."""
    stmt = (
        _filtered(public_procedures(), filters)
        .options(joinedload(Procedure.field))
        .order_by(Agency.sort_order, Agency.id, code_order(session))
        .offset((number - 1) * size)
        .limit(size)
    )
    return list(session.scalars(stmt))


def after_code(
    session: Session, filters: CatalogFilters, after: str | None, limit: int
) -> list[Procedure]:
    """Up to `limit` matching procedures whose code comes after `after`, by code: a keyset page,
    stable while procedures are added or deactivated between two requests."""
    order = code_order(session)
    stmt = _filtered(public_procedures(), filters).options(joinedload(Procedure.field))
    if after is not None:
        stmt = stmt.where(order > after)
    return list(session.scalars(stmt.order_by(order).limit(limit)))


def find(session: Session, code: str) -> Procedure | None:
    """One public procedure by its code, with what its page shows; None when it is unknown,
    inactive or of an inactive agency."""
    stmt = (
        public_procedures()
        .where(Procedure.code == code)
        .options(joinedload(Procedure.field), selectinload(Procedure.fee_items))
    )
    return session.scalars(stmt).unique().one_or_none()


def filter_choices(session: Session) -> tuple[list[Agency], list[Field]]:
    """The agencies (in the center's order) and their active fields that have public
    procedures: the choices of the filters, nothing that would find nothing."""
    agencies = list(
        session.scalars(
            select(Agency)
            .where(
                Agency.active.is_(True),
                Agency.id.in_(select(Procedure.agency_id).where(Procedure.active.is_(True))),
            )
            .order_by(Agency.sort_order, Agency.id)
        )
    )
    fields = list(
        session.scalars(
            select(Field)
            .join(Field.agency)
            .where(
                Field.active.is_(True),
                Agency.active.is_(True),
                Field.id.in_(select(Procedure.field_id).where(Procedure.active.is_(True))),
            )
            .options(contains_eager(Field.agency))
            .order_by(Agency.sort_order, Agency.id, Field.code)
        )
    )
    return agencies, fields


_LIST_SEPARATORS = re.compile(r"\s*(?:\n|;)\s*")


def document_list(text: str | None) -> list[str]:
    """The required documents, one per line or separated by semicolons (as the catalogs
    publish them), as a list to show item by item."""
    if not text:
        return []
    return [item.rstrip(".") for item in _LIST_SEPARATORS.split(text.strip()) if item]
