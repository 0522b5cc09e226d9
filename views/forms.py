"""The forms of every screen: CSRF, Vietnamese messages, tidied text, no forged choice, the
one-time token of a create form (domain/form_submissions.py), and an edit form that does not
overwrite a later change."""

from __future__ import annotations

from flask import flash, g, has_request_context, request
from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from sqlalchemy import inspect
from wtforms import HiddenField, PasswordField, StringField

from domain import form_submissions
from domain.text import clean_text
from models import db


class _AppTranslations:
    """WTForms messages through our own catalogue (WTForms ships no Vietnamese).

    WTForms fills in %(min)s/%(max)s itself after translating: the text must come back with
    its placeholders untouched (flask_babel's ngettext would fill in %(num)s and fail)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        translations = get_translations()
        text = translations.ngettext(singular, plural, n)
        if text in (singular, plural):  # our catalogue has the two forms as separate msgids
            text = translations.gettext(singular if n == 1 else plural)
        return text


def _tidy_input(value):
    return clean_text(value) if isinstance(value, str) else value


class _FormMeta:
    """What every form of the app shares: Vietnamese messages, and text tidied the way the
    importers tidy it (domain.text.clean_text) before it is validated and saved."""

    def get_translations(self, form):
        return _AppTranslations()

    def bind_field(self, form, unbound_field, options):
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            field.filters = (_tidy_input, *field.filters)
        return field


class SecureForm(FlaskForm):
    """Every form carries a CSRF token, speaks Vietnamese, tidies text and refuses a choice it
    did not offer."""

    class Meta(_FormMeta):
        def wrap_formdata(self, form, formdata):
            # A page shown again after an expired session (views/idle.py): its form is filled
            # with what was typed, as if posted, but neither validated nor saved.
            draft = g.get("form_draft") if has_request_context() else None
            if (
                draft is not None
                and request.method == "GET"
                and formdata in (None, _Auto)
                and any(name in draft for name in form._fields)
            ):
                return draft
            return super().wrap_formdata(form, formdata)

    def __init__(self, *args, **kwargs):
        # Flask-Admin's Unique validator tells "the edited row itself" from "another row with
        # the same code" through form._obj, which only Flask-Admin's own form base sets.
        self._obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if _forged_choice(field) and not field.errors:
                field.errors = [gettext("This choice does not exist or is not open to you.")]
                valid = False
        return valid


class InlineForm(BaseForm):
    """A row of an inline list (a procedure's fee items): like SecureForm, without a CSRF token
    of its own (the outer form carries it)."""

    class Meta(_FormMeta):
        pass


def _forged_choice(field) -> bool:
    """An AJAX picker posted an id that is not among its choices (another agency's dossier, a
    removed row): Flask-Admin would silently save "nothing chosen"."""
    if not isinstance(field, AjaxSelectField) or isinstance(field, AjaxSelectMultipleField):
        return False
    posted = (field.raw_data or [""])[0]
    return posted not in ("", "__None") and field.data is None


class _InlineConverter(InlineModelConverter):
    def get_info(self, p):
        info = super().get_info(p)
        if info.form_base_class is None:
            info.form_base_class = InlineForm
        return info


class FormTokenField(HiddenField):
    """The one-time token of a create form (domain/form_submissions.py): a new one each time
    the form is shown; the posted one kept when the form comes back with errors."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("default", form_submissions.new_token)
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:  # a forged value is replaced: that send is simply not deduplicated
            self.data = form_submissions.clean_token(valuelist[0]) or form_submissions.new_token()


class OnceForm(SecureForm):
    """A form that creates a record: sent twice, it creates one (see claim_form_token)."""

    form_token = FormTokenField()


def _user_id():
    return current_user.id if current_user.is_authenticated else None


def check_form_token(form) -> None:
    """Before validating a posted create form: AlreadySubmitted if this form was sent before."""
    if request.method == "POST" and getattr(form, "form_token", None) is not None:
        form_submissions.check_unused(db.session, form.form_token.data)


def claim_form_token(form) -> None:
    """In the transaction that writes the form's record, before writing it."""
    if getattr(form, "form_token", None) is not None:
        form_submissions.claim(db.session, form.form_token.data, _user_id())


def record_form_result(form, url: str) -> None:
    """Where a later send of the same form goes: the record the first one created."""
    if getattr(form, "form_token", None) is not None:
        form_submissions.record_result(db.session, form.form_token.data, url)


# ---- the model screens' forms (mixed into views/base.py's SecureModelView) --------------------


class OnceCreateMixin:
    """A create form is sent once (domain/form_submissions.py): its token is checked before
    validation, taken in the transaction that writes the record, and the record's page noted
    for a repeated send."""

    def get_create_form(self):
        form_class = super().get_create_form()
        return type(f"Once{form_class.__name__}", (form_class,), {"form_token": FormTokenField()})

    def create_form(self, obj=None):
        form = super().create_form(obj)
        check_form_token(form)
        return form

    def _on_model_change(self, form, model, is_created):
        # Flask-Admin calls this between adding the new row and committing: the token is taken
        # first (a concurrent second send stops here), the record's page noted after the flush.
        if is_created:
            claim_form_token(form)
        super()._on_model_change(form, model, is_created)
        if is_created and getattr(form, "form_token", None) is not None:
            db.session.flush()
            record_form_result(form, self.created_url(model))


STALE_EDIT_MESSAGE = _l(
    "This record was changed after you opened this page (by someone else, or by an earlier "
    "send of this form). Nothing was saved: reload the page to see the changes, then make "
    "yours again."
)


def _last_change(row) -> str:
    return row.updated_at.isoformat() if row.updated_at else ""


class StaleEditMixin:
    """An edit form shown before someone else's save does not overwrite it. The row's last
    change (updated_at) travels with the form; a save whose page showed an older one is refused
    and the form shown again with what was typed. Dossiers have their own version column
    (views/dossiers.py)."""

    def _checks_staleness(self) -> bool:
        return hasattr(self.model, "updated_at") and inspect(self.model).version_id_col is None

    def get_edit_form(self):
        form_class = super().get_edit_form()
        if not self._checks_staleness():
            return form_class
        return type(f"Seen{form_class.__name__}", (form_class,), {"form_seen": HiddenField()})

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        seen = getattr(form, "form_seen", None)
        # (a form refilled after an expired session keeps the change it was typed on)
        if seen is not None and request.method != "POST" and obj is not None and not seen.data:
            seen.data = _last_change(obj)
        return form

    def update_model(self, form, model):
        seen = getattr(form, "form_seen", None)
        if seen is not None and seen.data and seen.data != _last_change(model):
            flash(str(STALE_EDIT_MESSAGE), "error")
            return False
        return super().update_model(form, model)
