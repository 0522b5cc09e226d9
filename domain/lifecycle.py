"""The dossier life cycle of design §3: intake, the transition table, pauses and apologies.

Plain Python on a SQLAlchemy session (no Flask): the web views, the demo seed and the importer
all move dossiers through these functions, so every change writes the same DossierEvent and the
due date follows §5 everywhere. The caller owns the transaction: nothing here commits; when a
function raises, the caller rolls back and nothing has changed in the database (and, for
LifecycleError, nothing has changed on the objects either: rules are checked before any write).

Public API
----------
Statuses: domain.status.Status (national codes) and its named sets; deadlines (overdue, days
left, early / on time / late, the apology's effective date): domain.deadlines; the time:
domain.clock.now().

ACTIONS: {action name: Action(name, from_statuses, to_status, needs_reason)}; action names:
  accept, refuse, transfer, request_supplement, supplement_received, await_payment,
  payment_received, resolve, return, withdraw, stop, reschedule.
CENTER_UNIT: the unit name written in events for the center ("Trung tâm ...").

accept_dossier(session, dossier, user, at, unit_code, calendar=None) -> Dossier
    Intake: a new Dossier (not yet added, or pending) or a submitted one (status 1). Sets
    agency_id from the procedure, code (domain.codes.next_dossier_code: the resolving agency's
    eid_code from 01/07/2025, else `unit_code`, the receiving unit from configuration; on the date
    of `at`), accepted_at=at, due_date, due_at and due_in_hours (§5, domain.intake.due: cut-off
    time, limits in working hours), status 2, writes the
    event. `calendar` defaults to load_calendar(session); pass one when accepting many.
transition(session, dossier, action, user, at, reason=None, calendar=None, **details)
        -> DossierEvent
    Any action of ACTIONS except accept (use accept_dossier). details:
      transfer: to_unit (default: the agency's name);
      return: return_channel ("counter" | "postal" | "online"), postal_tracking_no (required for
              "postal");
      reschedule: new_due_date (a working day after the current due date: check_working_day;
              at most once, while processing);
      request_supplement: requested_items (what to add, Mẫu 02; `reason` is why). Asked at
              intake (status 1), the dossier returns to status 1 when the supplement arrives.
    Refuse, request_supplement, await_payment, withdraw, stop and reschedule need `reason`.
    Pauses (request_supplement, await_payment) open a DossierPause; the return to processing
    (or a withdrawal/stop while paused) closes it and moves due_date by §5 (and due_at with it,
    keeping its time of day).
transition_many(session, dossiers, action, user, at, reason=None, calendar=None, **details)
    The same action on several dossiers: all or nothing (the first refusal raises).
allowed_actions(dossier) -> list[str]: actions possible from the dossier's status.
check_transition(dossier, action, reason=None, calendar=None, **details): raises LifecycleError
    if refused (a reschedule is checked against `calendar`; without one, weekends and public
    holidays only).
Notices (domain/notifications.py): accept_dossier and the actions request_supplement, resolve
and reschedule queue a notice to the applicant in the caller's transaction.
LifecycleError(msgid, **params): `msgid` is an English gettext msgid with %(name)s params;
    views show gettext(e.msgid) % e.params (translated in translations/vi); str(e) is English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain import N_, intake
from domain.calendar import WorkingCalendar, load_calendar
from domain.codes import next_dossier_code
from domain.formatting import format_date
from domain.notifications import ACTION_EVENTS, queue_notices
from domain.status import CLOSING_STATUSES, OPEN_STATUSES, PAUSED_STATUSES, Status
from models import DossierEvent, DossierPause, Procedure

CENTER_UNIT = "Trung tâm Phục vụ hành chính công"
PAUSE_KIND = {Status.AWAITING_SUPPLEMENT: "supplement", Status.AWAITING_PAYMENT: "payment"}


@dataclass(frozen=True)
class Action:
    name: str
    from_statuses: tuple[Status, ...]
    to_status: Status
    needs_reason: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", (Status.SUBMITTED,), Status.ACCEPTED),
        Action("refuse", (Status.SUBMITTED,), Status.REFUSED, True),
        Action("transfer", (Status.ACCEPTED,), Status.PROCESSING),
        # Also at intake, before acceptance (Mẫu 02 of TT 03/2025: the supplement request is
        # mainly made when the dossier is received); it returns to status 1 then.
        Action(
            "request_supplement",
            (Status.SUBMITTED, Status.PROCESSING),
            Status.AWAITING_SUPPLEMENT,
            True,
        ),
        Action("supplement_received", (Status.AWAITING_SUPPLEMENT,), Status.PROCESSING),
        Action("await_payment", (Status.PROCESSING,), Status.AWAITING_PAYMENT, True),
        Action("payment_received", (Status.AWAITING_PAYMENT,), Status.PROCESSING),
        Action("resolve", (Status.ACCEPTED, Status.PROCESSING), Status.RESOLVED),
        Action("return", (Status.RESOLVED,), Status.RETURNED),
        Action("withdraw", (Status.SUBMITTED, *OPEN_STATUSES), Status.WITHDRAWN, True),
        Action("stop", (Status.PROCESSING, *PAUSED_STATUSES), Status.STOPPED, True),
        # An apology (Mẫu 04) keeps the status: it only promises a new date.
        Action("reschedule", (Status.PROCESSING,), Status.PROCESSING, True),
    )
}
RETURN_CHANNELS = ("counter", "postal", "online")


class LifecycleError(Exception):
    """A refused intake or transition; nothing was changed."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


