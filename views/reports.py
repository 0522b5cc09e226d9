"""The reports page (managers and admins): pick a period, see the §6 table, download the
workbook."""

from __future__ import annotations

import datetime as dt
import io

from flask import current_app, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from domain import clock, deadlines, open_snapshots, periods, reports
from domain.formatting import format_percent
from domain.periods import Period, PeriodError
from domain.report_workbook import write_report_workbook
from models import db
from replica import reports_session
from transactions import write_aside
from views.base import SecureBaseView, link_args, period_message

FIRST_YEAR = 2015  # the year menu goes back to here (and to any year asked for)

# The resolved and pending columns, the same on form 06a and on the official form.
RESOLVED_AND_PENDING = (
    (
        _l("Dossiers resolved"),
        (
            ("resolved_total", _l("Total")),
            ("resolved_early", _l("Early")),
            ("resolved_on_time", _l("On time")),
            ("resolved_late", _l("Late")),
        ),
    ),
    (
        _l("Dossiers pending"),
        (
            ("pending_total", _l("Total")),
            ("pending_in_time", _l("In time")),
            ("pending_overdue", _l("Overdue")),
        ),
    ),
)

# (key, heading) of the on-screen table, in the column order of form 06a.
GROUPS = (
    (
        _l("Dossiers received"),
        (
            ("received_total", _l("Total")),
            ("carried_over", _l("Carried over")),
            ("received_new", _l("Newly received")),
            ("received_online", _l("Online")),
            ("received_direct", _l("At the counter")),
            ("received_postal", _l("By post")),
        ),
    ),
    *RESOLVED_AND_PENDING,
)


# The official form's columns (3)–(13) on screen (the workbook's "Biểu mẫu" sheet).
OFFICIAL_GROUPS = (
    (
        _l("Dossiers received"),
        (
            ("received_total", _l("Total")),
            ("received_online", _l("Online")),
            ("received_direct_postal", _l("At the counter and by post")),
            ("carried_over", _l("From the previous period")),
        ),
    ),
    *RESOLVED_AND_PENDING,
)
LATE_PAGE_SIZE = 50  # late dossiers shown per page (the workbook has them all)


def _with_dates(item: dict) -> dict:
    """A late dossier of the JSON with its ISO dates as dates (shown dd/mm/yyyy)."""
    return {
        **item,
        **{
            k: dt.date.fromisoformat(item[k]) if item[k] else None
            for k in ("due_date", "resolved_on")
        },
    }


def preset_of(period: Period) -> str:
    """The kind chosen in the period form ("cutoff": the statutory month)."""
    return "cutoff" if period.kind == "month" and period.statutory else period.kind


