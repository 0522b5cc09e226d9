"""The queue screens (issue 15 point 3; rules in domain/queue.py):

- admin catalog screens: service groups, counters, ticket kiosks and hall displays;
- /queue/counter/ : the clerk's counter page (call next, recall, skip, transfer, served, link
  the dossier taken in);
- /queue/figures/ : waiting and serving times per group and counter for a period;
- the devices — starting a ticket kiosk or a hall display, the kiosk and the display
  themselves — are in views/queue_devices.py."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import Length

from domain import clock, periods, queue
from domain.service import RuleError
from models import QueueCounter, QueueDevice, ServiceGroup, db
from views import devices, labels, queue_devices
from views.base import (
    SecureBaseView,
    SecureForm,
    SecureModelView,
    own_agency_ids,
    parse_id,
    period_message,
)
from views.public_access import public_prefix
from views.service.common import rule_message

# ---- admin catalog screens ---------------------------------------------------------------------


class ServiceGroupView(SecureModelView):
    """The kiosk's buttons: a group's name, its letter, the agencies it serves."""

    read_roles = ("admin", "manager")
    column_labels = dict(labels.LABELS, prefix=_l("Letter"), agencies=_l("Agencies served"))
    column_list = ("prefix", "name", "agencies", "sort_order", "active")
    column_default_sort = ("sort_order", False)
    column_searchable_list = ()
    form_columns = ("name", "prefix", "agencies", "sort_order", "active")
    form_args = {
        "prefix": {
            "validators": [Length(min=1, max=3)],
            "description": _l("1 to 3 letters printed before the number (A-001)."),
        }
    }

    def on_model_change(self, form, model, is_created):
        model.prefix = (model.prefix or "").strip().upper()


class QueueCounterView(SecureModelView):
    """The hall's counters: the groups each calls and the clerk working there now."""

    read_roles = ("admin", "manager")
    column_labels = dict(
        labels.LABELS, number=_l("Counter"), groups=_l("Service groups"), clerk=_l("Clerk now")
    )
    column_list = ("number", "name", "groups", "clerk", "active")
    column_default_sort = ("number", False)
    column_searchable_list = ()
    form_columns = ("number", "name", "groups", "clerk", "active")


class QueueDeviceView(SecureModelView):
    """Ticket kiosks and hall displays: admins see them and end one (a stolen tablet, a TV
    moved); they are started from the device itself (/queue/start/)."""

    read_roles = ("admin",)
    create_roles = edit_roles = ()
    action_roles = ("admin",)
    column_labels = devices.COLUMN_LABELS
    column_list = ("kind", "name", "started_by", "started_at", "expires_at", "revoked_at")
    column_formatters = {"kind": lambda v, c, m, p: queue_devices.DEVICE_KINDS.get(m.kind, m.kind)}
    column_default_sort = ("started_at", True)
    column_searchable_list = ()
    utc_columns = ("started_at", "expires_at", "revoked_at")

    @action("revoke", _l("End"), _l("End the selected devices?"))
    def action_revoke(self, ids):
        flash(_("%(n)s devices ended.", n=devices.revoke_selected(QueueDevice, ids)), "success")


# ---- the clerk's counter page ----------------------------------------------------------------


class CounterForm(SecureForm):
    pass


def _check_page_is_current(counter, step: str, day: dt.date) -> None:
    """A step is meant for the ticket its page showed (the forms post it as "ticket"; empty: no
    one). Sent after that changed — a double click on "Call next", a second tab left open — it
    is refused: the citizen just called is never marked served or skipped unseen."""
    shown = request.form.get("ticket")
    if shown is None or step in ("take", "leave"):
        return
    current = queue.current_ticket(db.session, counter, day) if counter else None
    if shown != (str(current.id) if current else ""):
        raise RuleError("queue_page_stale")


def _ticket_step(step: str, counter, now: dt.datetime) -> None:
    """A step on the ticket being served at the counter."""
    ticket = queue.current_ticket(db.session, counter, now.date())
    if step == "recall":
        queue.recall(db.session, ticket, counter, now)
    elif step in ("served", "skipped"):
        queue.finish(db.session, ticket, counter, step, now)
    elif step == "transfer":
        kind, _sep, ident = request.form.get("target", "").partition(":")
        ident = parse_id(ident) or -1
        queue.transfer(
            db.session,
            ticket,
            counter,
            now,
            to_counter=db.session.get(QueueCounter, ident) if kind == "counter" else None,
            to_group=db.session.get(ServiceGroup, ident) if kind == "group" else None,
        )
    elif step == "link":
        queue.link_dossier(db.session, ticket, request.form.get("code", ""), own_agency_ids())
        flash(_("The dossier is linked to ticket %(number)s.", number=ticket.number), "success")
    else:
        abort(400)


