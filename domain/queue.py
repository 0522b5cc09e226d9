"""The queue of the hall (máy lấy số tự động, issue 15 point 3): tickets per service group and
day, called by the clerks at their counters, shown on the hall's display.

Numbers: <prefix>-<sequence of the day, 3 digits or more> (A-001). The sequence comes from a
per-(group, day) counter row updated in the ticket's transaction, as dossier codes do
(domain/codes.py): concurrent kiosks never get the same number, a rolled-back ticket leaves no
gap, and the UNIQUE (group, day, seq) constraint is the last guard.

Calling: a clerk's "next" takes the oldest waiting ticket of the counter's groups (or one
transferred to the counter) with a conditional UPDATE ... WHERE status = 'waiting': of two clerks
calling at once, the second one's update matches no row and it takes the following ticket.

Times are naive local time (business timestamps); every function takes `now` (injectable)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, or_, select, update

from domain import kiosk
from domain.counters import next_in_day
from domain.service import RuleError
from models import Dossier, QueueCounter, QueueDayCounter, QueueDevice, QueueTicket, ServiceGroup

MIN_DIGITS = 3
CALL_ATTEMPTS = 20
LAST_CALLS = 8


def format_number(prefix: str, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("the daily sequence starts at 1")
    return f"{prefix}-{sequence:0{MIN_DIGITS}d}"


def next_sequence(session, group_id: int, day: dt.date) -> int:
    """The next number of the group's day inside the caller's transaction (row-locked until
    commit on PostgreSQL; SQLite writes hold the database lock, BEGIN IMMEDIATE)."""
    return next_in_day(session, QueueDayCounter.__table__, "group_id", group_id, day)


def waiting_count(session, group_id: int, day: dt.date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(QueueTicket)
            .where(
                QueueTicket.group_id == group_id,
                QueueTicket.day == day,
                QueueTicket.status == "waiting",
            )
        )
        or 0
    )


def issue_ticket(session, group, now: dt.datetime):
    """A new ticket of `group` for today (the caller commits)."""
    if group is None or not group.active:
        raise RuleError("queue_group_inactive")
    day = now.date()
    seq = next_sequence(session, group.id, day)
    ticket = QueueTicket(
        group_id=group.id,
        day=day,
        seq=seq,
        number=format_number(group.prefix, seq),
        status="waiting",
        issued_at=now,
        calls=0,
    )
    session.add(ticket)
    session.flush()
    return ticket


def counter_of(session, clerk, lock: bool = False):
    """The counter the clerk works at (None: none). `lock`: the counter's row is locked until the
    caller's transaction ends (PostgreSQL; SQLite writes hold the database lock), so that two
    steps sent from one counter at once — a double click — run one after the other and the
    second sees what the first did."""
    if clerk is None:
        return None
    stmt = select(QueueCounter).where(
        QueueCounter.clerk_id == clerk.id, QueueCounter.active.is_(True)
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def take_counter(session, counter, clerk) -> None:
    """The clerk now works at `counter` (and at no other)."""
    if counter is None or not counter.active:
        raise RuleError("queue_counter_inactive")
    if counter.clerk_id not in (None, clerk.id):
        raise RuleError("queue_counter_taken")
    session.execute(
        update(QueueCounter)
        .where(QueueCounter.clerk_id == clerk.id, QueueCounter.id != counter.id)
        .values(clerk_id=None)
    )
    session.flush()
    counter.clerk_id = clerk.id


def current_ticket(session, counter, day: dt.date):
    """The ticket being served at `counter` (called, not finished), or None."""
    return session.scalar(
        select(QueueTicket)
        .where(
            QueueTicket.counter_id == counter.id,
            QueueTicket.day == day,
            QueueTicket.status == "called",
        )
        .order_by(QueueTicket.called_at.desc())
        .limit(1)
    )


def _waiting_for(counter, day: dt.date):
    group_ids = [g.id for g in counter.groups if g.active] or [-1]
    return (
        select(QueueTicket.id)
        .where(
            QueueTicket.day == day,
            QueueTicket.status == "waiting",
            or_(
                QueueTicket.target_counter_id == counter.id,
                and_(QueueTicket.target_counter_id.is_(None), QueueTicket.group_id.in_(group_ids)),
            ),
        )
        .order_by(
            case((QueueTicket.target_counter_id.is_(None), 1), else_=0),
            QueueTicket.issued_at,
            QueueTicket.id,
        )
    )


def call_next(session, counter, clerk, now: dt.datetime):
    """Call the next waiting ticket to `counter`; the ticket still called there is finished as
    served first. None when nobody waits. The caller commits."""
    day = now.date()
    current = current_ticket(session, counter, day)
    if current is not None:
        finish(session, current, counter, "served", now)
    for _ in range(CALL_ATTEMPTS):
        candidate = session.scalar(_waiting_for(counter, day).limit(1))
        if candidate is None:
            return None
        taken = session.execute(
            update(QueueTicket)
            .where(QueueTicket.id == candidate, QueueTicket.status == "waiting")
            .values(
                status="called",
                counter_id=counter.id,
                clerk_id=clerk.id,
                called_at=now,
                first_called_at=func.coalesce(QueueTicket.first_called_at, now),
                target_counter_id=None,
                calls=QueueTicket.calls + 1,
            )
        ).rowcount
        if taken == 1:
            ticket = session.get(QueueTicket, candidate)
            session.refresh(ticket)
            return ticket
        # Another clerk took it meanwhile: the next one.
    raise RuleError("queue_busy")


def _own(ticket, counter):
    if ticket is None or ticket.counter_id != counter.id or ticket.status != "called":
        raise RuleError("queue_ticket_not_here")


def recall(session, ticket, counter, now: dt.datetime) -> None:
    """Call the same number again (shown again on the display as a new call)."""
    _own(ticket, counter)
    ticket.called_at = now
    ticket.calls = (ticket.calls or 0) + 1


def finish(session, ticket, counter, status: str, now: dt.datetime) -> None:
    """Served, or skipped (the citizen did not come)."""
    if status not in ("served", "skipped"):
        raise ValueError(status)
    _own(ticket, counter)
    ticket.status = status
    ticket.finished_at = now


def transfer(session, ticket, counter, now: dt.datetime, to_counter=None, to_group=None) -> None:
    """Send the ticket back to the queue of another counter or group; it keeps its number and
    its place (issued time), and its first call counts for the waiting time."""
    _own(ticket, counter)
    if to_counter is not None:
        if not to_counter.active or to_counter.id == counter.id:
            raise RuleError("queue_transfer_refused")
        ticket.target_counter_id = to_counter.id
    elif to_group is not None:
        if not to_group.active:
            raise RuleError("queue_transfer_refused")
        ticket.group_id = to_group.id
        ticket.target_counter_id = None
    else:
        raise RuleError("queue_transfer_refused")
    ticket.status = "waiting"
    ticket.counter_id = None


def link_dossier(session, ticket, code: str, agency_ids=None) -> None:
    """The dossier taken in for this ticket, by its code (of the clerk's agencies)."""
    dossier = session.scalar(select(Dossier).where(Dossier.code == (code or "").strip()))
    if dossier is None or (agency_ids is not None and dossier.agency_id not in agency_ids):
        raise RuleError("queue_dossier_unknown")
    ticket.dossier_id = dossier.id


# ---- what the hall's display and the API show ------------------------------------------------


def board(session, day: dt.date) -> dict:
    """Called numbers per counter, the last calls, waiting per group: the display's data."""
    counters = session.scalars(
        select(QueueCounter).where(QueueCounter.active.is_(True)).order_by(QueueCounter.number)
    ).all()
    current = {}
    for ticket in session.scalars(
        select(QueueTicket)
        .where(QueueTicket.day == day, QueueTicket.status == "called")
        .order_by(QueueTicket.called_at)
    ):
        current[ticket.counter_id] = ticket
    last = session.scalars(
        select(QueueTicket)
        .where(
            QueueTicket.day == day,
            QueueTicket.called_at.is_not(None),
            QueueTicket.counter_id.is_not(None),
        )
        .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc())
        .limit(LAST_CALLS)
    ).all()
    return {
        "counters": [
            {
                "counter": c.number,
                "name": c.name or "",
                "number": current[c.id].number if c.id in current else None,
                "calls": current[c.id].calls if c.id in current else 0,
            }
            for c in counters
        ],
        "last_calls": [
            {
                "number": t.number,
                "counter": t.counter.number,
                "at": t.called_at.strftime("%H:%M:%S"),
            }
            for t in last
        ],
        "groups": group_status(session, day),
    }


