"""Supervision (đôn đốc): the list of running dossiers overdue or nearly due."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from domain import clock, deadlines
from domain.calendar import load_calendar
from domain.formatting import format_number
from models import Dossier, db
from views import labels
from views.dossier_columns import working_days_left
from views.dossiers import DossierView


class DossierDueView(DossierView):
    """Supervision (đôn đốc): running dossiers overdue or due within two working days, the
    most urgent first. Staff see their own agencies'; managers and admins all."""

    create_roles = edit_roles = ()
    action_roles = ()
    column_list = (
        "code",
        "applicant_name",
        "phone",
        "procedure",
        "agency",
        "status",
        "accepted_at",
        "due_date",
        "days_left",
    )
    column_sortable_list = ("code", "accepted_at", "due_date")
    list_row_fields = (*DossierView.list_row_fields, "phone")
    column_default_sort = [("due_date", False), ("id", False)]
    column_filters = DossierView.column_filters[:2]
    column_labels = dict(labels.LABELS, days_left=_l("Working days left"))
    column_formatters_export = {"days_left": lambda v, c, m, n: working_days_left(m)}
    extra_list_links = ()

    def get_query(self):
        return super().get_query().filter(_due_within_horizon())

    def get_count_query(self):
        return super().get_count_query().filter(_due_within_horizon())

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            for d in rows:  # pure computation over the page already loaded, no query per row
                d._days_left = working_days_left(d)
        return count, rows

    column_formatters = dict(
        DossierView.column_formatters,
        days_left=lambda v, c, m, n: (
            Markup('<span class="badge badge-danger">{}</span>').format(
                gettext("overdue by %(n)s working days", n=format_number(-m._days_left))
            )
            if deadlines.is_overdue(m.status, m.due_date, clock.today())
            else Markup('<span class="badge badge-warning">{}</span>').format(gettext("due today"))
            if m._days_left == 0
            else escape(format_number(m._days_left))
        ),
    )


def _due_within_horizon():
    return deadlines.overdue_or_due_soon(
        deadlines.due_soon_horizon(load_calendar(db.session), clock.today())
    )


def register(admin):
    admin.add_view(
        DossierDueView(
            Dossier,
            db,
            name=_l("Overdue and nearly due"),
            category=_l("Dossiers"),
            endpoint="dossier_due",
            url="/dossier_due",
        )
    )
