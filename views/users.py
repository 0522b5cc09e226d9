"""Administration: users, calendar overrides and the audit log."""

from __future__ import annotations

import datetime as dt
import re

from flask_admin.form import Select2Field
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from domain.audit import rows_of_dossiers
from domain.formatting import format_date, format_datetime, utc_to_local
from domain.usernames import normalize_username
from models import AuditLog, CalendarDay, User, db
from views import labels
from views.base import ALL_ROLES, SecureModelView
from views.exports import XlsxExportMixin
from views.listing import KeysetPagingMixin

MIN_PASSWORD_LENGTH = 8


def role_field(**kwargs):
    """The role of a user: no preselected choice (it used to fall on admin, the first); the
    administrator picks one."""
    kwargs["validators"] = [DataRequired()]
    return Select2Field(
        choices=labels.choices(labels.ROLES),
        allow_blank=True,
        blank_text=_l("— choose a role —"),
        **kwargs,
    )


USERNAME_TAKEN = _l(
    "A user with the username %(username)s already exists (usernames do not distinguish capital"
    " letters)."
)


def username_free(form, field):
    """A validator: no other user has the username in any case (domain/usernames.py)."""
    obj = getattr(form, "_obj", None)
    owner = User.username_owner(field.data, getattr(obj, "id", None))
    if owner is not None:
        raise StopValidation(str(USERNAME_TAKEN) % {"username": owner})


# A user's account as listed and as edited, in this order.
ACCOUNT = ("username", "full_name", "role", "agencies", "counter_no", "active")


class UserView(XlsxExportMixin, SecureModelView):
    read_roles = ("admin",)
    column_labels = labels.LABELS
    column_list = (*ACCOUNT, "last_login_at")
    column_details_list = column_list + ("created_at", "updated_at")
    column_sortable_list = (
        "username",
        "full_name",
        "role",
        "counter_no",
        "active",
        "last_login_at",
    )
    column_default_sort = "username"
    column_filters = ("role", "active")
    column_choices = {"role": labels.choices(labels.ROLES)}
    form_overrides = {"role": role_field}
    # Read as stored (" Canbo.TuPhap2" is canbo.tuphap2), then checked against every case.
    form_args = {
        "username": {
            "filters": [normalize_username],
            "validators": [DataRequired(), username_free],
        }
    }
    form_columns = (*ACCOUNT, "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)]
        )
    }

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


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def audit_column_label(column: str) -> str:
    """A column of the trail by its label: agency_id is "Cơ quan" like the agency column."""
    label = labels.LABELS.get("row_id" if column == "id" else column)
    if label is None and column.endswith("_id"):
        label = labels.LABELS.get(column[:-3])
    return str(label) if label is not None else column


def audit_value(table: str, column: str, value) -> str:
    """A value of the trail as the screens show it: a label for a code, Vietnamese dates
    (technical timestamps on the local clock), Có/Không."""
    if value is None:
        return ""
    choices = labels.AUDIT_VALUES.get((table, column)) or labels.AUDIT_VALUES.get(column)
    if choices is not None and value in choices:
        return str(choices[value])
    if isinstance(value, int) and not isinstance(value, bool) and column.endswith("_id"):
        return _referenced(table, column, value)
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, str) and _ISO_DATE.match(value):
        return format_date(dt.date.fromisoformat(value))
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        stamp = dt.datetime.fromisoformat(value)
        if column in SecureModelView.utc_columns:
            stamp = utc_to_local(stamp)
        return format_datetime(stamp)
    return str(value)


def _referenced(table: str, column: str, value: int) -> str:
    """A foreign key by the row it points to ("1.002804 – Đổi giấy phép lái xe"), its id when
    the row is gone."""
    columns = db.metadata.tables[table].c if table in db.metadata.tables else {}
    for key in getattr(columns.get(column), "foreign_keys", ()):
        target = key.column.table
        model = next((m.class_ for m in db.Model.registry.mappers if m.local_table is target), None)
        row = db.session.get(model, value) if model is not None else None
        if row is not None and type(row).__str__ is not object.__str__:
            return str(row)
    return str(value)


def _changes_formatter(view, context, model, name):
    head = (
        f"<tr><th>{escape(_l('Column'))}</th><th>{escape(_l('Old value'))}</th>"
        f"<th>{escape(_l('New value'))}</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{escape(audit_column_label(k))}</td>"
        f"<td>{escape(audit_value(model.table_name, k, v[0]))}</td>"
        f"<td>{escape(audit_value(model.table_name, k, v[1]))}</td></tr>"
        for k, v in (model.changes or {}).items()
    )
    return Markup(f'<table class="table table-sm mb-0">{head}{rows}</table>')


class AuditLogView(KeysetPagingMixin, XlsxExportMixin, SecureModelView):
    """Read-only for everyone: the trail can be browsed, never edited or deleted."""

    read_roles = ("admin", "manager")
    create_roles = edit_roles = delete_roles = ()
    action_roles = ()
    column_labels = dict(labels.LABELS, **{"user.username": labels.LABELS["user"]})
    column_list = ("at", "user", "ip", "action", "table_name", "row_id")
    column_details_list = column_list + ("changes",)
    column_choices = {
        "action": labels.choices(labels.AUDIT_ACTIONS),
        "table_name": labels.choices(labels.AUDIT_TABLES),
    }
    utc_columns = SecureModelView.utc_columns + ("at",)
    column_formatters_detail = {"changes": _changes_formatter}
    column_default_sort = ("at", True)
    column_filters = ("at", "action", "table_name", "row_id", "user.username", "ip")
    # The search box finds the trail of a dossier by its code (or a part of it).
    column_searchable_list = ("table_name",)
    simple_list_pager = True  # the trail grows without bound: no COUNT(*) per page

    def search_placeholder(self):
        return str(_l("Dossier code"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        criterion = rows_of_dossiers(search)
        if count_query is not None:
            count_query = count_query.filter(criterion)
        return query.filter(criterion), count_query, joins, count_joins


def register(admin):
    category = _l("Administration")
    admin.add_view(UserView(User, db, name=_l("Users"), category=category, endpoint="user"))
    admin.add_view(
        CalendarDayView(
            CalendarDay,
            db,
            name=_l("Calendar overrides"),
            category=category,
            endpoint="calendar_day",
        )
    )
    admin.add_view(
        AuditLogView(AuditLog, db, name=_l("Audit log"), category=category, endpoint="audit_log")
    )
