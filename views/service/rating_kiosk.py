"""The rating kiosk facing the citizen, kiosk mode on a tablet (its blueprint) and the list of
tablets in kiosk mode."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField

from domain import clock, form_submissions, kiosk, ratings
from domain.service import RuleError
from models import Agency, Dossier, KioskDevice, User, db, utcnow
from transactions import commit_without_waiting
from views import devices, labels
from views.base import SecureBaseView, SecureForm, SecureModelView, own_agency_ids, parse_id
from views.service.common import RULE_MESSAGES, rule_message, user_object

KIOSK_COOKIE = "motcua_kiosk"


def _kiosk_periods() -> tuple[dt.timedelta, dt.timedelta]:
    """How long a kiosk credential lives after its last use, and at most after its start."""
    settings = current_app.settings
    return (
        dt.timedelta(hours=settings.kiosk_idle_hours),
        dt.timedelta(hours=settings.kiosk_max_hours),
    )


def kiosk_device():
    """The live kiosk device of this request's cookie, or None."""
    return kiosk.find(db.session, request.cookies.get(KIOSK_COOKIE), utcnow())


def _set_kiosk_cookie(response, token, expires_at):
    devices.set_cookie(response, KIOSK_COOKIE, "/kiosk/", token, expires_at)


def _officer_dossier_id(officer, value):
    """An optional dossier of the officer's own agencies: its id, None, or False (refused)."""
    if value in (None, ""):
        return None
    value = parse_id(value)
    if value is None:
        return False
    found = db.session.scalar(
        select(Dossier.id).where(
            Dossier.id == value, Dossier.agency_id.in_(officer.agency_ids or [-1])
        )
    )
    return found if found is not None else False


def _rate(officer, form):
    """Record the tap of the rating screen for `officer`: None, or (error message, status)."""
    # A forged officer id is refused: the kiosk only ever rates its own officer.
    forged = form.get("staff_id")
    if forged not in (None, "", str(officer.id)):
        return _("This kiosk can only rate the officer logged in."), 403
    dossier_id = _officer_dossier_id(officer, form.get("dossier_id"))
    if dossier_id is False:
        return str(RULE_MESSAGES["rating_dossier_refused"]), 400
    try:
        # A double tap rates once: the form's token is taken in the rating's transaction.
        form_submissions.claim(
            db.session, form_submissions.clean_token(form.get("form_token")), officer.id
        )
        ratings.record_rating(
            db.session, officer, form.get("level"), clock.now(), dossier_id=dossier_id
        )
        db.session.commit()
    except form_submissions.AlreadySubmitted:
        db.session.rollback()  # the citizen sees the same thanks; nothing is counted twice
    except RuleError as error:
        db.session.rollback()
        return rule_message(error), 400
    return None


class KioskStartForm(SecureForm):
    officer = SelectField(_l("Officer rated at this kiosk"), coerce=int)


def kiosk_officers():
    """Whom the user may start kiosk mode for (domain.kiosk.may_start): active counter staff;
    for a staff member, of their own agencies."""
    query = db.session.query(User).filter(User.role == "staff", User.active.is_(True))
    ids = own_agency_ids()
    if ids is not None:
        query = query.filter(or_(User.id == current_user.id, User.agencies.any(Agency.id.in_(ids))))
    return query.order_by(User.full_name).all()


class RatingKioskView(SecureBaseView):
    """The rating kiosk facing the citizen: the officer's name and three buttons.

    On the officer's own computer it rates the logged-in officer. On a tablet beside the
    counter, a staff member starts kiosk mode instead (/kiosk/start/): the tablet leaves the
    staff session and keeps a long-lived kiosk credential that shows only that officer's
    rating screen (/kiosk/device/, see `screen` below); ending it needs a staff login."""

    read_roles = ("staff", "admin")

    def inaccessible_callback(self, name, **kwargs):
        # A tablet in kiosk mode that opens /kiosk/ is shown its rating screen.
        if name == "index" and not current_user.is_authenticated and kiosk_device() is not None:
            return redirect(url_for("kiosk.screen"))
        return super().inaccessible_callback(name, **kwargs)

    def _page(self, dossier_id=None, thanks=False, error=None, status=200):
        return self.render(
            "admin/service/kiosk.html",
            levels=labels.RATING_LEVELS,
            officer=current_user,
            action_url=url_for(".index"),
            dossier_id=dossier_id,
            thanks=thanks,
            error=error,
        ), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if current_user.role != "staff":  # an admin is not rated: kiosk mode is theirs to start
            if request.method == "POST":
                abort(403)
            return redirect(url_for(".start_view"))
        if request.method == "GET":
            dossier_id = _officer_dossier_id(current_user, request.args.get("dossier_id"))
            return self._page(
                dossier_id=dossier_id or None, thanks=bool(request.args.get("thanks"))
            )
        refused = _rate(user_object(), request.form)
        if refused:
            return self._page(error=refused[0], status=refused[1])
        return redirect(url_for(".index", thanks=1))

    @expose("/start/", methods=("GET", "POST"))
    def start_view(self):
        officers = kiosk_officers()
        form = KioskStartForm()
        form.officer.choices = [
            (u.id, f"{u.full_name} ({u.counter_no})" if u.counter_no else u.full_name)
            for u in officers
        ]
        if request.method == "GET" and current_user.role == "staff":
            form.officer.data = current_user.id
        error = None
        if form.validate_on_submit():
            officer = db.session.get(User, form.officer.data)
            idle, max_life = _kiosk_periods()
            try:
                device, token = kiosk.start(
                    db.session, officer, user_object(), utcnow(), idle, max_life
                )
                user_object().close_session()  # the staff login on the tablet ends with it
                db.session.commit()
            except RuleError as exc:
                db.session.rollback()
                error = rule_message(exc)
            else:
                devices.leave_staff_session()
                response = redirect(url_for("kiosk.screen"))
                _set_kiosk_cookie(response, token, device.expires_at)
                return response
        elif request.method == "POST":
            error = str(RULE_MESSAGES["kiosk_officer_refused"])
        return self.render(
            "admin/service/kiosk_start.html",
            form=form,
            error=error,
            idle_hours=_kiosk_periods()[0].total_seconds() // 3600,
        ), (400 if error else 200)

    @expose("/end/", methods=("GET", "POST"))
    def end_view(self):
        device = kiosk_device()
        if request.method == "POST":
            if device is not None:
                kiosk.revoke(device, user_object(), utcnow())
                db.session.commit()
                flash(_("Kiosk mode has ended on this device."), "success")
            response = redirect(url_for("admin.index"))
            response.delete_cookie(KIOSK_COOKIE, path="/kiosk/")
            return response
        return self.render("admin/service/kiosk_end.html", device=device)


