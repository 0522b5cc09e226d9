"""The printed forms of a dossier: which set applies (Thông tư 01/2018/TT-VPCP or Thông tư
03/2025/TT-VPCP, chosen by the acceptance date), which forms of it apply to a dossier, and what
each prints besides the dossier: the act it records, its own number and symbol, the date of the
act, the hand-over rows of the control sheet. The dossier page offers exactly the forms the print
page can print (templates/forms/). Sources: docs/legal.md §2."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from html import escape

import barcode
import segno
from sqlalchemy import and_, func, or_, select

from domain import N_, deadlines
from domain.codes import AGENCY_PREFIX_SINCE
from domain.status import Status
from models import CourierItem, CourierRun, Dossier, DossierEvent, DossierPause

# The kinds of form: the key in the print URL (/dossier/print/<kind>/), the same whatever the
# set; the number printed on the paper comes from the set (the 2025 set renumbers).
RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, CONTROL_SHEET = "01", "02", "03", "04", "05"
STOP_NOTICE = "stop"
KINDS = (RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, STOP_NOTICE, CONTROL_SHEET)
FORMS = KINDS  # the URL keys the print page takes

# Nghị định 118/2025/NĐ-CP in force: the 2025 set from this acceptance date on (docs/legal.md §2).
SET_2025_SINCE = AGENCY_PREFIX_SINCE


@dataclass(frozen=True)
class PrintedForm:
    kind: str
    number: str  # "Mẫu số <number>" of its set
    title: str  # English msgid (translated where printed)
    symbol: str | None  # the symbol after the form's own number: "Số: 12/TNHS"
    template: str


@dataclass(frozen=True)
class FormSet:
    year: int
    basis: str  # the circular that issued the set: a citation, printed as it is written
    forms: tuple[PrintedForm, ...]
    register: PrintedForm  # the register (Sổ theo dõi hồ sơ), an .xlsx file

    def form(self, kind: str) -> PrintedForm | None:
        return next((f for f in self.forms if f.kind == kind), None)


TITLE_RECEIPT = N_("Receipt of dossier and appointment for the result")
TITLE_SUPPLEMENT = N_("Request to supplement and complete the dossier")
TITLE_REFUSAL = N_("Refusal to accept or resolve the dossier")
TITLE_CONTROL = N_("Control sheet of the dossier resolution process")
TITLE_REGISTER = N_("Register of dossiers")

# Mẫu 01–03 are the same in both sets.
FORMS_01_TO_03 = (
    PrintedForm(RECEIPT, "01", TITLE_RECEIPT, "TNHS", "forms/mau01.html"),
    PrintedForm(SUPPLEMENT_REQUEST, "02", TITLE_SUPPLEMENT, "HDHS", "forms/mau02.html"),
    PrintedForm(REFUSAL, "03", TITLE_REFUSAL, "TCHS", "forms/mau03.html"),
)

SET_2018 = FormSet(
    2018,
    "Thông tư số 01/2018/TT-VPCP ngày 23/11/2018 của Văn phòng Chính phủ",
    (
        *FORMS_01_TO_03,
        PrintedForm(
            APOLOGY,
            "04",
            N_("Apology and new appointment for the result"),
            "PXL",
            "forms/mau04.html",
        ),
        PrintedForm(CONTROL_SHEET, "05", TITLE_CONTROL, None, "forms/mau05.html"),
    ),
    PrintedForm("register", "06", TITLE_REGISTER, None, ""),
)
SET_2025 = FormSet(
    2025,
    "Thông tư số 03/2025/TT-VPCP ngày 15/9/2025 của Văn phòng Chính phủ",
    (
        *FORMS_01_TO_03,
        PrintedForm(
            APOLOGY,
            "04",
            N_("Apology and request to extend the resolution time"),
            "XLGH",
            "forms/mau04.html",
        ),
        PrintedForm(
            STOP_NOTICE,
            "05",
            N_("Notice of stopping the resolution of the dossier"),
            "TBDGQ",
            "forms/stop_notice.html",
        ),
        PrintedForm(CONTROL_SHEET, "06", TITLE_CONTROL, None, "forms/mau05.html"),
    ),
    PrintedForm("register", "07", TITLE_REGISTER, None, ""),
)


def form_set(day: dt.date | dt.datetime) -> FormSet:
    """The one rule: the set in force on `day` (a dossier's acceptance date)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return SET_2025 if day >= SET_2025_SINCE else SET_2018


def dossier_form_set(dossier, today: dt.date) -> FormSet:
    """The set of a dossier: by its acceptance date; one never accepted (a supplement request
    or a refusal at intake) by the day it was submitted, else `today`."""
    return form_set(dossier.accepted_at or dossier.submitted_at or today)


# Statuses whose event a form records: the 2018 set printed its refusal for a stop too (it
# has no stop notice); the 2025 set has the stop notice (TT 03/2025 Art. 7) for a stop or a
# withdrawal at the applicant's request.
STOP_STATUSES = (Status.WITHDRAWN, Status.STOPPED)


def _last_event(dossier, statuses):
    events = [e for e in dossier.events if e.to_status in statuses]
    return events[-1] if events else None


def form_context(dossier, kind: str, forms: FormSet) -> dict | None:
    """What form `kind` prints besides the dossier, or None when it does not apply to it (or is
    not in the set): `act_at` the date of the act; 02 the last supplement request (`pause`,
    `event`), 03 the refusal, the stop notice the stop or withdrawal, 04 the last
    rescheduling (`event`)."""
    if forms.form(kind) is None:
        return None
    if kind in (RECEIPT, CONTROL_SHEET):
        return {"act_at": dossier.accepted_at} if dossier.accepted_at else None
    if kind == SUPPLEMENT_REQUEST:
        pauses = [p for p in dossier.pauses if p.kind == "supplement"]
        if not pauses:
            return None
        event = _last_event(dossier, (Status.AWAITING_SUPPLEMENT,))
        return {"pause": pauses[-1], "event": event, "act_at": pauses[-1].started_on}
    if kind in (REFUSAL, STOP_NOTICE):
        statuses = (Status.REFUSED,)
        if kind == STOP_NOTICE:
            statuses = STOP_STATUSES
        elif forms.form(STOP_NOTICE) is None:
            statuses = (Status.REFUSED, Status.STOPPED)
        if dossier.status not in statuses:
            return None
        event = _last_event(dossier, statuses)
        return {"event": event, "act_at": event.at} if event else None
    if kind == APOLOGY:
        if not dossier.rescheduled_due_date:
            return None
        events = [e for e in dossier.events if e.from_status == e.to_status == Status.PROCESSING]
        return {"event": events[-1], "act_at": events[-1].at} if events else None
    return None


def available_forms(dossier, today: dt.date) -> list[PrintedForm]:
    """The forms that apply to `dossier`, in order."""
    forms = dossier_form_set(dossier, today)
    return [f for f in forms.forms if form_context(dossier, f.kind, forms) is not None]


# ---- the form's own number: "Số: <sequence>/<symbol>" ----------------------------------------
# The sequence restarts every year and counts the acts of that kind of the whole center, in
# the order they happened (time, then id): computed, so that it needs no counter and the same
# paper reprints with the same number. The receipt's number is also its sequence number in the
# register (Quyển số = the year).


def _year_bounds(day: dt.date):
    return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)


