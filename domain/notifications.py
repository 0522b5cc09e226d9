"""Notices to applicants (issue 15 point 4): queued in the outbox in the same transaction as the
change they announce, sent later by `flask notify send` (domain/notify_send.py).

One hook, `queue_notices(session, subject, event, at)`, called by the life cycle
(domain/lifecycle.py: accept_dossier, transition) and by feedback (domain/feedback.py:
apply_answer). It adds one Notice per channel the applicant can be reached on: e-mail when an
e-mail address was given, SMS and Zalo when a phone number was; nothing otherwise. Nothing here
commits: the caller's commit writes the change and its notices together, a rollback drops both.

The acceptance notice carries the look-up link; the look-up secret exists in clear only when the
receipt is printed (domain/lookup.issue_secret, right after the intake). So the acceptance
notice waits ACCEPT_DELAY before it is due, and issue_secret hands the secret to the dossier's
acceptance notices still waiting (`attach_secret`); the worker erases it once the notice is sent
or given up. A notice sent before any receipt was printed links to the page with the code only.

Texts are NoticeTemplate rows (admins edit them), rendered at sending time in a sandboxed Jinja
environment that knows only VARIABLES (never the applicant's name, ID number or address);
DEFAULT_TEMPLATES seeds them and stands in for a missing row."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from sqlalchemy import select, update

from domain.deadlines import effective_due_date
from domain.formatting import format_date
from domain.text import phone_digits
from models import Notice, NoticeTemplate

ACCEPT_DELAY = dt.timedelta(minutes=10)
# The look-up page's path (views/lookup.py, blueprint "lookup").
LOOKUP_PATH = "/tra-cuu/"
MASKED_SECRET = "*****-*****"
# The life-cycle actions that tell the applicant something (domain/lifecycle.ACTIONS names).
ACTION_EVENTS = {
    "request_supplement": "supplement_requested",
    "resolve": "result_ready",
    "reschedule": "rescheduled",
}
PHONE_CHANNELS = ("sms", "zalo")
# What a template may use; all strings. Nothing personal about the applicant.
VARIABLES = ("code", "procedure", "due_date", "lookup_link", "agency", "center", "received_on")
SAMPLE_CONTEXT = {
    "code": "000.00.01.H01-250701-0001",
    "procedure": "Cấp giấy phép lái xe",
    "due_date": "15/07/2025",
    "lookup_link": "https://motcua.example.vn"
    + LOOKUP_PATH
    + "?code=000.00.01.H01-250701-0001&secret="
    + MASKED_SECRET,
    "agency": "Sở Giao thông vận tải",
    "center": "Trung tâm Phục vụ hành chính công",
    "received_on": "01/07/2025",
}
MAX_TEMPLATE_LENGTH = 4000

_SIGNATURE = "\n\n{{ center }}\n(Thư tự động, xin không trả lời thư này.)"
DEFAULT_TEMPLATES = {
    ("accepted", "email"): (
        "Hồ sơ {{ code }} đã được tiếp nhận",
        "Kính gửi Ông/Bà,\n\n{{ center }} đã tiếp nhận hồ sơ {{ code }} về thủ tục "
        '"{{ procedure }}" ({{ agency }}).\nNgày hẹn trả kết quả: {{ due_date }}.\n'
        "{% if lookup_link %}\nTra cứu tình trạng hồ sơ: {{ lookup_link }}\n{% endif %}"
        + _SIGNATURE,
    ),
    ("supplement_requested", "email"): (
        "Hồ sơ {{ code }} cần bổ sung",
        'Kính gửi Ông/Bà,\n\nHồ sơ {{ code }} (thủ tục "{{ procedure }}") cần được bổ sung, '
        "hoàn thiện. Nội dung cần bổ sung ghi trong phiếu yêu cầu bổ sung, hoàn thiện hồ sơ; "
        "xin Ông/Bà liên hệ bộ phận một cửa hoặc tra cứu hồ sơ để biết chi tiết." + _SIGNATURE,
    ),
    ("result_ready", "email"): (
        "Hồ sơ {{ code }} đã có kết quả",
        'Kính gửi Ông/Bà,\n\nHồ sơ {{ code }} (thủ tục "{{ procedure }}") đã có kết quả. '
        "Xin mời Ông/Bà đến nhận kết quả tại {{ center }} hoặc theo hình thức đã đăng ký."
        + _SIGNATURE,
    ),
    ("rescheduled", "email"): (
        "Hồ sơ {{ code }}: thư xin lỗi và hẹn lại ngày trả kết quả",
        'Kính gửi Ông/Bà,\n\nHồ sơ {{ code }} (thủ tục "{{ procedure }}") chưa giải quyết '
        "kịp thời hạn. {{ agency }} xin lỗi Ông/Bà và hẹn lại ngày trả kết quả: "
        "{{ due_date }}." + _SIGNATURE,
    ),
    ("feedback_answered", "email"): (
        "Phản ánh, kiến nghị của Ông/Bà đã được trả lời",
        "Kính gửi Ông/Bà,\n\nPhản ánh, kiến nghị Ông/Bà gửi ngày {{ received_on }} đã được "
        "trả lời. Xin mời Ông/Bà liên hệ {{ center }} để nhận nội dung trả lời." + _SIGNATURE,
    ),
}
_SMS_TEXTS = {
    "accepted": "{{ center }}: đã tiếp nhận hồ sơ {{ code }}, hẹn trả kết quả ngày "
    "{{ due_date }}.{% if lookup_link %} Tra cứu: {{ lookup_link }}{% endif %}",
    "supplement_requested": "{{ center }}: hồ sơ {{ code }} cần bổ sung, hoàn thiện. Xin liên "
    "hệ bộ phận một cửa.",
    "result_ready": "{{ center }}: hồ sơ {{ code }} đã có kết quả, mời Ông/Bà đến nhận.",
    "rescheduled": "{{ center }}: xin lỗi Ông/Bà, hồ sơ {{ code }} được hẹn lại ngày trả kết "
    "quả {{ due_date }}.",
    "feedback_answered": "{{ center }}: phản ánh, kiến nghị ngày {{ received_on }} của Ông/Bà "
    "đã được trả lời.",
}
for _event, _text in _SMS_TEXTS.items():
    for _channel in PHONE_CHANNELS:
        DEFAULT_TEMPLATES[(_event, _channel)] = ("", _text)

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class NoticeTemplateError(ValueError):
    """A template that does not render: syntax, an unknown variable, or an unsafe access."""


class _NoticeEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, narrowed further: no arithmetic ('x' * 10**9 would fill the memory), no
    globals (range, cycler …), a few harmless filters."""

    intercepted_binops = frozenset({"*", "**", "//", "/", "%", "+", "-"})

    def call_binop(self, context, operator, left, right):
        raise SecurityError("arithmetic is not allowed in notice templates")