def allowed_actions(dossier) -> list[str]:
    return [
        a.name
        for a in ACTIONS.values()
        if dossier.status in a.from_statuses
        and not (a.name == "reschedule" and dossier.rescheduled_due_date is not None)
    ]


# A new date of an apology (Mẫu 04) that is not a working day, by why it is not.
DAY_OFF_MESSAGES = {
    "saturday": N_("%(date)s is a day off (Saturday); the next working day after it is %(next)s."),
    "sunday": N_("%(date)s is a day off (Sunday); the next working day after it is %(next)s."),
    "holiday": N_(
        "%(date)s is a day off (public holiday); the next working day after it is %(next)s."
    ),
    "centre": N_("%(date)s is a day off of the centre; the next working day after it is %(next)s."),
}


def check_working_day(day: dt.date, calendar: WorkingCalendar) -> None:
    """A date promised to the applicant is a working day of the calendar (weekends, public
    holidays, the CalendarDay overrides with their make-up Saturdays); otherwise the refusal
    names the date, why, and the next working day."""
    kind = calendar.day_off_kind(day)
    if kind is not None:
        raise LifecycleError(
            DAY_OFF_MESSAGES[kind],
            date=format_date(day),
            next=format_date(calendar.working_day_on_or_after(day)),
        )


def check_transition(
    dossier,
    action: str,
    reason: str | None = None,
    calendar: WorkingCalendar | None = None,
    **details,
) -> Action:
    spec = ACTIONS.get(action)
    if spec is None:
        raise LifecycleError(N_("Unknown action: %(action)s."), action=action)
    if dossier.status not in spec.from_statuses:
        raise LifecycleError(
            N_("This action is not allowed for a dossier in status %(status)s."),
            status=dossier.status,
        )
    if spec.needs_reason and not (reason or "").strip():
        raise LifecycleError(N_("A reason is required for this action."))
    if action == "return":
        channel = details.get("return_channel") or dossier.return_channel or "counter"
        if channel not in RETURN_CHANNELS:
            raise LifecycleError(N_("Unknown return channel."))
        if (
            channel == "postal"
            and not (details.get("postal_tracking_no") or dossier.postal_tracking_no or "").strip()
        ):
            raise LifecycleError(N_("A postal tracking number is required to return by post."))
    if action == "reschedule":
        if dossier.rescheduled_due_date is not None:
            raise LifecycleError(N_("The due date has already been rescheduled once."))
        new_date = details.get("new_due_date")
        if not isinstance(new_date, dt.date) or new_date <= dossier.due_date:
            raise LifecycleError(N_("The new date must be after the due date."))
        # Without the database's overrides: weekends and public holidays only.
        check_working_day(new_date, calendar or WorkingCalendar())
    return spec


def _event(
    session, dossier, from_status, to_status, user, at, reason=None, from_unit=None, to_unit=None
):
    event = DossierEvent(
        dossier=dossier,
        from_status=from_status,
        to_status=to_status,
        at=at,
        user_id=getattr(user, "id", user),
        from_unit=from_unit,
        to_unit=to_unit,
        reason=(reason or "").strip() or None,
    )
    session.add(event)
    return event


def accept_dossier(
    session, dossier, user, at: dt.datetime, unit_code: str, calendar: WorkingCalendar | None = None
):
    """Intake (§3, §4, §5): code, clock, due date, status 2 and the first event."""
    from_status = dossier.status if dossier.id is not None else None
    if from_status is not None and from_status != Status.SUBMITTED:
        raise LifecycleError(
            N_("This action is not allowed for a dossier in status %(status)s."), status=from_status
        )
    if dossier.code and from_status is None:
        raise LifecycleError(N_("This dossier already has a code."))
    with session.no_autoflush:
        procedure = dossier.procedure or session.get(Procedure, dossier.procedure_id)
        if procedure is None:
            raise LifecycleError(N_("Choose a procedure."))
        if not (dossier.applicant_name or "").strip():
            raise LifecycleError(N_("The applicant's name is required."))
        calendar = calendar or load_calendar(session)
        dossier.procedure = procedure
        if procedure.agency_id is not None:
            dossier.agency_id = procedure.agency_id
        else:  # a procedure created in the same transaction (seed, import): not flushed yet
            dossier.agency = procedure.agency
        dossier.accepted_at = at
        when = intake.due(procedure, at, calendar)
        dossier.due_date, dossier.due_at, dossier.due_in_hours = when.date, when.at, when.in_hours
        dossier.status = Status.ACCEPTED
        dossier.channel = dossier.channel or "direct"
        dossier.applicant_kind = dossier.applicant_kind or "citizen"
        if user is not None and dossier.received_by_id is None:
            dossier.received_by_id = getattr(user, "id", user)
        agency = procedure.agency if procedure.agency is not None else dossier.agency
        dossier.code = next_dossier_code(session, agency, unit_code, at.date())
    session.add(dossier)
    _event(session, dossier, from_status, Status.ACCEPTED, user, at, to_unit=CENTER_UNIT)
    queue_notices(session, dossier, "accepted", at)
    return dossier


