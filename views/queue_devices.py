"""The queue's devices (issue 15 point 3; rules in domain/queue.py; what devices share in
views/devices.py):

- /queue/start/ : an admin or staff member turns this browser into a ticket kiosk or a hall
  display. As the rating kiosk (views/service/rating_kiosk.py), the staff login on it ends and
  the device keeps a long-lived random token in a cookie, only its SHA-256 stored;
- /lay-so/ : the ticket kiosk (touch screen; prints an 80 mm ticket), /man-hinh/ : the hall
  display (polls /man-hinh/data.json). Both are public paths (views/public_access.py): the staff
  session cookie is neither read nor written there; their credential is the device cookie."""

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
    url_for,
)
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Length

from domain import clock, form_submissions, queue
from domain import kiosk as kiosk_tokens
from domain.service import RuleError
from models import QueueTicket, ServiceGroup, db, utcnow
from views import devices
from views.auth import limiter
from views.base import SecureBaseView, SecureForm, parse_id
from views.service.common import rule_message

KIOSK_PATH = "/lay-so"
DISPLAY_PATH = "/man-hinh"
COOKIES = {
    "ticket": ("motcua_ticket_kiosk", KIOSK_PATH + "/"),
    "display": ("motcua_hall_display", DISPLAY_PATH + "/"),
}
DEVICE_KINDS = {"ticket": _l("Ticket kiosk"), "display": _l("Hall display")}


# ---- starting a device -----------------------------------------------------------------------


class DeviceStartForm(SecureForm):
    kind = SelectField(_l("This device becomes"), choices=[])
    name = StringField(_l("Name (where it stands)"), validators=[Length(max=100)])


def _device_life() -> dt.timedelta:
    return dt.timedelta(days=current_app.settings.queue_device_days)


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
                flash(rule_message(exc), "error")
            else:
                devices.leave_staff_session()
                response = redirect(
                    url_for(
                        "queue_public.kiosk" if device.kind == "ticket" else "queue_public.display"
                    )
                )
                devices.set_cookie(response, *COOKIES[device.kind], token, device.expires_at)
                return response
        return self.render("queue/start.html", form=form)


# ---- the public devices: ticket kiosk and hall display ---------------------------------------

bp = Blueprint("queue_public", __name__)


def _device(kind: str):
    return queue.find_device(db.session, request.cookies.get(COOKIES[kind][0]), kind, utcnow())


def _off(status=403):
    """The page of a browser that is not (or no longer) a device of this kind."""
    return make_response(render_template("queue/off.html"), status)


@bp.url_value_preprocessor
def _device_csrf_secret(endpoint, values):
    token = request.cookies.get(COOKIES["ticket"][0])
    if token and request.path.startswith(KIOSK_PATH + "/"):
        devices.use_csrf_secret_of(token)


def _tickets_per_minute() -> str:
    return f"{current_app.settings.queue_tickets_per_minute} per minute"


def _kiosk_key() -> str:
    # Per kiosk (its token), not per address: several kiosks may share the hall's address.
    return "queue-kiosk:" + kiosk_tokens.hash_token(request.cookies.get(COOKIES["ticket"][0]) or "")


def _kiosk_page(error=None, status=200):
    day = clock.today()
    return devices.no_store(
        make_response(
            render_template(
                "queue/kiosk.html",
                groups=queue.group_status(db.session, day),
                ids={g.prefix: g.id for g in db.session.scalars(select(ServiceGroup))},
                error=error,
            ),
            status,
        )
    )


def _too_many(limit):
    if _device("ticket") is None:
        return _off()
    response = _kiosk_page(
        error=_("Too many tickets in a minute: please wait a moment."), status=429
    )
    response.headers["Retry-After"] = "60"
    return response


@bp.route(KIOSK_PATH + "/", methods=("GET", "POST"))
@limiter.limit(_tickets_per_minute, key_func=_kiosk_key, methods=["POST"], on_breach=_too_many)
def kiosk():
    if _device("ticket") is None:
        return _off()
    if request.method == "GET":
        return _kiosk_page()
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
        return _kiosk_page(error=rule_message(exc), status=400)
    return redirect(target)


@bp.route(KIOSK_PATH + "/ve/<int:ticket_id>")
def ticket(ticket_id):
    """The 80 mm ticket: printed by the browser's print dialog, then back to the buttons."""
    if _device("ticket") is None:
        return _off()
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
    return devices.no_store(
        make_response(render_template("queue/ticket.html", ticket=ticket, ahead=ahead))
    )


@bp.route(DISPLAY_PATH + "/")
def display():
    if _device("display") is None:
        return _off()
    return devices.no_store(make_response(render_template("queue/display.html")))


@bp.route(DISPLAY_PATH + "/data.json")
def display_data():
    if _device("display") is None:
        return jsonify(error="device"), 403
    return devices.no_store(jsonify(queue.board(db.session, clock.today())))


@bp.errorhandler(CSRFError)
def _csrf_error(error):
    if _device("ticket") is None:
        return _off(400)
    return _kiosk_page(
        error=_("The page was out of date: please tap your choice again."), status=400
    )
