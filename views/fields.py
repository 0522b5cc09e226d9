"""Dates, times and amounts typed the Vietnamese way, in every form and every list filter.

One field class each — VnDateField (05/12/2026), VnDateTimeField (05/12/2026 14:30),
HourMinuteField (15:00) and VndField (1.200.000 đ, also "1 200 000" or "1200000") — shown back the same way, ISO still
accepted (old links, browsers' own pickers). SecureModelView maps the model's column types to them
(VnModelConverter: Date, DateTime, Time, and integer *_vnd columns), so a model form needs no override;
hand-written forms use the classes directly. The list filters read dates with the same parser
(VnFilterConverter, views/filters.py). The parsing rules themselves are domain.formatting /
domain.payments."""

from __future__ import annotations

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form.widgets import DatePickerWidget, DateTimePickerWidget
from flask_admin.model.form import converts
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeField, Field, IntegerField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from domain import levels
from domain.calendar import parse_time
from domain.formatting import (
    ImpossibleDate,
    format_date,
    format_datetime_input,
    format_number,
    parse_date,
    parse_datetime,
)
from domain.payments import parse_amount_vnd
from domain.service import RuleError
from domain.text import is_phone_number

DATE_MESSAGE = _l("Type the date as dd/mm/yyyy, e.g. 05/12/2026.")
PHONE_MESSAGE = _l(
    "Type a phone number: 8 to 15 digits, with spaces, dots or dashes if you like, e.g."
    " 0912 345 678."
)
TIME_MESSAGE = _l("Type the time as HH:MM, e.g. 15:00.")
DATETIME_MESSAGE = _l("Type the date and time as dd/mm/yyyy HH:MM, e.g. 05/12/2026 14:30.")
AMOUNT_MESSAGES = {
    "amount_required": _l("Enter the amount in đồng."),
    "amount_not_a_number": _l("The amount must be a whole number of đồng, e.g. 135000 or 135.000."),
    "amount_fractional": _l("The amount must be a whole number of đồng: no decimals."),
    "amount_not_positive": _l("The amount must be greater than 0 đồng."),
    "amount_negative": _l("The amount cannot be negative."),
    "amount_too_large": _l("The amount is too large; check the number."),
}

# Picker formats (moment.js, read by Flask-Admin's form.js) matching what the fields show.
PICKER_DATE = "DD/MM/YYYY"
PICKER_DATETIME = "DD/MM/YYYY HH:mm"


class VnDatePickerWidget(DatePickerWidget):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-date-format", PICKER_DATE)
        kwargs.setdefault("placeholder", "dd/mm/yyyy")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class VnDateTimePickerWidget(DateTimePickerWidget):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-date-format", PICKER_DATETIME)
        kwargs.setdefault("placeholder", "dd/mm/yyyy hh:mm")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


def impossible_date_message(error: ImpossibleDate) -> str:
    """A date typed the right way that is not in the calendar (31/02/2019): said so, not how to
    type a date (forms here, list filters in views/columns.py)."""
    return gettext("%(date)s is not a real date.", date=error.date)


class _TypedField:
    """Shows back what was typed after an error, else the value in the Vietnamese format."""

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.show(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None  # Optional / InputRequired decide
            return
        try:
            self.data = self.read(text)
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from None

    def post_validate(self, form, validation_stopped):
        # DataRequired empties the errors and says "required" when something was typed but could
        # not be read: say how to type it instead.
        if self.process_errors:
            self.errors = list(self.process_errors)


class VnDateField(_TypedField, DateField):
    widget = VnDatePickerWidget()

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, format="%d/%m/%Y", **kwargs)

    @staticmethod
    def show(value):
        return format_date(value)

    @staticmethod
    def read(text):
        try:
            return parse_date(text)
        except ImpossibleDate as error:
            raise ValueError(impossible_date_message(error)) from None
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


class VnDateTimeField(_TypedField, DateTimeField):
    widget = VnDateTimePickerWidget()

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, format="%d/%m/%Y %H:%M", **kwargs)

    @staticmethod
    def show(value):
        return format_datetime_input(value)

    @staticmethod
    def read(text):
        try:
            return parse_datetime(text, date_only=False)[0]
        except ImpossibleDate as error:
            raise ValueError(impossible_date_message(error)) from None
        except ValueError:
            raise ValueError(str(DATETIME_MESSAGE)) from None


class HourMinuteField(_TypedField, Field):
    """A time of day typed HH:MM (15:00, also 9:05), shown back HH:MM; blank: none."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("placeholder", "HH:MM")
        render_kw.setdefault("autocomplete", "off")
        kwargs.pop("format", None)
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    @staticmethod
    def show(value):
        return value.strftime("%H:%M")

    @staticmethod
    def read(text):
        try:
            return parse_time(text)
        except ValueError:
            raise ValueError(str(TIME_MESSAGE)) from None


class VndField(_TypedField, IntegerField):
    """Whole đồng: "1.200.000", "1 200 000", "1200000" or "1.200.000 đ"; shown as 1.200.000.
    `minimum`: 1 for a payment, 0 (the default) for a fee item, which may be free."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, minimum: int = 0, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "numeric")
        render_kw.setdefault("autocomplete", "off")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.minimum = minimum

    @staticmethod
    def show(value):
        return format_number(value)

    def read(self, text):
        try:
            return parse_amount_vnd(text, minimum=self.minimum)
        except RuleError as error:
            raise ValueError(str(AMOUNT_MESSAGES.get(error.key, error.key))) from None


def is_money_column(column) -> bool:
    return getattr(column, "name", "").endswith("_vnd")


class VnModelConverter(AdminModelConverter):
    """Flask-Admin's form converter with the Vietnamese fields for dates, times and đồng."""

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.pop("widget", None)
        return VnDateField(**field_args)

    @converts("DateTime")
    def convert_datetime(self, field_args, **extra):
        field_args.pop("widget", None)
        return VnDateTimeField(**field_args)

    @converts("Time")
    def convert_time(self, field_args, **extra):
        field_args.pop("widget", None)
        return HourMinuteField(**field_args)

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        if is_money_column(column):
            return VndField(**field_args)
        return super().handle_integer_types(column, field_args, **extra)


def levels_offered(form, obj):
    """Since the 2025 reform a new procedure is of the province or the commune: "district"
    is offered only to a procedure that already has it (old rows stay readable and editable),
    and a district posted anyway is refused with the reason, not "not a valid choice"."""
    field = getattr(form, "level", None)
    current = getattr(obj, "level", None)
    if field is None:
        return form
    field.choices = [c for c in field.choices if levels.may_choose(c[0], current)]
    offered = field.pre_validate

    def pre_validate(form_):
        if not levels.may_choose(field.data, current):
            raise StopValidation(gettext(levels.ABOLISHED_MESSAGE))
        offered(form_)

    field.pre_validate = pre_validate
    return form


def phone_number(form, field) -> None:
    """A validator: the field, when filled in, is a phone number (domain.text.is_phone_number)."""
    if field.data and not is_phone_number(field.data):
        raise ValidationError(str(PHONE_MESSAGE))