def group_status(session, day: dt.date) -> list[dict]:
    """Per active group: waiting count and the last number called today."""
    groups = session.scalars(
        select(ServiceGroup)
        .where(ServiceGroup.active.is_(True))
        .order_by(ServiceGroup.sort_order, ServiceGroup.prefix)
    ).all()
    waiting = dict(
        session.execute(
            select(QueueTicket.group_id, func.count())
            .where(QueueTicket.day == day, QueueTicket.status == "waiting")
            .group_by(QueueTicket.group_id)
        ).all()
    )
    last = {}
    for group_id, number in session.execute(
        select(QueueTicket.group_id, QueueTicket.number)
        .where(QueueTicket.day == day, QueueTicket.first_called_at.is_not(None))
        .order_by(QueueTicket.called_at)
    ):
        last[group_id] = number
    return [
        {
            "prefix": g.prefix,
            "name": g.name,
            "waiting": waiting.get(g.id, 0),
            "last_called": last.get(g.id),
        }
        for g in groups
    ]


# ---- figures -----------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    issued: int = 0
    called: int = 0
    served: int = 0
    skipped: int = 0
    wait_seconds: int = 0  # sum over called tickets
    serve_seconds: int = 0  # sum over served tickets

    @property
    def average_wait(self) -> float | None:
        return self.wait_seconds / self.called if self.called else None

    @property
    def average_serve(self) -> float | None:
        return self.serve_seconds / self.served if self.served else None

    def as_dict(self) -> dict:
        return {
            "issued": self.issued,
            "called": self.called,
            "served": self.served,
            "skipped": self.skipped,
            "average_wait_seconds": None if self.average_wait is None else round(self.average_wait),
            "average_serve_seconds": None
            if self.average_serve is None
            else round(self.average_serve),
        }


