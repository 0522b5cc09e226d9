"""Fees and payments (design §2): amounts are whole đồng (integers, never floats)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import extract, func, select

from domain import clock
from domain.periods import within
from domain.service import RuleError, future_refusals, refuse
from domain.sql import scoped, unindexed
from models import PAYMENT_METHODS, Agency, Dossier, FeeItem, Payment

MAX_AMOUNT_VND = 10**12  # a thousand billion đồng: anything above is a typing mistake
_GROUPED = re.compile(r"^\d{1,3}([.\s]\d{3})+$")  # 135.000 or 1 250 000 (Vietnamese grouping)


def parse_amount_vnd(value, minimum: int = 1) -> int:
    """A whole number of đồng from user input: 135000, "135.000", "1 250 000", "135000 đ".

    Refuses (RuleError) empty, non-numeric, fractional ("1000,5", "1000.5", 12.5), absurdly large
    amounts, and amounts below `minimum`: 1 for a payment (zero or negative refused), 0 for a fee
    item (a free procedure has a 0 đ fee; negative refused)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RuleError("amount_required")
    if isinstance(value, bool):
        raise RuleError("amount_not_a_number")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, (float, Decimal)):
        if value != int(value):
            raise RuleError("amount_fractional")
        amount = int(value)
    else:
        text = str(value).strip().lower().removesuffix("đ").removesuffix("vnd").strip()
        negative = text.startswith("-")
        digits = text.lstrip("+-").strip()
        if len(digits) > 40:  # int() reads at most 4,300 digits; no amount needs 40 characters
            numeric = re.fullmatch(r"[\d.,\s]+", digits)
            raise RuleError("amount_too_large" if numeric else "amount_not_a_number")
        if _GROUPED.match(digits):
            digits = re.sub(r"[.\s]", "", digits)
        elif not (digits.isascii() and digits.isdigit()):  # "²" is a digit to isdigit() only
            if not re.fullmatch(r"\d+[.,]\d+", digits):
                raise RuleError("amount_not_a_number")
            try:
                number = Decimal(digits.replace(",", "."))
            except InvalidOperation:
                raise RuleError("amount_not_a_number") from None
            if not number.is_finite():
                raise RuleError("amount_not_a_number")
            if number != number.to_integral_value():
                raise RuleError("amount_fractional")
            digits = str(int(number))
        amount = -int(digits) if negative else int(digits)
    if amount < minimum:
        raise RuleError("amount_not_positive" if minimum > 0 else "amount_negative")
    if amount > MAX_AMOUNT_VND:
        raise RuleError("amount_too_large")
    return amount


@dataclass
class FeeProposal:
    items: list[dict]  # [{"id", "name", "kind", "amount_vnd"}]
    total_vnd: int  # the procedure's fee items
    paid_vnd: int  # already paid for this dossier (cancelled payments excluded)
    proposed_vnd: int  # what is left to pay (the amount the form proposes)

    def as_dict(self) -> dict:
        return {
            "items": self.items,
            "total_vnd": self.total_vnd,
            "paid_vnd": self.paid_vnd,
            "proposed_vnd": self.proposed_vnd,
        }


def fee_proposal(session, dossier) -> FeeProposal:
    """The amount to propose for a dossier: its procedure's fee items minus what was paid."""

    items = session.execute(
        select(FeeItem.id, FeeItem.name, FeeItem.kind, FeeItem.amount_vnd)
        .where(FeeItem.procedure_id == dossier.procedure_id)
        .order_by(FeeItem.id)
    ).all()
    paid = (
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
                Payment.dossier_id == dossier.id, Payment.cancelled_at.is_(None)
            )
        )
        or 0
    )
    total = sum(int(i.amount_vnd or 0) for i in items)
    return FeeProposal(
        items=[
            {"id": i.id, "name": i.name, "kind": i.kind, "amount_vnd": int(i.amount_vnd)}
            for i in items
        ],
        total_vnd=total,
        paid_vnd=int(paid),
        proposed_vnd=max(total - int(paid), 0),
    )