_ENV = _NoticeEnvironment(undefined=StrictUndefined, autoescape=False)
_ENV.globals.clear()
_ENV.filters = {
    name: _ENV.filters[name]
    for name in ("upper", "lower", "title", "capitalize", "trim", "default", "truncate", "replace")
}
# Loops, calls, macros, assignments, includes: a notice needs {{ variables }} and {% if %} only.
_REFUSED_NODES = (
    nodes.For,
    nodes.Macro,
    nodes.CallBlock,
    nodes.Assign,
    nodes.AssignBlock,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.With,
    nodes.FilterBlock,
    nodes.Block,
    nodes.Call,
)
_FAILURES = (TemplateError, ArithmeticError, TypeError, ValueError, RecursionError, MemoryError)


def check_template(text: str) -> None:
    """Raises NoticeTemplateError unless `text` uses only VARIABLES and renders in the sandbox."""
    if len(text or "") > MAX_TEMPLATE_LENGTH:
        raise NoticeTemplateError("too long")
    try:
        tree = _ENV.parse(text or "")
        if any(True for _node in tree.find_all(_REFUSED_NODES)):
            raise NoticeTemplateError("only {{ variables }} and {% if %} are allowed")
        unknown = meta.find_undeclared_variables(tree) - set(VARIABLES)
        if unknown:
            raise NoticeTemplateError("unknown variable: " + ", ".join(sorted(unknown)))
        _ENV.from_string(text or "").render(SAMPLE_CONTEXT)
    except _FAILURES as error:  # SecurityError, UndefinedError, TemplateSyntaxError …
        raise NoticeTemplateError(str(error)) from None


def render(text: str, context: dict) -> str:
    check_template(text)  # an edit that bypassed the admin screen is refused too
    values = {name: str(context.get(name) or "") for name in VARIABLES}
    try:
        return _ENV.from_string(text or "").render(values).strip()
    except _FAILURES as error:
        raise NoticeTemplateError(str(error)) from None


