"""The home page every logged-in user lands on: the dashboard. Managers and admins see the whole
centre; counter staff see the same figures for their own agencies."""

from __future__ import annotations

import datetime as dt
import re
import time

from flask import current_app, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from domain import calendar_checklist, clock, dashboard, month_figures, periods
from domain.formatting import format_number, format_percent, format_vnd
from domain.svg_charts import bar_chart, hbar_chart
from models import CHANNELS, Dossier, db
from replica import reports_session
from transactions import write_aside
from views import labels
from views.base import ALL_ROLES, RoleRequiredMixin
from views.page_parts import by_role
from views.reports import FIRST_YEAR


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{month}/{year}"


def _short_vnd(value: float) -> str:
    if value >= 1_000_000_000:
        return f"{format_number(value / 1_000_000_000, 1)} tỷ"
    if value >= 1_000_000:
        return f"{format_number(value / 1_000_000, 1)} tr"
    return format_number(value)


def _charts(d: dict) -> dict:
    """The page's three charts of the dashboard's figures, as inline SVG."""
    months = [_month_label(k) for k, _ in d["received_by_month"]]
    received_chart = Markup(
        bar_chart(
            months,
            [
                (str(labels.CHANNELS[c]), [v[c] for _, v in d["received_by_month"]])
                for c in CHANNELS
            ],
            title=_("Dossiers received per month, by channel"),
        )
    )
    fees_chart = Markup(
        bar_chart(
            months,
            [(_("Fees and charges"), [v for _, v in d["fees_by_month"]])],
            title=_("Fees and charges collected per month"),
            value_format=_short_vnd,
        )
    )
    on_time_chart = Markup(
        hbar_chart(
            [
                (name, pct, f"{format_number(pct, 2)}%")
                for name, _, _, pct in d["on_time_by_agency"]
            ],
            title=_("Early or on time, per agency"),
            alert_below=100.0,
        )
    )
    return {
        "received_chart": received_chart,
        "fees_chart": fees_chart,
        "on_time_chart": on_time_chart,
    }


def _tiles(d: dict) -> list:
    """The figure tiles at the top of the page: (label, value, element id)."""
    received_total = sum(sum(v.values()) for _, v in d["received_by_month"])
    resolved = sum(r[1] for r in d["on_time_by_agency"])
    in_time = sum(r[2] for r in d["on_time_by_agency"])
    s = d["satisfaction"]
    now = d["open_now"]
    tiles = [
        (_("Received (12 months)"), format_number(received_total), "tile-received"),
        (_("Resolved early or on time"), format_percent(in_time, resolved), "tile-on-time"),
        (_("Open now"), format_number(now["open"]), "tile-open"),
        (_("Overdue now"), format_number(now["overdue"]), "tile-overdue"),
        (_("Paused (supplement, payment)"), format_number(now["paused"]), "tile-paused"),
        (
            _("Satisfied or very satisfied"),
            format_percent(
                s["ratings"]["very_satisfied"] + s["ratings"]["satisfied"], s["ratings_total"]
            ),
            "tile-satisfied",
        ),
        (
            _("Fees and charges (12 months)"),
            format_vnd(sum(v for _, v in d["fees_by_month"])),
            "tile-fees",
        ),
    ]
    return tiles


class HomeView(RoleRequiredMixin, AdminIndexView):
    read_roles = ALL_ROLES

    @by_role
    def is_visible(self):
        return False

    def _scope(self):
        """None for everything (admin, manager); the staff's agency ids otherwise."""
        if current_user.role == "staff":
            return tuple(sorted(current_user.agency_ids))
        return None

    def _window_end(self, today: dt.date) -> dt.date:
        """The last day of the twelve months shown: ?month=3&year=2019 (the page's two menus)
        or ?until=2019-03, or today — or, when nothing was accepted in the last year (an
        archive, the demo data), the last acceptance day."""
        until = request.args.get("until", "")
        month, year = request.args.get("month", ""), request.args.get("year", "")
        if not until and re.fullmatch(r"[0-9]{1,2}", month) and re.fullmatch(r"[0-9]{4}", year):
            until = f"{year}-{month}"
        if until:
            try:
                end = min(periods.parse_month(until).end, today)
                periods.last_months(end, 12)  # the window's first month must exist too
                return end
            except periods.PeriodError:
                pass
        last = reports_session().scalar(select(func.max(Dossier.accepted_at)))
        if last is not None and last.date() < periods.last_months(today, 12).start:
            return last.date()
        return today

    def _figures(self, scope, end: dt.date, today: dt.date) -> dict:
        """The dashboard, cached for a minute per app, scope and window (1,000,000 dossiers)."""
        ttl = current_app.settings.dashboard_cache_seconds
        cache = current_app.extensions.setdefault("motcua_dashboard", {})
        key = (scope, end, today)
        hit = cache.get(key)
        if hit and time.monotonic() - hit[0] < ttl:
            return hit[1]
        # "Now" figures are about today, whatever window the charts show. Whole months counted
        # from the dossiers are kept in the main database for the next view (even when read
        # from a replica: kept only if no change came meanwhile).
        figures = dashboard.dashboard(
            reports_session(),
            end,
            scope,
            now=today,
            keep=lambda pending: write_aside(
                db.session.session_factory, lambda session: month_figures.keep(session, pending)
            ),
        )
        if len(cache) > 64:
            cache.clear()
        cache[key] = (time.monotonic(), figures)
        return figures

    @expose("/")
    def index(self):
        today = clock.today()
        scope = self._scope()
        end = self._window_end(today)
        d = self._figures(scope, end, today)
        # An administrator is reminded from 1 November to check next year's days off and swaps.
        calendar_year = (
            calendar_checklist.unreviewed_next_year(db.session, today)
            if current_user.role == "admin"
            else None
        )
        details = (
            "dossier.details_view" if "dossier.details_view" in current_app.view_functions else None
        )
        return self.render(
            "admin/home.html",
            tiles=_tiles(d),
            d=d,
            **_charts(d),
            scope=scope,
            window=(d["first"], end),
            details_endpoint=details,
            statuses=labels.DOSSIER_STATUSES,
            reports_url=url_for("report.index") if current_user.role != "staff" else None,
            end=end,
            months=[(m, _("Month %(n)s", n=m)) for m in range(1, 13)],
            years=range(today.year, min(FIRST_YEAR, end.year) - 1, -1),
            calendar_year=calendar_year,
        )
