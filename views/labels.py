"""Labels of columns and choices, in one place for every screen (English msgids, Vietnamese
translations in translations/vi)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from domain import deadlines
from domain.status import Status

# Column labels shared by every view: the same column has the same label everywhere.
LABELS = {
    "code": _l("Code"),
    "eid_code": _l("Electronic ID code"),
    "name": _l("Name"),
    "short_name": _l("Short name"),
    "kind": _l("Kind"),
    "sort_order": _l("Order"),
    "active": _l("Active"),
    "agency": _l("Agency"),
    "agencies": _l("Agencies"),
    "field": _l("Field"),
    "procedure": _l("Procedure"),
    "level": _l("Level"),
    "processing_days": _l("Processing time (working days)"),
    "processing_hours": _l("Processing time (working hours)"),
    "cutoff_time": _l("Cut-off time"),
    "due_at": _l("Due (time, date)"),
    "online_level": _l("Online service"),
    "legacy_online_level": _l("Legacy online level (1–4)"),
    "postal_in": _l("Postal receipt"),
    "postal_out": _l("Postal return"),
    "four_on_spot": _l("4 on the spot"),
    "saturday_service": _l("Saturday service"),
    "interagency": _l("Inter-agency"),
    "publication_decision": _l("Publication decision"),
    "publication_date": _l("Publication date"),
    "legal_basis": _l("Legal basis"),
    "required_documents": _l("Required documents"),
    "result": _l("Result"),
    "fee_items": _l("Fees and charges"),
    "amount_vnd": _l("Amount (VND)"),
    "channel": _l("Channel"),
    "note": _l("Note"),
    "set_count": _l("Number of dossiers (sets)"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "role": _l("Role"),
    "counter_no": _l("Counter"),
    "last_login_at": _l("Last login"),
    "new_password": _l("New password"),
    "date": _l("Date"),
    "is_working_day": _l("Working day"),
    "at": _l("Time"),
    "user": _l("User"),
    "ip": _l("IP address"),
    "action": _l("Action"),
    "table_name": _l("Table"),
    "row_id": _l("Row"),
    "changes": _l("Changes"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "search_text": _l("Search"),
    # dossiers
    "applicant_name": _l("Applicant"),
    "applicant_kind": _l("Applicant kind"),
    "id_number": _l("ID number"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "address": _l("Address"),
    "submitted_at": _l("Submitted at"),
    "accepted_at": _l("Accepted at"),
    "due_date": _l("Due date"),
    "rescheduled_due_date": _l("Rescheduled due date"),
    "resolved_at": _l("Resolved at"),
    "returned_at": _l("Returned at"),
    "return_channel": _l("Return channel"),
    "closed_at": _l("Closed at"),
    "status": _l("Status"),
    "received_by": _l("Received by"),
    "postal_tracking_no": _l("Postal tracking no."),
    "documents": _l("Documents received"),
    "copies": _l("Copies"),
    "dossier": _l("Dossier"),
    "from_status": _l("From status"),
    "to_status": _l("To status"),
    "from_unit": _l("From unit"),
    "to_unit": _l("To unit"),
    "reason": _l("Reason"),
    "started_on": _l("Started on"),
    "ended_on": _l("Ended on"),
    # service
    "fee_item": _l("Fee item"),
    "method": _l("Method"),
    "paid_at": _l("Paid at"),
    "receipt_no": _l("Receipt no."),
    "collected_by": _l("Collected by"),
    "cancelled_at": _l("Cancelled"),
    "cancel_reason": _l("Cancellation reason"),
    "staff": _l("Officer"),
    "rated_at": _l("Rated at"),
    "score": _l("Score"),
    "max_score": _l("Maximum score"),
    "form_set": _l("Form"),
    "indicator": _l("Indicator"),
    "received_at": _l("Received"),
    "sender": _l("Sender"),
    "contact": _l("Contact"),
    "subject": _l("Subject"),
    "content": _l("Content"),
    "answer": _l("Answer"),
    "answered_at": _l("Answered"),
    "handled_by": _l("Handled by"),
    "run_date": _l("Run date"),
    "slot": _l("Slot"),
    "direction": _l("Direction"),
    "items": _l("Dossiers carried"),
    "created_by": _l("Created by"),
}

AGENCY_KINDS = {
    "department": _l("Department"),
    "vertical": _l("Vertical agency"),
    "enterprise": _l("Enterprise"),
    "other": _l("Other"),
}
PROCEDURE_LEVELS = {
    "province": _l("Province"),
    # Abolished by the 2025 reform: old procedures only (domain/levels.py).
    "district": _l("District (before 01/07/2025)"),
    "commune": _l("Commune"),
}
ONLINE_LEVELS = {
    "none": _l("Not online"),
    "partial": _l("Partly online"),
    "full": _l("Fully online"),
}
FEE_KINDS = {"fee": _l("Fee"), "charge": _l("Charge")}
ROLES = {"admin": _l("Administrator"), "staff": _l("Counter staff"), "manager": _l("Manager")}
APPLICANT_KINDS = {
    "citizen": _l("Citizen"),
    "business": _l("Business"),
    "agency": _l("Agency"),
    "other": _l("Other"),
}
CHANNELS = {"direct": _l("At the counter"), "online": _l("Online"), "postal": _l("By post")}
RETURN_CHANNELS = {"counter": _l("At the counter"), "postal": _l("By post"), "online": _l("Online")}
DOCUMENT_KINDS = {
    "original": _l("Original"),
    "copy": _l("Copy"),
    "certified_copy": _l("Certified copy"),
}
PAYMENT_METHODS = {
    "cash": _l("Cash"),
    "bank_transfer": _l("Bank transfer"),
    "online": _l("Online payment"),
    "other": _l("Other"),
}
RATING_LEVELS = {
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "unsatisfied": _l("Unsatisfied"),
}
RATING_CHANNELS = {"kiosk": _l("Kiosk"), "portal": _l("Portal"), "app": _l("App")}
EVALUATION_CHANNELS = {
    "paper": _l("Paper"),
    "kiosk": _l("Kiosk"),
    "portal": _l("Portal"),
    "app": _l("App"),
}
FEEDBACK_CHANNELS = {
    "hotline": _l("Hotline"),
    "email": _l("Email"),
    "app": _l("App (Zalo)"),
    "portal": _l("Portal"),
    "direct": _l("In person"),
}
FEEDBACK_STATUSES = {
    "new": _l("New"),
    "processing": _l("Processing"),
    "answered": _l("Answered"),
    "closed": _l("Closed"),
}
COURIER_DIRECTIONS = {"to_agency": _l("Center → agency"), "to_center": _l("Agency → center")}
AUDIT_ACTIONS = {
    "insert": _l("Added"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "login": _l("Login"),
}
PAUSE_KINDS = {"supplement": _l("Supplement"), "payment": _l("Financial obligation")}
FILE_KINDS = {"scan": _l("Scan"), "result": _l("Electronic result")}
DOSSIER_STATUSES = {
    Status.SUBMITTED: _l("Submitted"),
    Status.ACCEPTED: _l("Accepted"),
    Status.REFUSED: _l("Refused"),
    Status.PROCESSING: _l("Processing"),
    Status.AWAITING_SUPPLEMENT: _l("Awaiting supplement"),
    Status.AWAITING_PAYMENT: _l("Awaiting payment"),
    Status.WITHDRAWN: _l("Withdrawn"),
    Status.STOPPED: _l("Stopped"),
    Status.RESOLVED: _l("Resolved"),
    Status.RETURNED: _l("Returned"),
}
# A closed dossier against its due date (domain.deadlines.outcome).
OUTCOMES = {
    deadlines.EARLY: _l("Early"),
    deadlines.ON_TIME: _l("On time"),
    deadlines.LATE: _l("Late"),
}


def choices(mapping: dict) -> list[tuple]:
    """A label mapping as WTForms/Flask-Admin choices."""
    return list(mapping.items())


# The audit log speaks of tables and raw values: its tables by name, and the coded values of
# their columns by label ("status 4 → 8" is "Trạng thái: Đang xử lý → Dừng xử lý").
AUDIT_TABLES = {
    "agency": _l("Agencies"),
    "field": _l("Fields"),
    "procedure": _l("Procedures"),
    "fee_item": _l("Fees and charges"),
    "user": _l("Users"),
    "dossier": _l("Dossiers"),
    "dossier_document": _l("Documents received"),
    "dossier_event": _l("History"),
    "dossier_pause": _l("Pauses"),
    "payment": _l("Payments"),
    "calendar_day": _l("Calendar overrides"),
    "calendar_year_review": _l("Yearly calendar checklist"),
    "staff_rating": _l("Staff ratings"),
    "evaluation_indicator": _l("Evaluation indicators"),
    "evaluation_form": _l("Evaluation forms"),
    "evaluation_answer": _l("Evaluation answers"),
    "feedback": _l("Feedback"),
    "courier_run": _l("Courier runs"),
    "courier_item": _l("Dossiers carried"),
    "dossier_file": _l("Files"),
    "stored_file": _l("Stored file contents"),
    "notice_template": _l("Notice texts"),
}
AUDIT_VALUES = {
    "status": DOSSIER_STATUSES,
    "from_status": DOSSIER_STATUSES,
    "to_status": DOSSIER_STATUSES,
    "channel": CHANNELS,
    "return_channel": RETURN_CHANNELS,
    "applicant_kind": APPLICANT_KINDS,
    "role": ROLES,
    "method": PAYMENT_METHODS,
    "direction": COURIER_DIRECTIONS,
    ("agency", "kind"): AGENCY_KINDS,
    ("procedure", "level"): PROCEDURE_LEVELS,
    ("procedure", "online_level"): ONLINE_LEVELS,
    ("fee_item", "kind"): FEE_KINDS,
    ("dossier_document", "kind"): DOCUMENT_KINDS,
    ("dossier_pause", "kind"): PAUSE_KINDS,
    ("dossier_file", "kind"): FILE_KINDS,
    ("staff_rating", "level"): RATING_LEVELS,
    ("staff_rating", "channel"): RATING_CHANNELS,
    ("evaluation_form", "channel"): EVALUATION_CHANNELS,
    ("feedback", "channel"): FEEDBACK_CHANNELS,
    ("feedback", "status"): FEEDBACK_STATUSES,
}

# What a page is, by its endpoint, for its <title> (views/base.py, page_title).
PAGE_KINDS = {
    "index_view": _l("List"),
    "create_view": lazy_pgettext("page title", "Create"),
    "edit_view": lazy_pgettext("page title", "Edit"),
    "details_view": lazy_pgettext("page title", "Details"),
    "totals_view": _l("Totals"),
    "cancel_view": lazy_pgettext("page title", "Cancel"),
    "register_view": _l("Register"),
}