def template_texts(session, event: str, channel: str) -> tuple[str, str]:
    """(subject, body) templates: the admins' row, else the default."""
    row = session.scalar(
        select(NoticeTemplate).where(
            NoticeTemplate.event == event, NoticeTemplate.channel == channel
        )
    )
    if row is not None:
        return row.subject or "", row.body
    return DEFAULT_TEMPLATES[(event, channel)]


def ensure_templates(session) -> int:
    """Add the default template of every event and channel without one; returns how many."""
    have = set(session.execute(select(NoticeTemplate.event, NoticeTemplate.channel)).all())
    added = 0
    for (event, channel), (subject, body) in DEFAULT_TEMPLATES.items():
        if (event, channel) not in have:
            session.add(NoticeTemplate(event=event, channel=channel, subject=subject, body=body))
            added += 1
    return added


def lookup_link(base_url: str, code: str | None, secret: str | None) -> str:
    """The look-up page's address with the code (and the secret, as printed) filled in."""
    # Here: domain/lookup.py imports this module (attach_secret) at its top.
    from domain.lookup import display_secret  # noqa: PLC0415 - a circle (see above)

    if not base_url or not code:
        return ""
    args = {"code": code}
    if secret:
        args["secret"] = secret if secret == MASKED_SECRET else display_secret(secret)
    return base_url.rstrip("/") + LOOKUP_PATH + "?" + urlencode(args)


# ---- queueing -----------------------------------------------------------------------------
def clean_email(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if len(value) <= 255 and _EMAIL.match(value) else None


def clean_phone(value: str | None) -> str | None:
    """Digits of a Vietnamese phone number (0912 345 678, +84 912 345 678), else None."""
    digits = phone_digits(value)  # the shape the intake form checks too, +84 read as 0
    return digits if digits and 10 <= len(digits) <= 11 and digits.startswith("0") else None


def recipients(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    """(channel, address) for every channel the applicant can be reached on."""
    found = []
    if clean_email(email):
        found.append(("email", clean_email(email)))
    if clean_phone(phone):
        found += [(channel, clean_phone(phone)) for channel in PHONE_CHANNELS]
    return found


def _dossier_context(dossier, center: str) -> dict:
    procedure, agency = dossier.procedure, dossier.agency
    if agency is None and procedure is not None:
        agency = procedure.agency
    return {
        "code": dossier.code or "",
        "procedure": procedure.name if procedure else "",
        "due_date": format_date(effective_due_date(dossier)),
        "agency": agency.name if agency is not None else "",
        "center": center,
    }


def queue_notices(session, subject, event: str, at: dt.datetime) -> list:
    """Queue `event` about `subject` (a Dossier, or a Feedback for "feedback_answered") on every
    channel its applicant can be reached on. In the caller's transaction; returns the notices."""
    # Here: domain/lifecycle.py imports this module (queue_notices) at its top.
    from domain.lifecycle import CENTER_UNIT  # noqa: PLC0415 - a circle (see above)

    if event == "feedback_answered":
        contact = subject.contact
        found = recipients(contact, contact)
        context = {
            "received_on": format_date(subject.received_at),
            "center": CENTER_UNIT,
            "agency": subject.agency.name if subject.agency is not None else "",
            "code": subject.dossier.code if subject.dossier is not None else "",
        }
        links = {"feedback": subject}
    else:
        found = recipients(subject.email, subject.phone)
        context = _dossier_context(subject, CENTER_UNIT)
        links = {"dossier": subject}
    due = at + ACCEPT_DELAY if event == "accepted" else at
    notices = [
        Notice(
            event=event,
            channel=channel,
            recipient=address,
            context=context,
            status="queued",
            attempts=0,
            created_at=at,
            next_attempt_at=due,
            **links,
        )
        for channel, address in found
    ]
    session.add_all(notices)
    return notices


def attach_secret(session, dossier, secret: str) -> int:
    """The receipt was printed with a new look-up secret: the dossier's acceptance notices not
    sent yet carry it (an earlier one no longer opens the page). Returns how many."""
    result = session.execute(
        update(Notice)
        .where(
            Notice.dossier_id == dossier.id,
            Notice.event == "accepted",
            Notice.status.in_(("queued", "failed")),
        )
        .values(lookup_secret=secret)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
