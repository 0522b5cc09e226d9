"""The reports page (managers and admins): pick a period, see the §6 table, download the workbook."""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from flask import current_app, flash, request, send_file
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l

from domain import reports
from domain.formatting import format_percent
from domain.report_workbook import write_report_workbook
from models import db
from views.base import SecureBaseView, link_args

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PRESETS = ("month", "quarter", "year", "cutoff", "range")

# (key, heading) of the on-screen table, in the column order of form 06a.
GROUPS = (
    (_l("Dossiers received"), (("received_total", _l("Total")),
                               ("carried_over", _l("Carried over")),
                               ("received_new", _l("Newly received")),
                               ("received_online", _l("Online")),
                               ("received_direct", _l("At the counter")),
                               ("received_postal", _l("By post")))),
    (_l("Dossiers resolved"), (("resolved_total", _l("Total")), ("resolved_early", _l("Early")),
                      ("resolved_on_time", _l("On time")), ("resolved_late", _l("Late")))),
    (_l("Dossiers pending"), (("pending_total", _l("Total")), ("pending_in_time", _l("In time")),
                     ("pending_overdue", _l("Overdue")))),
)


def local_today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def period_from_args(args, today: dt.date) -> tuple[str, dt.date, dt.date]:
    """(preset, from, to) from the query string; raises ValueError with a readable message."""
    preset = args.get("preset") or "month"
    if preset not in PRESETS:
        raise ValueError(preset)
    if preset == "month":
        value = args.get("month") or f"{today:%Y-%m}"
        return preset, *reports.parse_month(value)
    if preset == "quarter":
        value = args.get("quarter") or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        return preset, *reports.parse_quarter(value)
    if preset == "year":
        return preset, *reports.parse_year(args.get("year") or str(today.year))
    if preset == "cutoff":
        start, _end = reports.parse_month(args.get("month") or f"{today:%Y-%m}")
        return preset, *reports.cutoff_period(start.year, start.month)
    start = reports.parse_date(args.get("from", ""))
    end = reports.parse_date(args.get("to", ""))
    if end < start:
        raise ValueError("to < from")
    return preset, start, end


class ReportView(SecureBaseView):
    read_roles = ("admin", "manager")

    def _period(self):
        today = local_today()
        try:
            return period_from_args(request.args, today)
        except ValueError:
            flash(_("The period is not valid; the current month is shown."), "error")
            return ("month", *reports.month_period(today.year, today.month))

    @expose("/")
    def index(self):
        preset, start, end = self._period()
        by_field = request.args.get("by_field") == "1"
        report = reports.build_report(db.session, start, end, by_field=by_field)
        t = report["totals"]
        shares = [(label, format_percent(t[num], t[den])) for label, num, den in (
            (_("Resolved / received"), "resolved_total", "received_total"),
            (_("Early / resolved"), "resolved_early", "resolved_total"),
            (_("On time / resolved"), "resolved_on_time", "resolved_total"),
            (_("Late / resolved"), "resolved_late", "resolved_total"),
            (_("Pending / received"), "pending_total", "received_total"),
            (_("Overdue / pending"), "pending_overdue", "pending_total"),
        )]
        args = {k: v for k, v in link_args(request.args).items() if k != "page"}
        today = local_today()
        return self.render(
            "admin/report.html", report=report, groups=GROUPS, shares=shares,
            preset=preset, start=start, end=end, by_field=by_field, args=args,
            month_value=request.args.get("month") or f"{start:%Y-%m}",
            quarter_value=request.args.get("quarter") or
            f"{start.year}-Q{(start.month - 1) // 3 + 1}",
            year_value=request.args.get("year") or str(start.year),
            quick=self._quick_links(today))

    @staticmethod
    def _quick_links(today: dt.date):
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        quarter = (today.month - 1) // 3 + 1
        return [
            (_("This month"), {"preset": "month", "month": f"{today:%Y-%m}"}),
            (_("Last month"), {"preset": "month", "month": f"{last_month:%Y-%m}"}),
            (_("Statutory period (15th to 14th)"), {"preset": "cutoff",
                                                     "month": f"{today:%Y-%m}"}),
            (_("This quarter"), {"preset": "quarter", "quarter": f"{today.year}-Q{quarter}"}),
            (_("This year"), {"preset": "year", "year": str(today.year)}),
            (_("Last year"), {"preset": "year", "year": str(today.year - 1)}),
        ]

    @expose("/xlsx")
    def xlsx(self):
        _preset, start, end = self._period()
        by_field = request.args.get("by_field") == "1"
        report = reports.build_report(db.session, start, end, by_field=by_field)
        details = reports.build_details(db.session, start, end)
        buffer = io.BytesIO()
        write_report_workbook(buffer, report, details, current_app.config.get(
            "REPORTING_UNIT_NAME", "Trung tâm Phục vụ hành chính công"))
        buffer.seek(0)
        return send_file(
            buffer, as_attachment=True, max_age=0,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            download_name=f"bao-cao-06a_{start:%Y%m%d}_{end:%Y%m%d}.xlsx")


def register(admin):
    admin.add_view(ReportView(name=_l("Reports"), endpoint="report", url="/report"))