class KioskDeviceView(SecureModelView):
    """Tablets in kiosk mode: admins see them and end one from here (a lost tablet, an officer
    who left); nothing is created or edited here."""

    read_roles = ("admin",)
    create_roles = edit_roles = ()
    action_roles = ("admin",)
    column_labels = dict(devices.COLUMN_LABELS, officer=_l("Officer"), revoked_by=_l("Ended by"))
    column_list = ("officer", "started_by", "started_at", "expires_at", "revoked_at", "revoked_by")
    column_details_list = column_list
    column_sortable_list = ("started_at", "expires_at", "revoked_at")
    column_default_sort = ("started_at", True)
    column_searchable_list = ("officer.search_text",)
    column_filters = ("started_at", "expires_at", "revoked_at")
    utc_columns = ("started_at", "expires_at", "revoked_at")
    simple_list_pager = True

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                joinedload(KioskDevice.officer),
                joinedload(KioskDevice.started_by),
                joinedload(KioskDevice.revoked_by),
            )
        )

    @action("revoke", _l("End kiosk mode"), _l("End kiosk mode on the selected tablets?"))
    def action_revoke(self, ids):
        ended = devices.revoke_selected(KioskDevice, ids)
        flash(_("Kiosk mode has ended on %(n)s tablets.", n=ended), "success")


kiosk_bp = Blueprint("kiosk", __name__)


@kiosk_bp.url_value_preprocessor
def _kiosk_csrf_secret(endpoint, values):
    token = request.cookies.get(KIOSK_COOKIE)
    if token:
        devices.use_csrf_secret_of(token)


def _screen(device, error=None, status=200, thanks=False):
    return render_template(
        "admin/service/kiosk.html",
        levels=labels.RATING_LEVELS,
        officer=device.officer,
        action_url=url_for("kiosk.screen"),
        kiosk_mode=True,
        thanks=thanks,
        error=error,
    ), status


@kiosk_bp.route("/kiosk/device/", methods=("GET", "POST"))
def screen():
    """The rating screen of a tablet in kiosk mode: its officer's name and three buttons,
    nothing else. Its credential is the kiosk cookie, not a login: neither the idle timeout
    nor any other page applies to it."""
    device = kiosk_device()
    if device is None:
        return render_template("admin/service/kiosk_off.html"), 403
    db.session.info["actor"] = (device.officer_id, request.remote_addr)  # audit: the officer
    idle, max_life = _kiosk_periods()
    renewed = kiosk.renew(device, utcnow(), idle, max_life)
    if renewed:  # a screen shown (GET) does not wait for SQLite's write lock: renewed next time
        renewed = commit_without_waiting(db.session)
    if request.method == "POST":
        refused = _rate(device.officer, request.form)
        response = make_response(
            _screen(device, *refused) if refused else redirect(url_for(".screen", thanks=1))
        )
    else:
        response = make_response(_screen(device, thanks=bool(request.args.get("thanks"))))
    if renewed:
        _set_kiosk_cookie(response, request.cookies[KIOSK_COOKIE], device.expires_at)
    return devices.no_store(response)


@kiosk_bp.errorhandler(CSRFError)
def _kiosk_csrf_error(error):
    # A page from before a new secret key, or a post from elsewhere: nothing is recorded; the
    # tablet shows its screen again (with a valid form) instead of an error page.
    device = kiosk_device()
    if device is None:
        return render_template("admin/service/kiosk_off.html"), 400
    return _screen(
        device, error=_("The page was out of date: please tap your choice again."), status=400
    )