class ReportView(SecureBaseView):
    read_roles = ("admin", "manager")

    def _period(self) -> Period:
        today = clock.today()
        try:
            return periods.from_query(request.args, today)
        except PeriodError as error:
            # The form shows what was typed, to be corrected (the figures: the current month).
            g.typed_period = {k: request.args.get(k, "") for k in ("preset", "from", "to")}
            flash(
                _("The period is not valid; the current month is shown.")
                + " "
                + period_message(error),
                "error",
            )
            return periods.from_query({}, today)

    @staticmethod
    def _method() -> str:
        """?method=national: the national portal's counting (unconfirmed); else design §6."""
        method = request.args.get("method") or deadlines.DESIGN
        return method if method in deadlines.METHODS else deadlines.DESIGN

    def _report(self) -> tuple[Period, bool, dict]:
        """The period asked for, whether by field, and the report (page and workbook alike)."""
        period = self._period()
        by_field = request.args.get("by_field") == "1"
        return (
            period,
            by_field,
            reports.build_report(
                reports_session(),
                period.start,
                period.end,
                by_field=by_field,
                method=self._method(),
                # What was open at the period's boundaries, counted again, kept in the main
                # database for the next report (even when read from a replica: kept only if
                # no change came meanwhile).
                keep=lambda pending: write_aside(
                    db.session.session_factory,
                    lambda session: open_snapshots.keep(session, pending),
                ),
            ),
        )

    @expose("/")
    def index(self):
        period, by_field, report = self._report()
        # The end counted: today while the period runs (reports.build_report).
        start, end = period.start, dt.date.fromisoformat(report["period"]["to"])
        method = self._method()
        view = "official" if request.args.get("view") == "official" else "agencies"
        t = report["totals"]
        shares = [
            (label, format_percent(t[num], t[den]))
            for label, num, den in (
                (_("Resolved / received"), "resolved_total", "received_total"),
                (_("Early / resolved"), "resolved_early", "resolved_total"),
                (_("On time / resolved"), "resolved_on_time", "resolved_total"),
                (_("Late / resolved"), "resolved_late", "resolved_total"),
                (_("Pending / received"), "pending_total", "received_total"),
                (_("Overdue / pending"), "pending_overdue", "pending_total"),
            )
        ]
        args = {k: v for k, v in link_args(request.args).items() if k not in ("page", "view")}
        today = clock.today()
        late = report["late_dossiers"]
        pages = max(1, -(-len(late) // LATE_PAGE_SIZE))
        try:
            page = min(max(1, int(request.args.get("page") or 1)), pages)
        except ValueError:
            page = 1
        settings = current_app.settings
        return self.render(
            "admin/report.html",
            report=report,
            groups=GROUPS,
            shares=shares,
            period=period,
            preset=preset_of(period),
            start=start,
            end=end,
            by_field=by_field,
            args=args,
            choices=self._choices(period, today),
            quick=self._quick_links(today),
            method=method,
            view=view,
            official_groups=OFFICIAL_GROUPS,
            late_page=[
                _with_dates(item)
                for item in late[(page - 1) * LATE_PAGE_SIZE : page * LATE_PAGE_SIZE]
            ],
            late_first=(page - 1) * LATE_PAGE_SIZE,
            page=page,
            pages=pages,
            unit_name=settings.reporting_unit_name,
            recipient=settings.report_recipient,
            form_label=settings.report_form_label,
        )

    @staticmethod
    def _choices(period: Period, today: dt.date) -> dict:
        """The options of the period form: kinds, months, quarters, halves, years."""
        roman = ("I", "II", "III", "IV")
        first_year = min(FIRST_YEAR, period.year)
        return {
            "presets": [
                ("month", _("Month")),
                ("quarter", _("Quarter")),
                ("half", _("Six months")),
                ("year", _("Year")),
                ("cutoff", _("Statutory period (15th to 14th)")),
                ("range", _("From … to …")),
            ],
            "months": [(m, _("Month %(n)s", n=m)) for m in range(1, 13)],
            "quarters": [
                (
                    q,
                    _(
                        "Quarter %(roman)s (months %(first)s–%(last)s)",
                        roman=roman[q - 1],
                        first=3 * q - 2,
                        last=3 * q,
                    ),
                )
                for q in range(1, 5)
            ],
            "halves": [(1, _("First six months")), (2, _("Last six months"))],
            "years": list(range(max(today.year, period.year), first_year - 1, -1)),
        }

    @staticmethod
    def _quick_links(today: dt.date):
        last_month = periods.add_months(today, -1)
        quarter = (today.month - 1) // 3 + 1
        return [
            (_("This month"), {"preset": "month", "month": today.month, "year": today.year}),
            (
                _("Last month"),
                {"preset": "month", "month": last_month.month, "year": last_month.year},
            ),
            (
                _("Statutory period (15th to 14th)"),
                {"preset": "cutoff", "month": today.month, "year": today.year},
            ),
            (_("This quarter"), {"preset": "quarter", "quarter": quarter, "year": today.year}),
            (_("This year"), {"preset": "year", "year": today.year}),
            (_("Last year"), {"preset": "year", "year": today.year - 1}),
        ]

    @expose("/xlsx")
    def xlsx(self):
        try:
            periods.from_query(request.args, clock.today())
        except PeriodError:  # no workbook of another period: the page says what is wrong
            return redirect(url_for(".index", **link_args(request.args)))
        period, _by_field, report = self._report()
        # The end counted, as on the page: today while the period runs (build_report).
        start, end = period.start, dt.date.fromisoformat(report["period"]["to"])
        details = reports.build_details(reports_session(), start, end)
        buffer = io.BytesIO()
        settings = current_app.settings
        write_report_workbook(
            buffer,
            report,
            details,
            settings.reporting_unit_name,
            recipient=settings.report_recipient,
            form_label=settings.report_form_label,
        )
        buffer.seek(0)
        return send_file(
            buffer,
            as_attachment=True,
            max_age=0,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            download_name=f"bao-cao-06a_{start:%Y%m%d}_{end:%Y%m%d}.xlsx",
        )


def register(admin):
    admin.add_view(ReportView(name=_l("Reports"), endpoint="report", url="/report"))