@functools.cache  # built once: building it cost more than running it (the report reads it)
def _tickets_statement():
    """SQL of figures(): the tickets issued on the days between the parameters `first` and
    `last`, with their group and counter."""
    day = QueueTicket.day
    return (
        select(
            ServiceGroup.prefix,
            ServiceGroup.name,
            QueueCounter.number,
            QueueTicket.status,
            QueueTicket.issued_at,
            QueueTicket.first_called_at,
            QueueTicket.called_at,
            QueueTicket.finished_at,
        )
        .join(ServiceGroup, ServiceGroup.id == QueueTicket.group_id)
        .outerjoin(QueueCounter, QueueCounter.id == QueueTicket.counter_id)
        .where(day >= bindparam("first", type_=day.type), day <= bindparam("last", type_=day.type))
    )


def figures(session, period) -> dict:
    """Waiting (issued → first called) and serving (called → served) times per group and per
    counter, for tickets issued in `period` (domain/periods.Period). The one query the totals
    page, the report JSON and the workbook share."""
    return figures_from(session.connection().execute(*figures_query(period)), period)


def figures_query(period) -> tuple:
    """(statement, parameters) of figures()."""
    return _tickets_statement(), {"first": period.start, "last": period.end}


def figures_from(rows, period) -> dict:
    """figures() from the rows of figures_query."""
    start, end = period.start, period.end
    groups: dict[str, Figure] = {}
    counters: dict[str, Figure] = {}
    total = Figure("total")
    names = {}
    for prefix, name, counter, status, issued, first_called, called, finished in rows:
        names[prefix] = name
        targets = [groups.setdefault(prefix, Figure(prefix)), total]
        if counter is not None:
            targets.append(counters.setdefault(counter, Figure(counter)))
        for fig in targets:
            fig.issued += 1
            if first_called is not None:
                fig.called += 1
                fig.wait_seconds += int((first_called - issued).total_seconds())
            if status == "served" and finished is not None and called is not None:
                fig.served += 1
                fig.serve_seconds += int((finished - called).total_seconds())
            elif status == "skipped":
                fig.skipped += 1
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "total": total.as_dict(),
        "groups": [dict(prefix=k, name=names[k], **groups[k].as_dict()) for k in sorted(groups)],
        "counters": [dict(counter=k, **counters[k].as_dict()) for k in sorted(counters)],
    }


# ---- ticket kiosks and hall displays: device tokens as the rating kiosk's ----------------------


def start_device(session, kind: str, name: str, starter, now: dt.datetime, life: dt.timedelta):
    """A new ticket kiosk or hall display: (device, token); the token goes to its cookie once."""
    if starter is None or not starter.active or starter.role not in ("admin", "staff"):
        raise RuleError("queue_device_refused")
    token = kiosk.new_token()
    device = QueueDevice(
        kind=kind,
        name=(name or "").strip()[:100] or None,
        token_hash=kiosk.hash_token(token),
        started_by=starter,
        started_at=now,
        expires_at=now + life,
    )
    session.add(device)
    return device, token


def find_device(session, token: str | None, kind: str, now: dt.datetime):
    if not token or len(token) > 200:
        return None
    device = session.scalar(
        select(QueueDevice).where(
            QueueDevice.token_hash == kiosk.hash_token(token), QueueDevice.kind == kind
        )
    )
    if device is None or device.revoked_at is not None or device.expires_at <= now:
        return None
    return device
