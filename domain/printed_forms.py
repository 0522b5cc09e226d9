"""The printed forms of a dossier (Mẫu 01–05): which ones apply to a dossier, and the record
each one prints besides the dossier. The dossier page offers exactly the forms the print page
can print (templates/forms/mauNN.html)."""
from __future__ import annotations

from domain import lifecycle as lc

RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, CONTROL_SHEET = "01", "02", "03", "04", "05"
FORMS = (RECEIPT, SUPPLEMENT_REQUEST, REFUSAL, APOLOGY, CONTROL_SHEET)


def form_context(dossier, form_no: str) -> dict | None:
    """What form `form_no` prints besides the dossier, or None when it does not apply to it:
    02 the last supplement request, 03 the refusal (or stop) event, 04 the last rescheduling."""
    if form_no in (RECEIPT, CONTROL_SHEET):
        return {}
    if form_no == SUPPLEMENT_REQUEST:
        pauses = [p for p in dossier.pauses if p.kind == "supplement"]
        return {"pause": pauses[-1]} if pauses else None
    if form_no == REFUSAL:
        if dossier.status not in (lc.REFUSED, lc.STOPPED):
            return None
        events = [e for e in dossier.events if e.to_status in (lc.REFUSED, lc.STOPPED)]
        return {"event": events[-1]} if events else None
    if form_no == APOLOGY:
        if not dossier.rescheduled_due_date:
            return None
        events = [e for e in dossier.events if e.from_status == e.to_status == lc.PROCESSING]
        return {"event": events[-1]} if events else None
    return None


def available_forms(dossier) -> list[str]:
    """The forms that apply to `dossier`, in order."""
    return [no for no in FORMS if form_context(dossier, no) is not None]