def payment_refusals(paid_at: dt.datetime | None, now: dt.datetime) -> list[RuleError]:
    """What refuses a payment's moment, on its field: paid after `now` (a payment typed a year
    ahead would count in that year's fees)."""
    return future_refusals(now, paid_at=paid_at)


def record_payment(
    session,
    dossier,
    amount,
    method: str,
    paid_at: dt.datetime,
    collected_by=None,
    receipt_no: str | None = None,
    fee_item=None,
    now: dt.datetime | None = None,
):
    """A new Payment row (validated; the caller commits). `now`: the clock's by default."""

    refuse(payment_refusals(paid_at, now or clock.now()))
    if method not in PAYMENT_METHODS:
        raise RuleError("payment_method_unknown")
    if fee_item is not None and fee_item.procedure_id != dossier.procedure_id:
        raise RuleError("fee_item_other_procedure")
    payment = Payment(
        dossier=dossier,
        amount_vnd=parse_amount_vnd(amount),
        method=method,
        paid_at=paid_at,
        receipt_no=(receipt_no or None),
        fee_item=fee_item,
        collected_by=collected_by,
    )
    session.add(payment)
    return payment


@dataclass
class PaymentTotal:
    agency_id: int
    agency_code: str
    agency_name: str
    year: int
    month: int
    method: str
    count: int
    amount_vnd: int


def payment_totals(
    session,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    agency_ids: list[int] | None = None,
    cancelled: bool = False,
) -> list[PaymentTotal]:
    """Money collected, one row per agency, month and method (cancelled payments excluded; with
    `cancelled`, the cancelled ones only). One GROUP BY query; the agency is the dossier's. The
    report's breakdowns by agency and method and the payments' totals page add these rows up."""

    year = extract("year", Payment.paid_at)
    month = extract("month", Payment.paid_at)
    query = (
        select(
            Agency.id,
            Agency.code,
            Agency.name,
            year,
            month,
            Payment.method,
            func.count(Payment.id),
            func.sum(Payment.amount_vnd),
        )
        # Driven by the paid_at range (SQLite, with statistics, walked each agency's
        # dossiers and their payments instead: a million dossiers for a month's payments).
        .join(Dossier, unindexed(Payment.dossier_id) == Dossier.id)
        .join(Agency, unindexed(Dossier.agency_id) == Agency.id)
        .where(
            Payment.cancelled_at.is_not(None) if cancelled else Payment.cancelled_at.is_(None),
            *within(Payment.paid_at, date_from, date_to),
        )
        .group_by(
            Agency.id, Agency.code, Agency.name, Agency.sort_order, year, month, Payment.method
        )
        .order_by(Agency.sort_order, Agency.name, year, month, Payment.method)
    )
    query = scoped(query, Dossier.agency_id, agency_ids)
    return [
        PaymentTotal(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5], int(r[6]), int(r[7]))
        for r in session.execute(query)
    ]


def add_up(rows: list[PaymentTotal], key) -> dict:
    """{key(row): (payments, amount in VND)} over payment_totals rows, in the rows' order: the
    breakdowns by agency, method or month of the report, the totals page and the dashboard."""
    sums: dict = {}
    for r in rows:
        n, amount = sums.get(key(r), (0, 0))
        sums[key(r)] = (n + r.count, amount + r.amount_vnd)
    return sums


def fees_collected_vnd(
    session,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    agency_ids: list[int] | None = None,
) -> int:
    """The total collected in the period (design §6 "fees_collected_vnd")."""

    query = fees_collected(within(Payment.paid_at, date_from, date_to))
    if agency_ids is not None:
        query = scoped(
            query.join(Dossier, Payment.dossier_id == Dossier.id), Dossier.agency_id, agency_ids
        )
    return int(session.scalar(query) or 0)


def fees_collected(criteria: list):
    """SQL: the total of the payments not cancelled that meet `criteria` (the paid_at range;
    fees_collected_vnd; the report sums the same payments kept per day: report_days.fees_from)."""
    return select(func.coalesce(func.sum(Payment.amount_vnd), 0)).where(*collected(), *criteria)


def collected() -> list:
    """SQL criteria of the payments that count as collected: those not cancelled."""
    return [Payment.cancelled_at.is_(None)]