def _end_pause(dossier, day: dt.date, calendar: WorkingCalendar) -> None:
    for pause in dossier.pauses:
        if pause.ended_on is None:
            pause.ended_on = max(day, pause.started_on)
            if dossier.due_date is None:  # a supplement at intake: no clock yet
                continue
            dossier.due_date = calendar.due_date_after_pause(
                dossier.due_date, pause.started_on, pause.ended_on
            )
            if dossier.due_at is not None:  # the moment moves with its day, same time of day
                dossier.due_at = dt.datetime.combine(dossier.due_date, dossier.due_at.time())


def _units(dossier, action: str, from_status, to_status, details) -> tuple:
    """Who gives the dossier to whom in this step (the control sheet's hand-over): the units
    given in `details`, else the center and the dossier's agency as the action implies."""
    agency = dossier.agency.name if dossier.agency is not None else None
    from_unit, to_unit = details.get("from_unit"), details.get("to_unit")
    if to_status in PAUSED_STATUSES:
        if from_status == Status.SUBMITTED:  # at intake: the center asks the applicant
            return from_unit or CENTER_UNIT, to_unit
        return from_unit or agency, to_unit or CENTER_UNIT
    if action == "supplement_received" and to_status == Status.SUBMITTED:
        return from_unit, to_unit or CENTER_UNIT
    if action in ("transfer", "supplement_received", "payment_received"):
        return from_unit or CENTER_UNIT, to_unit or agency
    if action == "resolve" and from_status == Status.PROCESSING:
        return from_unit or agency, to_unit or CENTER_UNIT
    if action == "return":
        return from_unit or CENTER_UNIT, to_unit
    return from_unit, to_unit


def transition(
    session,
    dossier,
    action: str,
    user,
    at: dt.datetime,
    reason: str | None = None,
    calendar: WorkingCalendar | None = None,
    **details,
):
    """Apply one action of ACTIONS (see the module docstring) and write its DossierEvent."""
    if action == "accept":
        raise LifecycleError(N_("Use the intake to accept a dossier."))
    if action == "reschedule":
        calendar = calendar or load_calendar(session)
    spec = check_transition(dossier, action, reason, calendar, **details)
    from_status = dossier.status
    to_status = spec.to_status
    if action == "supplement_received" and dossier.accepted_at is None:
        to_status = Status.SUBMITTED  # the supplement asked at intake: back to intake
    from_unit, to_unit = _units(dossier, action, from_status, to_status, details)

    if from_status in PAUSED_STATUSES and to_status != from_status:
        _end_pause(dossier, at.date(), calendar or load_calendar(session))
    if to_status in PAUSED_STATUSES:
        session.add(
            DossierPause(
                dossier=dossier,
                kind=PAUSE_KIND[to_status],
                started_on=at.date(),
                reason=reason.strip(),
                requested_items=(details.get("requested_items") or "").strip() or None,
            )
        )
    if action == "resolve":
        dossier.resolved_at = at
    elif action == "return":
        dossier.returned_at = at
        dossier.return_channel = (
            details.get("return_channel") or dossier.return_channel or "counter"
        )
        if details.get("postal_tracking_no"):
            dossier.postal_tracking_no = details["postal_tracking_no"].strip()
    elif action == "reschedule":
        dossier.rescheduled_due_date = details["new_due_date"]
    if to_status in CLOSING_STATUSES:
        dossier.closed_at = at
    dossier.status = to_status
    event = _event(session, dossier, from_status, to_status, user, at, reason, from_unit, to_unit)
    if action in ACTION_EVENTS:  # the applicant is told, in this same transaction
        queue_notices(session, dossier, ACTION_EVENTS[action], at)
    return event


def transition_many(
    session,
    dossiers,
    action: str,
    user,
    at: dt.datetime,
    reason: str | None = None,
    calendar: WorkingCalendar | None = None,
    **details,
) -> list:
    """One action on many dossiers, all or nothing: every dossier is checked before any change."""
    dossiers = list(dossiers)
    if action == "reschedule" or any(d.status in PAUSED_STATUSES for d in dossiers):
        calendar = calendar or load_calendar(session)
    for dossier in dossiers:
        check_transition(dossier, action, reason, calendar, **details)
    return [transition(session, d, action, user, at, reason, calendar, **details) for d in dossiers]
