"""Administration of the notices to applicants (issue 15 point 4): the outbox (what was or would
be sent, the attempts, "resend") and the texts of the notices. Admins only: the outbox lists
applicants' e-mail addresses and phone numbers, which managers' reports do not need."""

from __future__ import annotations

from flask import current_app, flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import TextAreaField
from wtforms.validators import Length, ValidationError

from domain import clock
from domain import notifications as nt
from domain import notify_send as ns
from domain.formatting import format_datetime
from models import Dossier, Notice, NoticeTemplate, db
from views import labels
from views.base import SecureModelView, selected_rows
from views.listing import KeysetPagingMixin

EVENTS = {
    "accepted": _l("Dossier received"),
    "supplement_requested": _l("Supplement requested"),
    "result_ready": _l("Result ready"),
    "rescheduled": _l("Apology and new date"),
    "feedback_answered": _l("Feedback answered"),
}
NOTICE_CHANNELS = {"email": _l("E-mail"), "sms": _l("SMS"), "zalo": _l("Zalo")}
NOTICE_STATUSES = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "failed": _l("Failed, will retry"),
    "sent": _l("Sent"),
    "dead": _l("Given up"),
    "skipped": _l("No channel configured"),
}
NOTICE_LABELS = dict(
    labels.LABELS,
    event=_l("Event"),
    channel=_l("Channel"),
    recipient=_l("Recipient"),
    dossier=_l("Dossier"),
    status=_l("Status"),
    attempts=_l("Attempts"),
    next_attempt_at=_l("Next attempt"),
    sent_at=_l("Sent at"),
    last_error=_l("Last error"),
    attempt_log=_l("Attempts made"),
    subject=_l("Subject"),
    body=_l("Text"),
    created_at=_l("Queued at"),
    preview=_l("Text (as it would be sent now)"),
    feedback=_l("Feedback"),
)
NOTICE_LABELS["dossier.code"] = _l("Dossier code")


def _local_time(view, context, model, name):
    return format_datetime(getattr(model, name))  # business times: naive local already


def _pre(view, context, model, name):
    value = getattr(model, name)
    return Markup(f'<pre class="mb-0 notice-text">{escape(value)}</pre>') if value else ""


def _preview(view, context, model, name):
    """The text of a notice not sent yet, rendered with today's templates (the secret masked);
    a sent one shows what was sent."""
    if model.body:
        return _pre(view, context, model, "body")
    try:
        base = current_app.settings.public_base_url
        code = (model.context or {}).get("code")
        secret = nt.MASKED_SECRET if model.lookup_secret else None
        subject, body = nt.template_texts(db.session, model.event, model.channel)
        values = dict(model.context or {}, lookup_link=nt.lookup_link(base, code, secret))
        text = "\n\n".join(t for t in (nt.render(subject, values), nt.render(body, values)) if t)
    except nt.NoticeTemplateError as error:
        text = _("The template cannot be rendered: %(error)s", error=str(error))
    return Markup(f'<pre class="mb-0 notice-text">{escape(text)}</pre>')


class NoticeView(KeysetPagingMixin, SecureModelView):
    """The outbox: read-only; "resend" for failed, given-up and unsent notices."""

    read_roles = ("admin",)
    create_roles = edit_roles = delete_roles = ()
    action_roles = ("admin",)
    column_labels = NOTICE_LABELS
    column_list = (
        "created_at",
        "event",
        "channel",
        "recipient",
        "dossier",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    column_details_list = (
        "created_at",
        "event",
        "channel",
        "recipient",
        "dossier",
        "feedback",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "attempt_log",
        "subject",
        "preview",
    )
    column_choices = {
        "event": labels.choices(EVENTS),
        "channel": labels.choices(NOTICE_CHANNELS),
        "status": labels.choices(NOTICE_STATUSES),
    }
    column_formatters = {
        "created_at": _local_time,
        "next_attempt_at": _local_time,
        "sent_at": _local_time,
    }
    column_formatters_detail = dict(column_formatters, attempt_log=_pre, preview=_preview)
    column_sortable_list = (
        "created_at",
        "event",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(Notice.status, _l("Status"), options=labels.choices(NOTICE_STATUSES)),
        FilterEqual(Notice.channel, _l("Channel"), options=labels.choices(NOTICE_CHANNELS)),
        FilterEqual(Notice.event, _l("Event"), options=labels.choices(EVENTS)),
        "created_at",
    )
    column_searchable_list = ("recipient",)
    simple_list_pager = True  # the outbox grows without bound

    def get_query(self):
        return super().get_query().options(joinedload(Notice.dossier))

    def search_placeholder(self):
        return str(_l("Dossier code"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """By dossier code (or a part of it)."""
        term = (search or "").strip()[:64]
        criterion = Notice.dossier_id.in_(
            select(Dossier.id).where(Dossier.code.contains(term, autoescape=True))
        )
        if count_query is not None:
            count_query = count_query.filter(criterion)
        return query.filter(criterion), count_query, joins, count_joins

    @action("resend", _l("Send again"), _l("Send the selected notices again?"))
    def action_resend(self, ids):
        notices = selected_rows(Notice, ids)
        count = ns.resend(db.session, notices, clock.now())
        db.session.commit()
        flash(
            _("%(n)s notices will be sent again at the next run of the sender.", n=count), "success"
        )


class NoticeTemplateView(SecureModelView):
    """The texts: edited by admins, checked in the sandbox before they are saved."""

    read_roles = ("admin",)
    create_roles = delete_roles = ()
    edit_roles = ("admin",)
    column_labels = dict(NOTICE_LABELS, body=_l("Text"))
    column_list = ("event", "channel", "subject", "body")
    column_choices = {"event": labels.choices(EVENTS), "channel": labels.choices(NOTICE_CHANNELS)}
    column_default_sort = "id"
    column_filters = ("event", "channel")
    column_searchable_list = ()
    form_columns = ("subject", "body")
    form_overrides = {"body": TextAreaField}
    form_args = {
        "subject": {"validators": [Length(max=255)]},
        "body": {
            "validators": [Length(max=nt.MAX_TEMPLATE_LENGTH)],
            "description": _l(
                "Variables: {{ code }}, {{ procedure }}, {{ due_date }}, "
                "{{ lookup_link }}, {{ agency }}, {{ center }}, "
                "{{ received_on }} (feedback); and {% if lookup_link %} … "
                "{% endif %}."
            ),
        },
    }
    form_widget_args = {"body": {"rows": 8}}

    def on_model_change(self, form, model, is_created):
        for name in ("subject", "body"):
            try:
                nt.check_template(getattr(model, name) or "")
            except nt.NoticeTemplateError:
                raise ValidationError(
                    _(
                        "The text can only use these variables: %(names)s, and {%% if %%}.",
                        names=", ".join(f"{{{{ {v} }}}}" for v in nt.VARIABLES),
                    )
                ) from None


def register(admin):
    category = _l("Administration")
    admin.add_view(
        NoticeView(Notice, db, name=_l("Outbox (notices)"), category=category, endpoint="outbox")
    )
    admin.add_view(
        NoticeTemplateView(
            NoticeTemplate,
            db,
            name=_l("Notice texts"),
            category=category,
            endpoint="notice_template",
        )
    )
