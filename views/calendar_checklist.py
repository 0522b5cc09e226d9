"""The yearly calendar checklist (issue 13 point 6): for this year and next, the days off and
make-up days in force with their source (the `holidays` package or an override), and the
"reviewed" mark an administrator sets once the year's notice of the Ministry of Home Affairs has
been checked and entered as overrides. Everyone reads it; only administrators mark a year."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from domain import calendar_checklist as cc
from domain import clock
from models import db
from views.base import ALL_ROLES, SecureBaseView, SecureForm, has_role, parse_id

KIND_LABELS = {
    cc.KIND_DAY_OFF: _l("Day off"),
    cc.KIND_MAKE_UP: _l("Make-up working day"),
    cc.KIND_WORKING: _l("Working day"),
}
WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
SOURCE_LABELS = {
    cc.SOURCE_PACKAGE: _l("holidays package"),
    cc.SOURCE_OVERRIDE: _l("Calendar override"),
}


class ReviewForm(SecureForm):
    year = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note (the notice checked)"), validators=[Optional(), Length(max=255)])


class CalendarChecklistView(SecureBaseView):
    read_roles = ALL_ROLES

    @expose("/", methods=("GET", "POST"))
    def index(self):
        today = clock.today()
        years = cc.years_to_show(today)
        if request.method == "POST":
            if not has_role("admin"):
                abort(403)
            form = ReviewForm()
            year = parse_id(form.year.data)  # a whole number or None (never int() of 10,000 digits)
            if not form.validate_on_submit() or year not in years:
                flash(_("The year cannot be marked as reviewed."), "error")
            else:
                cc.mark_reviewed(db.session, year, current_user.id, clock.now(), form.note.data)
                db.session.commit()
                flash(_("Calendar of %(year)s marked as reviewed.", year=year), "success")
            return redirect(url_for(".index"))
        sections = []
        for year in years:
            form = ReviewForm(formdata=None, year=str(year))
            sections.append(
                {
                    "year": year,
                    "entries": cc.year_entries(db.session, year),
                    "review": cc.review_of(db.session, year),
                    "form": form,
                }
            )
        return self.render(
            "admin/calendar_checklist.html",
            sections=sections,
            kinds=KIND_LABELS,
            sources=SOURCE_LABELS,
            weekdays=WEEKDAYS,
            can_review=has_role("admin"),
            warning_year=cc.unreviewed_next_year(db.session, today),
        )


def register(admin):
    admin.add_view(
        CalendarChecklistView(
            name=_l("Yearly calendar checklist"),
            category=_l("Administration"),
            endpoint="calendar_checklist",
            url="/calendar-checklist",
        )
    )
