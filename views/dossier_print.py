"""The printed forms of a dossier (the 2018 set, Mẫu 01–05, or the 2025 set, Mẫu 01–06, chosen
by domain/printed_forms.py from the acceptance date) and the register (Mẫu 06 / 07, built by
domain/register.py). The print URL names the kind of form; the set picks the template."""

from __future__ import annotations

import os
import tempfile

from flask import abort, current_app, flash, request, send_file
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from domain import clock, deadlines, lookup, periods, printed_forms
from domain import lifecycle as lc
from domain import register as dossier_register
from domain.calendar import load_calendar
from domain.formatting import format_date
from domain.status import Status
from models import db
from transactions import writes
from views import labels
from views.base import own_agency_ids, period_message
from views.dossier_columns import status_label
from views.lookup import lookup_url

# The buttons of the dossier page; the number is the form's in its set.
PRINT_FORM_LABELS = {
    printed_forms.RECEIPT: _l("Receipt (form %(number)s)"),
    printed_forms.SUPPLEMENT_REQUEST: _l("Supplement request (form %(number)s)"),
    printed_forms.REFUSAL: _l("Refusal (form %(number)s)"),
    printed_forms.APOLOGY: _l("Apology (form %(number)s)"),
    printed_forms.STOP_NOTICE: _l("Stop notice (form %(number)s)"),
    printed_forms.CONTROL_SHEET: _l("Control sheet (form %(number)s)"),
}


def print_label(form) -> str:
    return str(PRINT_FORM_LABELS[form.kind]) % {"number": form.number}


def register_label() -> str:
    """The register's name on the list's tab and its page: its form number in the set in force
    today (Mẫu 06 of 2018, Mẫu 07 of 2025), as its workbook's title."""
    number = printed_forms.form_set(clock.today()).register.number
    return gettext("Register of dossiers (form %(number)s)", number=number)


def register_title(forms) -> str:
    """The register's title line: its form number in the set in force at the end of the range,
    and the circular."""
    return gettext(
        "REGISTER OF DOSSIERS (form %(number)s, %(basis)s)",
        number=forms.register.number,
        basis=forms.basis,
    )


class DossierPrintMixin:
    """DossierView's printed forms and register."""

    @staticmethod
    def available_forms(model) -> list[tuple[str, str]]:
        return [
            (form.kind, print_label(form))
            for form in printed_forms.available_forms(model, clock.today())
        ]

    # ---- printed forms ----------------------------------------------------------------------
    @expose("/print/<form_no>/")
    def print_view(self, form_no):
        dossier = self.get_one(request.args.get("id"))
        if form_no not in printed_forms.KINDS or dossier is None:
            abort(404)
        forms = printed_forms.dossier_form_set(dossier, clock.today())
        context = printed_forms.form_context(dossier, form_no, forms)
        if context is None:
            abort(404)
        form = forms.form(form_no)
        settings = current_app.settings
        context.update(
            d=dossier,
            form=form,
            forms=forms,
            number=printed_forms.form_number(db.session, dossier, form_no, context),
            place=settings.place_name,
            center_phone=settings.center_phone,
            status_label=status_label,
            labels=labels,
            center=lc.CENTER_UNIT,
            today=clock.now(),
            Status=Status,
        )
        if form_no == printed_forms.RECEIPT:
            context["appointment"] = printed_forms.appointment_at(dossier)
        if form_no == printed_forms.APOLOGY:
            context["issued_late"] = printed_forms.apology_is_late(
                dossier, context["act_at"].date(), load_calendar(db.session)
            )
        if form_no == printed_forms.CONTROL_SHEET:
            context.update(self.control_sheet(dossier))
        if form_no in (printed_forms.RECEIPT, printed_forms.CONTROL_SHEET) and dossier.code:
            context.update(self.printed_codes(dossier, form_no))
        return self.render(form.template, **context)

    def control_sheet(self, dossier) -> dict:
        """The resolving and cooperating agencies and the hand-over rows of the control sheet."""

        def step_label(event):
            if event.from_status == event.to_status:
                return gettext("Rescheduled with apology")
            return status_label(event.to_status)

        rows = printed_forms.handovers(
            dossier,
            printed_forms.courier_runs(db.session, dossier),
            lc.CENTER_UNIT,
            step_label,
            gettext("Public postal service"),
        )
        return {
            "outcome": self.outcome(dossier),
            "handovers": rows,
            "cooperating": printed_forms.cooperating_units(dossier, lc.CENTER_UNIT),
        }

    def printed_codes(self, dossier, form_no) -> dict:
        """The barcode and QR code of the dossier (issue 14 point 5). The receipt's QR opens the
        look-up page with the code and a look-up secret issued for this print (domain/lookup.py:
        a reprint issues a new one and the earlier receipt's stops working; the receipt says
        so). Only users who may change the dossier issue secrets; the control sheet, which goes
        round the agencies, carries the code alone."""
        codes = {"barcode_svg": Markup(printed_forms.code128_svg(dossier.code))}
        secret = None
        if form_no == printed_forms.RECEIPT and self.can_edit:
            # A GET that writes: in a write transaction of its own, after the read one has
            # ended (SQLite; see transactions.writes and views/idle.py).
            db.session.commit()
            with writes():
                secret, count = lookup.issue_secret(db.session, dossier, clock.now())
                db.session.commit()
            codes.update(lookup_secret=lookup.display_secret(secret), lookup_issue=count)
        url = lookup_url(dossier.code, secret)
        codes.update(
            lookup_url=url, qr_svg=Markup(printed_forms.qr_svg(url, gettext("Dossier look-up")))
        )
        return codes

    @staticmethod
    def outcome(dossier):
        return labels.OUTCOMES.get(deadlines.result_outcome(dossier))

    @expose("/register/")
    def register_view(self):
        if request.args.get("from") or request.args.get("to"):
            try:
                period = periods.parse_range(request.args.get("from"), request.args.get("to"))
            except periods.PeriodError as error:
                flash(gettext("Enter a valid date range.") + " " + period_message(error), "error")
            else:
                return self._register_file(period)
        default = periods.month_to_date(clock.today())
        return self.render(
            "dossiers/register.html", start=default.start, end=default.end, title=register_label()
        )

    REGISTER_HEADER = (
        _l("No."),
        _l("Dossier code"),
        _l("Procedure"),
        _l("Number of dossiers (sets)"),
        _l("Applicant"),
        _l("Address / phone"),
        _l("Agency"),
        _l("Accepted at"),
        _l("Due date"),
        _l("Sent to agency"),
        _l("Result received"),
        _l("Returned at"),
        _l("Return channel"),
        _l("Signature on receipt"),
        _l("Note"),
    )

    def _register_file(self, period: periods.Period):
        start, end = period.start, period.end
        limit = current_app.settings.export_max_rows
        texts = dossier_register.RegisterTexts(
            sheet=gettext("Register"),
            title=register_title(printed_forms.form_set(end)),
            period=gettext(
                "From %(start)s to %(end)s", start=format_date(start), end=format_date(end)
            ),
            header=[str(h) for h in self.REGISTER_HEADER],
            truncated=gettext(
                "Only the first %(count)s dossiers are listed: choose a shorter date range.",
                count=limit,
            ),
            return_channels=labels.RETURN_CHANNELS,
        )
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        dossier_register.write_register(path, db.session, period, own_agency_ids(), limit, texts)
        name = f"so-theo-doi-ho-so-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        stream = open(path, "rb")
        os.unlink(path)  # the open handle keeps the data until it is sent
        return send_file(
            stream,
            as_attachment=True,
            download_name=name,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
