"""Administration: users, calendar overrides and the audit log."""
from __future__ import annotations

from flask_admin.form import Select2Field
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from models import AuditLog, CalendarDay, User, db
from views import labels
from views.base import ALL_ROLES, SecureModelView
from views.exports import XlsxExportMixin

MIN_PASSWORD_LENGTH = 8


def role_field(**kwargs):
    """The role of a user: no preselected choice (it used to fall on admin, the first); the
    administrator picks one."""
    kwargs["validators"] = [DataRequired()]
    return Select2Field(choices=labels.choices(labels.ROLES), allow_blank=True,
                        blank_text=_l("— choose a role —"), **kwargs)


class UserView(XlsxExportMixin, SecureModelView):
    read_roles = ("admin",)
    column_labels = labels.LABELS
    column_list = ("username", "full_name", "role", "agencies", "counter_no", "active",
                   "last_login_at")
    column_details_list = column_list + ("created_at", "updated_at")
    column_sortable_list = ("username", "full_name", "role", "counter_no", "active",
                            "last_login_at")
    column_default_sort = "username"
    column_filters = ("role", "active")
    column_choices = {"role": labels.choices(labels.ROLES)}
    form_overrides = {"role": role_field}
    form_columns = ("username", "full_name", "role", "agencies", "counter_no", "active",
                    "new_password")
    form_extra_fields = {"new_password": PasswordField(
        _l("New password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)])}

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif is_created:
            raise ValidationError(str(_l("A new user needs a password.")))
        if model.role == "staff" and not model.agencies:
            raise ValidationError(str(_l("Counter staff must belong to at least one agency.")))


class CalendarDayView(XlsxExportMixin, SecureModelView):
    read_roles = ALL_ROLES
    delete_roles = ("admin",)
    column_labels = labels.LABELS
    column_list = ("date", "is_working_day", "note")
    column_default_sort = ("date", True)
    column_filters = ("date", "is_working_day")
    column_searchable_list = ()
    form_columns = ("date", "is_working_day", "note")


def _audit_value(value) -> str:
    return "" if value is None else str(value)


def _changes_formatter(view, context, model, name):
    head = (f"<tr><th>{escape(_l('Column'))}</th><th>{escape(_l('Old value'))}</th>"
            f"<th>{escape(_l('New value'))}</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(_audit_value(v[0]))}</td>"
        f"<td>{escape(_audit_value(v[1]))}</td></tr>"
        for k, v in (model.changes or {}).items())
    return Markup(f'<table class="table table-sm mb-0">{head}{rows}</table>')


class AuditLogView(XlsxExportMixin, SecureModelView):
    """Read-only for everyone: the trail can be browsed, never edited or deleted."""
    read_roles = ("admin", "manager")
    create_roles = edit_roles = delete_roles = ()
    action_roles = ()
    column_labels = labels.LABELS
    column_list = ("at", "user", "ip", "action", "table_name", "row_id")
    column_details_list = column_list + ("changes",)
    column_choices = {"action": labels.choices(labels.AUDIT_ACTIONS)}
    utc_columns = SecureModelView.utc_columns + ("at",)
    column_formatters_detail = {"changes": _changes_formatter}
    column_default_sort = ("at", True)
    column_filters = ("at", "action", "table_name", "row_id", "user.username", "ip")
    column_searchable_list = ()
    simple_list_pager = True  # the trail grows without bound: no COUNT(*) per page


def register(admin):
    category = _l("Administration")
    admin.add_view(UserView(User, db, name=_l("Users"), category=category,
                            endpoint="user"))
    admin.add_view(CalendarDayView(CalendarDay, db, name=_l("Calendar overrides"),
                                   category=category, endpoint="calendar_day"))
    admin.add_view(AuditLogView(AuditLog, db, name=_l("Audit log"), category=category,
                                endpoint="audit_log"))
