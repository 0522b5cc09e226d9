"""Feedback (phản ánh, kiến nghị) and its answers."""

from __future__ import annotations

from flask import current_app
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import not_
from sqlalchemy.orm import joinedload
from wtforms.validators import DataRequired, ValidationError

from domain import clock
from domain import feedback as fb
from domain.calendar import load_calendar
from domain.formatting import format_number, format_percent
from domain.service import RuleError
from models import Agency, Feedback, db
from views import labels
from views.base import (
    ALL_ROLES,
    AgencyScopedMixin,
    SearchAjaxLoader,
    SecureModelView,
    own_agency_ids,
    own_agency_options,
)
from views.exports import XlsxExportMixin
from views.service.common import (
    WRITERS,
    FieldRefusalsMixin,
    TotalsMixin,
    own_agencies,
    own_dossier_loader,
    rule_message,
    user_object,
)


class OverdueFilter(BaseSQLAFilter):
    """Open feedback past its due date (yes) or not (no), as of today."""

    def apply(self, query, value, alias=None):
        criterion = fb.overdue_criterion(clock.today())
        return query.filter(criterion if value == "1" else not_(criterion))

    def operation(self):
        return _l("equals")


def _overdue_formatter(view, context, model, name):
    if fb.is_overdue(model, clock.today()):
        return Markup('<span class="badge badge-danger">{}</span>').format(_("Overdue"))
    on_time = fb.answered_on_time(model)
    if on_time is False:
        return Markup('<span class="badge badge-warning">{}</span>').format(_("Answered late"))
    return ""


# Who wrote, how to reach them, what about: listed on the details page and the form alike.
MESSAGE = ("sender", "contact", "subject", "content", "agency", "dossier")


class FeedbackView(
    XlsxExportMixin, TotalsMixin, FieldRefusalsMixin, AgencyScopedMixin, SecureModelView
):
    """Phản ánh, kiến nghị: due 10 working days after receipt (FEEDBACK_DUE_DAYS)."""

    def agency_criterion(self, agency_ids):
        return Feedback.agency_id.in_(agency_ids)

    read_roles = ALL_ROLES
    create_roles = edit_roles = WRITERS
    totals_title = _l("Feedback")
    column_labels = dict(labels.LABELS, overdue=_l("Overdue"))
    column_list = (
        "received_at",
        "channel",
        "sender",
        "subject",
        "agency",
        "status",
        "due_date",
        "overdue",
        "answered_at",
    )
    column_details_list = (
        "received_at",
        "channel",
        *MESSAGE,
        "due_date",
        "status",
        "overdue",
        "answer",
        "answered_at",
        "handled_by",
        "created_at",
        "updated_at",
    )
    column_sortable_list = ("received_at", "channel", "status", "due_date", "answered_at")
    column_default_sort = ("received_at", True)
    column_filters = (
        OverdueFilter(
            Feedback.due_date, _l("Overdue"), options=(("1", _l("Yes")), ("0", _l("No")))
        ),
        IntEqualFilter(Feedback.agency_id, _l("Agency"), options=own_agency_options),
        "channel",
        "status",
        "received_at",
        "due_date",
        "answered_at",
    )
    column_choices = {
        "channel": labels.choices(labels.FEEDBACK_CHANNELS),
        "status": labels.choices(labels.FEEDBACK_STATUSES),
    }
    column_formatters = {"overdue": _overdue_formatter}
    column_formatters_detail = {"overdue": _overdue_formatter}
    simple_list_pager = True
    form_columns = (
        "channel",
        "received_at",
        *MESSAGE,
        "status",
        "answer",
        "answered_at",
    )
    form_choices = {
        "channel": labels.choices(labels.FEEDBACK_CHANNELS),
        "status": labels.choices(labels.FEEDBACK_STATUSES),
    }
    form_args = {
        "received_at": {"validators": [DataRequired()], "default": clock.now},
        "agency": {"description": _l("Left empty: the chosen dossier's agency.")},
    }
    form_ajax_refs = {
        "agency": SearchAjaxLoader("agency", Agency, query_factory=own_agencies),
        "dossier": own_dossier_loader(),
    }

    def get_query(self):
        return super().get_query().options(joinedload(Feedback.agency))

    def form_refusals(self, form):
        """The agency (left empty: the chosen dossier's, set on the form), the dates, the
        answer: all said at once, each on its field."""
        refusals = []
        try:
            form.agency.data = fb.feedback_agency(
                form.agency.data, form.dossier.data, own_agency_ids()
            )
        except RuleError as error:
            refusals.append(error)
        return refusals + fb.feedback_refusals(
            form.received_at.data,
            form.answered_at.data,
            form.status.data,
            form.answer.data,
            clock.now(),
        )

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the calendar query must not flush a half-built row
            try:
                self._check_and_complete(form, model, is_created)
            except RuleError as error:  # (the form's refusals were said on its fields)
                raise ValidationError(rule_message(error)) from None

    def _check_and_complete(self, form, model, is_created):
        model.agency = fb.feedback_agency(model.agency, model.dossier, own_agency_ids())
        if is_created or form.received_at.object_data != model.received_at:
            days = current_app.settings.feedback_due_days
            model.due_date = fb.feedback_due_date(
                load_calendar(db.session), model.received_at, days
            )
        fb.apply_answer(model, user_object(), clock.now(), db.session)

    def totals_tables(self, start, end, agency_ids):
        s = fb.feedback_summary(db.session, start, end, agency_ids, today=clock.today())
        return [
            {
                "title": _("Feedback received in the period"),
                "headers": [_("Figure"), _("Count")],
                "rows": [
                    [_("Received"), format_number(s["received"])],
                    [_("Answered"), format_number(s["answered"])],
                    [_("Answered on time"), format_number(s["answered_on_time"])],
                    [
                        _("Share answered on time"),
                        format_percent(s["answered_on_time"], s["answered"]),
                    ],
                    [_("Open and overdue today"), format_number(s["overdue"])],
                ],
            }
        ]