def _ordinal(session, model, at_column, at_value, row_id, *where) -> int:
    """1 + the rows of `model` matching `where` before (at_value, row_id) in the year."""
    start, end = _year_bounds(at_value if isinstance(at_value, dt.date) else at_value.date())
    if isinstance(at_value, dt.datetime):
        start, end = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time())
    before = or_(at_column < at_value, and_(at_column == at_value, model.id <= row_id))
    return session.scalar(
        select(func.count())
        .select_from(model)
        .where(at_column >= start, at_column < end, before, *where)
    )


def register_sequence(session, dossier) -> int:
    """The dossier's sequence number in the register of its acceptance year."""
    return _ordinal(session, Dossier, Dossier.accepted_at, dossier.accepted_at, dossier.id)


def form_number(session, dossier, kind: str, context: dict) -> int | None:
    """The sequence of the act the form records among the center's acts of its kind that year."""
    if kind == RECEIPT:
        return register_sequence(session, dossier)
    if kind == SUPPLEMENT_REQUEST:
        pause = context["pause"]
        return _ordinal(
            session,
            DossierPause,
            DossierPause.started_on,
            pause.started_on,
            pause.id,
            DossierPause.kind == "supplement",
        )
    event = context.get("event")
    if event is None:
        return None
    if kind == APOLOGY:
        where = (
            DossierEvent.from_status == Status.PROCESSING,
            DossierEvent.to_status == Status.PROCESSING,
        )
    else:
        where = (DossierEvent.to_status == event.to_status,)
    return _ordinal(session, DossierEvent, DossierEvent.at, event.at, event.id, *where)


# ---- the apology's timing -------------------------------------------------------------------


def apology_is_late(dossier, issued_on: dt.date, calendar) -> bool:
    """The apology (and request for more time) is issued at the latest 1 working day before the
    due date (docs/legal.md §2, Mẫu 04): True when `issued_on` is later than that."""
    if dossier.due_date is None:
        return False
    # No working day in [issued_on, due date): the working days in (issued_on - 1, due - 1].
    day = dt.timedelta(days=1)
    return calendar.working_days_between(issued_on - day, dossier.due_date - day) < 1


# ---- the control sheet: hand-over rows ------------------------------------------------------


@dataclass
class Handover:
    at: dt.datetime
    giver: str
    receiver: str
    step: str  # what happened, translated by the caller's labels
    officer: str
    outcome: str | None  # deadlines.EARLY / ON_TIME / LATE of the hand-over against the due date
    note: str
    via: str | None = None  # "courier" (a courier run), "postal" (public postal service)


def step_outcome(at: dt.datetime, due: dt.date | None) -> str | None:
    """A step handed over on `at`, against the dossier's due date: early, on time or late (no
    per-step time allowance exists in the catalog; docs/legal.md §2, Mẫu 06)."""
    if due is None:
        return None
    return deadlines.outcome(Status.RESOLVED, at.date(), due)


