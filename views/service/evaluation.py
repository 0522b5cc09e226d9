"""Evaluation forms (phiếu đánh giá) and their indicators."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from domain import clock, evaluation
from domain.formatting import format_number, format_percent
from domain.service import RuleError
from models import Agency, Dossier, EvaluationForm, db
from views import labels
from views.base import (
    ALL_ROLES,
    AgencyScopedMixin,
    OnceForm,
    SecureModelView,
    check_form_token,
    claim_form_token,
    own_agency_ids,
    own_agency_options,
    record_form_result,
)
from views.exports import XlsxExportMixin
from views.fields import VnDateTimeField
from views.service.common import (
    WRITERS,
    CancelMixin,
    TotalsMixin,
    cancelled_formatter,
    own_agencies,
    own_dossiers,
    rule_message,
)


def _score_formatter(view, context, model, name):
    return evaluation.score_label(model.score, model.max_score)


def _answers_formatter(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(a.indicator.code)}</td><td>{escape(a.indicator.name)}</td>"
        f"<td>{a.score}/{a.indicator.max_score}</td></tr>"
        for a in sorted(model.answers, key=lambda a: (a.indicator.sort_order, a.indicator_id))
    )
    return Markup(f'<table class="table table-sm mb-0">{rows}</table>')


FORM_SETS = {
    evaluation.CITIZEN_2019: _l("Citizen form 2019 (out of 8)"),
    evaluation.NATIONAL: _l("National indicators (out of 18)"),
}


class EvaluationFormView(
    XlsxExportMixin, TotalsMixin, CancelMixin, AgencyScopedMixin, SecureModelView
):
    """Evaluation forms (phiếu đánh giá): staff enter the forms of their agencies; a wrong form is
    cancelled with a reason, never edited or deleted."""

    def agency_criterion(self, agency_ids):
        return EvaluationForm.agency_id.in_(agency_ids)

    read_roles = ALL_ROLES
    create_roles = WRITERS
    edit_roles = ()
    cancel_roles = WRITERS
    totals_title = _l("Evaluation forms")
    column_labels = labels.LABELS
    column_list = (
        "submitted_at",
        "form_set",
        "agency",
        "dossier",
        "score",
        "channel",
        "cancelled_at",
    )
    column_details_list = (
        "submitted_at",
        "form_set",
        "agency",
        "dossier",
        "score",
        "answers",
        "channel",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    )
    column_sortable_list = ("submitted_at", "score", ("agency", "agency.sort_order"))
    column_default_sort = ("submitted_at", True)
    column_searchable_list = ("dossier.search_text",)
    column_filters = (
        IntEqualFilter(EvaluationForm.agency_id, _l("Agency"), options=own_agency_options),
        "form_set",
        "score",
        "max_score",
        "channel",
        "submitted_at",
        "cancelled_at",
    )
    column_choices = {
        "form_set": labels.choices(FORM_SETS),
        "channel": labels.choices(labels.EVALUATION_CHANNELS),
    }
    column_formatters = {"score": _score_formatter, "cancelled_at": cancelled_formatter}
    column_formatters_detail = {"score": _score_formatter, "answers": _answers_formatter}
    simple_list_pager = True

    def get_query(self):
        return (
            super()
            .get_query()
            .options(joinedload(EvaluationForm.agency), joinedload(EvaluationForm.dossier))
        )

    def get_one(self, id):
        model = super().get_one(id)
        if model is not None and request.endpoint and request.endpoint.endswith("details_view"):
            model = (
                self.get_query()
                .options(selectinload(EvaluationForm.answers))
                .filter(EvaluationForm.id == model.id)
                .one()
            )
        return model

    def _entry_form(self, form_set):
        indicators = evaluation.indicators_of(db.session, form_set)

        class EntryForm(OnceForm):
            dossier_code = StringField(_l("Dossier code"), validators=[Optional(), Length(max=40)])
            agency = SelectField(
                _l("Agency"),
                coerce=int,
                validators=[Optional()],
                choices=[(0, "")]
                + [
                    (a.id, a.name)
                    for a in own_agencies(Agency).order_by(Agency.sort_order, Agency.name)
                ],
            )
            submitted_at = VnDateTimeField(
                _l("Submitted at"), validators=[DataRequired()], default=clock.now
            )
            channel = SelectField(
                _l("Channel"), default="paper", choices=labels.choices(labels.EVALUATION_CHANNELS)
            )

        for indicator in indicators:
            setattr(
                EntryForm,
                f"ind_{indicator.id}",
                RadioField(
                    f"{indicator.code}. {indicator.name}",
                    coerce=int,
                    choices=[(i, str(i)) for i in range(indicator.max_score + 1)],
                    validators=[InputRequired(message=_l("Give a score for every indicator."))],
                ),
            )
        return EntryForm(), indicators

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form_set = request.values.get("form_set", evaluation.CITIZEN_2019)
        if form_set not in FORM_SETS:
            abort(404)
        form, indicators = self._entry_form(form_set)
        check_form_token(form)
        error = None
        if form.validate_on_submit():
            try:
                self._save(form, form_set, indicators)
            except RuleError as exc:
                db.session.rollback()
                error = rule_message(exc)
            else:
                flash(_("The evaluation form was saved."), "success")
                if "_add_another" in request.form:
                    return redirect(self.get_url(".create_view", form_set=form_set))
                return redirect(self.get_url(".index_view"))
        elif request.method == "POST":
            error = _("Check the form: some answers are missing or wrong.")
        return self.render(
            "admin/service/evaluation_create.html",
            form=form,
            form_set=form_set,
            form_sets=FORM_SETS,
            indicators=indicators,
            error=error,
            return_url=self.get_url(".index_view"),
        ), (400 if error else 200)

    def _save(self, form, form_set, indicators):
        dossier = None
        code = (form.dossier_code.data or "").strip()
        if code:
            dossier = own_dossiers(Dossier).filter(Dossier.code == code).one_or_none()
            if dossier is None:
                raise RuleError("rating_dossier_refused")
            agency_id = dossier.agency_id
        else:
            agency_id = form.agency.data
            allowed = own_agency_ids()
            if not agency_id or (allowed is not None and agency_id not in allowed):
                raise RuleError("evaluation_agency_required")
        scores = {i.id: getattr(form, f"ind_{i.id}").data for i in indicators}
        claim_form_token(form)
        record = evaluation.record_evaluation(
            db.session,
            form_set,
            scores,
            agency_id,
            form.submitted_at.data,
            dossier=dossier,
            channel=form.channel.data,
        )
        db.session.flush()
        record_form_result(form, self.get_url(".details_view", id=record.id))
        db.session.commit()

    def totals_tables(self, start, end, agency_ids):
        by_score = evaluation.evaluation_counts_by_score(db.session, start, end, agency_ids)
        total = sum(r.count for r in by_score)
        return [
            {
                "title": _("By score"),
                "headers": [_("Score"), _("Forms"), _("Share")],
                "rows": [
                    [r.label, format_number(r.count), format_percent(r.count, total)]
                    for r in by_score
                ],
                "foot": [_("Total"), format_number(total), ""],
            },
            {
                "title": _("By agency"),
                "headers": [_("Agency"), _("Forms"), _("Points"), _("Average")],
                "rows": [
                    [
                        name,
                        format_number(n),
                        f"{format_number(pts)}/{format_number(mx)}",
                        format_percent(pts, mx),
                    ]
                    for _id, name, n, pts, mx in evaluation.evaluation_counts_by_agency(
                        db.session, start, end, agency_ids
                    )
                ],
            },
        ]


class EvaluationIndicatorView(XlsxExportMixin, SecureModelView):
    """The indicators are data: admins correct names, order or retire one (never delete: old
    answers point to it). New sets come from `flask evaluation indicators`."""

    read_roles = ("admin", "manager")
    create_roles = edit_roles = ("admin",)
    column_labels = labels.LABELS
    column_list = ("form_set", "sort_order", "code", "name", "max_score", "active")
    column_default_sort = [("form_set", False), ("sort_order", False)]
    column_searchable_list = ()
    column_filters = ("form_set", "active")
    column_choices = {"form_set": labels.choices(FORM_SETS)}
    form_columns = ("form_set", "code", "name", "max_score", "sort_order", "active")
    form_choices = {"form_set": labels.choices(FORM_SETS)}
    form_args = {"max_score": {"validators": [InputRequired(), NumberRange(min=1, max=2)]}}