class QueueCounterPage(SecureBaseView):
    """The clerk's own counter: one button per step; each POST is one transaction."""

    read_roles = ("staff",)

    def _page(self, counter, error=None, status=200):
        day = clock.today()
        current = queue.current_ticket(db.session, counter, day) if counter else None
        counters = db.session.scalars(
            select(QueueCounter).where(QueueCounter.active.is_(True)).order_by(QueueCounter.number)
        ).all()
        groups = db.session.scalars(
            select(ServiceGroup)
            .where(ServiceGroup.active.is_(True))
            .order_by(ServiceGroup.sort_order, ServiceGroup.prefix)
        ).all()
        waiting = {g["prefix"]: g["waiting"] for g in queue.group_status(db.session, day)}
        return self.render(
            "queue/counter.html",
            counter=counter,
            current=current,
            counters=counters,
            groups=groups,
            waiting=waiting,
            error=error,
            form=CounterForm(),
        ), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        user = current_user._get_current_object()
        if request.method == "GET":
            return self._page(queue.counter_of(db.session, user))
        form = CounterForm()
        if not form.validate_on_submit():
            abort(400)
        counter = queue.counter_of(db.session, user, lock=True)
        step = request.form.get("step", "")
        now = clock.now()
        try:
            _check_page_is_current(counter, step, now.date())
            if step == "take":
                chosen = db.session.get(QueueCounter, parse_id(request.form.get("counter")) or -1)
                queue.take_counter(db.session, chosen, user)
            elif counter is None:
                raise RuleError("queue_counter_inactive")
            elif step == "leave":
                counter.clerk_id = None
            elif step == "next":
                if queue.call_next(db.session, counter, user, now) is None:
                    flash(_("Nobody is waiting."), "info")
            else:
                _ticket_step(step, counter, now)
            db.session.commit()
        except RuleError as exc:
            db.session.rollback()
            return self._page(
                queue.counter_of(db.session, user), error=rule_message(exc), status=409
            )
        if step == "served":
            # The citizen rates the clerk on the rating kiosk (views/service/rating_kiosk.py).
            flash(_("Served. The citizen can rate you on the rating kiosk now."), "success")
        return redirect(url_for(".index"))


class QueueFiguresView(SecureBaseView):
    """Waiting and serving times per group and counter (domain/queue.figures)."""

    read_roles = ("admin", "manager")

    @expose("/")
    def index(self):
        try:
            period = periods.from_query(request.args, clock.today())
        except periods.PeriodError as exc:
            flash(period_message(exc), "error")
            period = periods.Period.for_month(clock.now().year, clock.now().month)
        return self.render(
            "queue/figures.html", figures=queue.figures(db.session, period), period=period
        )


def register(admin):
    category = _l("Queue")
    admin.add_view(
        QueueCounterPage(
            name=_l("My counter"),
            category=category,
            endpoint="queue_counter_page",
            url="/queue/counter",
        )
    )
    admin.add_view(
        ServiceGroupView(
            ServiceGroup, db, name=_l("Service groups"), category=category, endpoint="service_group"
        )
    )
    admin.add_view(
        QueueCounterView(
            QueueCounter, db, name=_l("Counters"), category=category, endpoint="queue_counter"
        )
    )
    admin.add_view(
        QueueFiguresView(
            name=_l("Waiting times"),
            category=category,
            endpoint="queue_figures",
            url="/queue/figures",
        )
    )
    admin.add_view(
        queue_devices.QueueStartView(
            name=_l("Start a kiosk or display"),
            category=category,
            endpoint="queue_start",
            url="/queue/start",
        )
    )
    admin.add_view(
        QueueDeviceView(
            QueueDevice,
            db,
            name=_l("Kiosks and displays"),
            category=category,
            endpoint="queue_device",
        )
    )
    public_prefix(admin.app, queue_devices.KIOSK_PATH)
    public_prefix(admin.app, queue_devices.DISPLAY_PATH)
    admin.app.register_blueprint(queue_devices.bp)