def courier_runs(session, dossier) -> list[tuple[CourierRun, CourierItem]]:
    """The courier runs that carried the dossier, in order."""
    rows = session.execute(
        select(CourierRun, CourierItem)
        .join(CourierItem, CourierItem.run_id == CourierRun.id)
        .where(CourierItem.dossier_id == dossier.id)
        .order_by(CourierRun.run_date, CourierRun.slot, CourierRun.id)
    ).all()
    return [(run, item) for run, item in rows]


def handovers(dossier, runs, center: str, step_label, postal: str) -> list[Handover]:
    """The rows of the control sheet: each event (who gave the dossier to whom, when), the
    courier runs that carried it, and the postal service (named `postal`) when the dossier came
    or went by post. `step_label(event)` gives the step's text."""
    rows = []
    due = dossier.due_date
    for e in dossier.events:
        moved = e.from_unit or e.to_unit
        rows.append(
            Handover(
                at=e.at,
                giver=e.from_unit or "",
                receiver=e.to_unit or "",
                step=step_label(e),
                officer=str(e.user or ""),
                outcome=step_outcome(e.at, due)
                if moved and e.from_status not in (None, Status.SUBMITTED)
                else None,
                note=e.reason or "",
            )
        )
        if e.to_status == Status.ACCEPTED and dossier.channel == "postal":
            rows[-1].giver, rows[-1].via = postal, "postal"
        if e.to_status == Status.RETURNED and dossier.return_channel == "postal":
            rows[-1].receiver, rows[-1].via = postal, "postal"
            rows[-1].note = " ".join(x for x in (dossier.postal_tracking_no, rows[-1].note) if x)
    for run, _item in runs:
        agency = run.agency.name if run.agency else ""
        giver, receiver = (center, agency) if run.direction == "to_agency" else (agency, center)
        hour, minute = (int(x) for x in run.slot.split(":"))
        at = dt.datetime.combine(run.run_date, dt.time(hour, minute))
        rows.append(
            Handover(at, giver, receiver, "", "", step_outcome(at, due), run.note or "", "courier")
        )
    rows.sort(key=lambda r: r.at)
    return rows


def cooperating_units(dossier, center: str) -> list[str]:
    """Units the dossier went to besides the center and its resolving agency (the agencies that
    cooperate in an interagency procedure), in order of appearance."""
    own = {center, dossier.agency.name if dossier.agency else None, None, ""}
    seen = []
    for e in dossier.events:
        for unit in (e.from_unit, e.to_unit):
            if unit not in own and unit not in seen:
                seen.append(unit)
    return seen


def appointment_at(dossier) -> dt.datetime | None:
    """Mẫu 01's appointment (giờ, phút, ngày): the due moment of domain.deadlines (the moment of
    a limit in hours; the end of the working day for a limit in days)."""
    return deadlines.due_moment(dossier)


# ---- the dossier code on paper: a Code 128 barcode and a QR code (issue 14, point 5) ----------
# Inline SVG drawn with presentation attributes only (no style attribute, no script): the
# Content-Security-Policy of the print page lets it through, and it prints as sharp as text.
# Sizes for a paper scanner: 0.25 mm (10 mil) per bar module, what counter scanners read,
# 10 modules of quiet zone each side; 0.5 mm per QR module (a phone reads 0.4 mm), a quiet zone
# of 2 modules (the paper around it is blank).
BAR_MODULE_MM = 0.25
BAR_HEIGHT_MM = 8
BAR_QUIET_MODULES = 10
QR_MODULE_MM = 0.5


def code128_modules(code: str) -> str:
    """The bars of `code` in Code 128 (python-barcode), one character per module: "1" black,
    "0" white, start to stop, without the quiet zones."""
    return barcode.get("code128", code).build()[0]


def code128_svg(code: str) -> str:
    """The barcode of `code` as an inline <svg>: one <rect> per bar, in modules (viewBox)."""
    modules = code128_modules(code)
    width = len(modules) + 2 * BAR_QUIET_MODULES
    bars = []
    for match in re.finditer(r"1+", modules):
        bars.append(
            f'<rect x="{match.start() + BAR_QUIET_MODULES}" y="0" '
            f'width="{len(match.group())}" height="1"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        f'aria-label="{escape(code)}" viewBox="0 0 {width} 1" preserveAspectRatio="none" '
        f'width="{width * BAR_MODULE_MM:.2f}mm" height="{BAR_HEIGHT_MM}mm" '
        f'shape-rendering="crispEdges"><rect x="0" y="0" width="{width}" height="1" '
        f'fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>'
    )


def qr_svg(text: str, label: str = "") -> str:
    """`text` (a URL) as a QR code, inline <svg> sized in millimetres (segno)."""
    qr = segno.make(text, error="l", micro=False)  # L: smaller, and paper is clean
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        unit="mm",
        scale=QR_MODULE_MM,
        border=2,
        dark="#000",
        light="#fff",
        svgclass="qrcode",
        lineclass=None,
        title=label or None,
    )
    svg = out.getvalue().decode()
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label or text)}" ', 1)
