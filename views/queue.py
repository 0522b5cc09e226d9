"""The queue screens (issue 15 point 3; rules in domain/queue.py):

- admin catalog screens: service groups, counters, ticket kiosks and hall displays;
- /queue/counter/ : the clerk's counter page (call next, recall, skip, transfer, served, link
  the dossier taken in);
- /queue/start/ : an admin or staff member turns this browser into a ticket kiosk or a hall
  display. As the rating kiosk (views/service/rating_kiosk.py), the staff login on it ends and
  the device keeps a long-lived random token in a cookie, only its SHA-256 stored;
- /lay-so/ : the ticket kiosk (touch screen; prints an 80 mm ticket), /man-hinh/ : the hall
  display (polls /man-hinh/data.json). Both are public paths (views/public_access.py): the staff
  session cookie is neither read nor written there; their credential is the device cookie;
- /queue/figures/ : waiting and serving times per group and counter for a period."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Length

from domain import clock, form_submissions, periods, queue
from domain import kiosk as kiosk_tokens
from domain.service import RuleError
from models import QueueCounter, QueueDevice, QueueTicket, ServiceGroup, db, utcnow
from views import labels
from views.auth import limiter
from views.base import (
    SecureBaseView,
    SecureForm,
    SecureModelView,
    own_agency_ids,
    parse_id,
    period_message,
    selected_rows,
)
from views.public_access import public_prefix

KIOSK_PATH = "/lay-so"
DISPLAY_PATH = "/man-hinh"
COOKIES = {
    "ticket": ("motcua_ticket_kiosk", KIOSK_PATH + "/"),
    "display": ("motcua_hall_display", DISPLAY_PATH + "/"),
}

MESSAGES = {
    "queue_group_inactive": _l("This service group no longer gives tickets."),
    "queue_counter_inactive": _l("This counter is closed."),
    "queue_counter_taken": _l("Another clerk works at this counter."),
    "queue_ticket_not_here": _l("This ticket is not being served at your counter."),
    "queue_transfer_refused": _l("Choose another open counter or an active service group."),
    "queue_dossier_unknown": _l("No dossier of your agencies has this code."),
    "queue_busy": _l("The queue is busy: try again."),
    "queue_page_stale": _l(
        "The page was out of date: the current ticket has changed. Check it and try again."
    ),
    "queue_device_refused": _l("Only staff and admins start a ticket kiosk or a hall display."),
}

DEVICE_KINDS = {"ticket": _l("Ticket kiosk"), "display": _l("Hall display")}
STATUSES = {
    "waiting": _l("Waiting"),
    "called": _l("Called"),
    "served": _l("Served"),
    "skipped": _l("Did not come"),
}


def _message(error: RuleError) -> str:
    return str(MESSAGES.get(error.key, error.key))


# ---- admin catalog screens ---------------------------------------------------------------------


class ServiceGroupView(SecureModelView):
    """The kiosk's buttons: a group's name, its letter, the agencies it serves."""

    read_roles = ("admin", "manager")
    column_labels = dict(
        labels.LABELS,
        name=_l("Name"),
        prefix=_l("Letter"),
        agencies=_l("Agencies served"),
        sort_order=_l("Order"),
        active=_l("Active"),
    )
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
        labels.LABELS,
        number=_l("Counter"),
        name=_l("Name"),
        groups=_l("Service groups"),
        clerk=_l("Clerk now"),
        active=_l("Active"),
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
    column_labels = dict(
        labels.LABELS,
        kind=_l("Kind"),
        name=_l("Name"),
        started_by=_l("Started by"),
        started_at=_l("Started at"),
        expires_at=_l("Expires at"),
        revoked_at=_l("Ended at"),
    )
    column_list = ("kind", "name", "started_by", "started_at", "expires_at", "revoked_at")
    column_formatters = {"kind": lambda v, c, m, p: DEVICE_KINDS.get(m.kind, m.kind)}
    column_default_sort = ("started_at", True)
    column_searchable_list = ()
    utc_columns = ("started_at", "expires_at", "revoked_at")

    @action("revoke", _l("End"), _l("End the selected devices?"))
    def action_revoke(self, ids):
        now = utcnow()
        devices = selected_rows(QueueDevice, ids)
        for device in devices:
            kiosk_tokens.revoke(device, current_user._get_current_object(), now)
        db.session.commit()
        flash(_("%(n)s devices ended.", n=len(devices)), "success")


# ---- starting a device -----------------------------------------------------------------------


class DeviceStartForm(SecureForm):
    kind = SelectField(_l("This device becomes"), choices=[])
    name = StringField(_l("Name (where it stands)"), validators=[Length(max=100)])


def _device_life() -> dt.timedelta:
    return dt.timedelta(days=current_app.settings.queue_device_days)


def _set_device_cookie(response, kind, token, expires_at):
    name, path = COOKIES[kind]
    response.set_cookie(
        name,
        token,
        expires=expires_at.replace(tzinfo=dt.UTC),
        path=path,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


class QueueStartView(SecureBaseView):
    read_roles = ("admin", "staff")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = DeviceStartForm()
        form.kind.choices = [(k, str(v)) for k, v in DEVICE_KINDS.items()]
        if form.validate_on_submit():
            user = current_user._get_current_object()
            try:
                device, token = queue.start_device(
                    db.session, form.kind.data, form.name.data, user, utcnow(), _device_life()
                )
                user.close_session()  # the staff login on this device ends with it
                db.session.commit()
            except RuleError as exc:
                db.session.rollback()
                flash(_message(exc), "error")
            else:
                logout_user()
                session.clear()
                target = url_for(
                    "queue_public.kiosk" if device.kind == "ticket" else "queue_public.display"
                )
                response = redirect(target)
                _set_device_cookie(response, device.kind, token, device.expires_at)
                return response
        return self.render("queue/start.html", form=form)


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
        counter = queue.counter_of(db.session, user)
        if request.method == "GET":
            return self._page(counter)
        form = CounterForm()
        if not form.validate_on_submit():
            abort(400)
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
                ticket = queue.current_ticket(db.session, counter, now.date())
                if step == "recall":
                    queue.recall(db.session, ticket, counter, now)
                elif step in ("served", "skipped"):
                    queue.finish(db.session, ticket, counter, step, now)
                elif step == "transfer":
                    target = request.form.get("target", "")
                    kind, _sep, ident = target.partition(":")
                    ident = parse_id(ident) or -1
                    queue.transfer(
                        db.session,
                        ticket,
                        counter,
                        now,
                        to_counter=db.session.get(QueueCounter, ident)
                        if kind == "counter"
                        else None,
                        to_group=db.session.get(ServiceGroup, ident) if kind == "group" else None,
                    )
                elif step == "link":
                    queue.link_dossier(
                        db.session, ticket, request.form.get("code", ""), own_agency_ids()
                    )
                    flash(
                        _("The dossier is linked to ticket %(number)s.", number=ticket.number),
                        "success",
                    )
                else:
                    abort(400)
            db.session.commit()
        except RuleError as exc:
            db.session.rollback()
            return self._page(queue.counter_of(db.session, user), error=_message(exc), status=409)
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


# ---- the public devices: ticket kiosk and hall display ---------------------------------------

bp = Blueprint("queue_public", __name__)


def _device(kind: str):
    return queue.find_device(db.session, request.cookies.get(COOKIES[kind][0]), kind, utcnow())


@bp.url_value_preprocessor
def _device_csrf_secret(endpoint, values):
    """The kiosk has no session: its CSRF secret comes from its device token (as the rating
    kiosk's), set before CSRFProtect's check."""
    token = request.cookies.get(COOKIES["ticket"][0])
    if token and request.path.startswith(KIOSK_PATH + "/"):
        session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = (
            kiosk_tokens.csrf_secret(current_app.config["SECRET_KEY"], token)
        )


def _tickets_per_minute() -> str:
    return f"{current_app.settings.queue_tickets_per_minute} per minute"


def _kiosk_key() -> str:
    # Per kiosk (its token), not per address: several kiosks may share the hall's address.
    return "queue-kiosk:" + kiosk_tokens.hash_token(request.cookies.get(COOKIES["ticket"][0]) or "")


def _kiosk_page(device, error=None, status=200):
    day = clock.today()
    response = make_response(
        render_template(
            "queue/kiosk.html",
            groups=queue.group_status(db.session, day),
            ids={g.prefix: g.id for g in db.session.scalars(select(ServiceGroup))},
            error=error,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_many(limit):
    device = _device("ticket")
    if device is None:
        return make_response(render_template("queue/off.html"), 403)
    response = _kiosk_page(
        device, error=_("Too many tickets in a minute: please wait a moment."), status=429
    )
    response.headers["Retry-After"] = "60"
    return response


@bp.route(KIOSK_PATH + "/", methods=("GET", "POST"))
@limiter.limit(_tickets_per_minute, key_func=_kiosk_key, methods=["POST"], on_breach=_too_many)
def kiosk():
    device = _device("ticket")
    if device is None:
        return make_response(render_template("queue/off.html"), 403)
    if request.method == "GET":
        return _kiosk_page(device)
    group = db.session.get(ServiceGroup, parse_id(request.form.get("group")) or -1)
    token = form_submissions.clean_token(request.form.get("form_token"))
    try:
        # A double tap prints one ticket: the page's token is taken in the ticket's transaction.
        form_submissions.claim(db.session, token)
        ticket = queue.issue_ticket(db.session, group, clock.now())
        target = url_for(".ticket", ticket_id=ticket.id)
        form_submissions.record_result(db.session, token, target)
        db.session.commit()
    except form_submissions.AlreadySubmitted as exc:
        db.session.rollback()  # the first tap's ticket, shown (and printed) again
        return redirect(exc.result_url or url_for(".kiosk"))
    except RuleError as exc:
        db.session.rollback()
        return _kiosk_page(device, error=_message(exc), status=400)
    return redirect(target)


@bp.route(KIOSK_PATH + "/ve/<int:ticket_id>")
def ticket(ticket_id):
    """The 80 mm ticket: printed by the browser's print dialog, then back to the buttons."""
    if _device("ticket") is None:
        return make_response(render_template("queue/off.html"), 403)
    ticket_id = parse_id(ticket_id)  # ≥ 2³¹ reached PostgreSQL's INTEGER column: a 500
    ticket = db.session.get(QueueTicket, ticket_id) if ticket_id else None
    if ticket is None or ticket.day != clock.today():
        abort(404)
    ahead = db.session.scalar(
        select(db.func.count())
        .select_from(QueueTicket)
        .where(
            QueueTicket.group_id == ticket.group_id,
            QueueTicket.day == ticket.day,
            QueueTicket.status == "waiting",
            QueueTicket.id < ticket.id,
        )
    )
    response = make_response(render_template("queue/ticket.html", ticket=ticket, ahead=ahead))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(DISPLAY_PATH + "/")
def display():
    if _device("display") is None:
        return make_response(render_template("queue/off.html"), 403)
    response = make_response(render_template("queue/display.html"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(DISPLAY_PATH + "/data.json")
def display_data():
    if _device("display") is None:
        return jsonify(error="device"), 403
    response = jsonify(queue.board(db.session, clock.today()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _csrf_error(error):
    device = _device("ticket")
    if device is None:
        return make_response(render_template("queue/off.html"), 400)
    return _kiosk_page(
        device, error=_("The page was out of date: please tap your choice again."), status=400
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
        QueueStartView(
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
    public_prefix(admin.app, KIOSK_PATH)
    public_prefix(admin.app, DISPLAY_PATH)
    admin.app.register_blueprint(bp)
