"""Every screen, every role: anonymous users are sent to the login page; each role gets the page
or 403 exactly as design §1 says. The table below is the specification; a view missing from it
fails the completeness test."""

import datetime as dt

import pytest
from flask_admin.contrib.sqla import ModelView

from domain.evaluation import ensure_indicators
from domain.lifecycle import accept_dossier
from models import (
    Agency,
    AuditLog,
    CalendarDay,
    CourierRun,
    Dossier,
    EvaluationIndicator,
    Field,
    KioskDevice,
    Notice,
    NoticeTemplate,
    Procedure,
    QueueCounter,
    QueueDevice,
    ServiceGroup,
    User,
    db,
)
from tests.factories import service_records

A, S, M = "admin", "staff", "manager"
EVERYONE = {A, S, M}

# view endpoint -> operation -> roles allowed
ACCESS = {
    "agency": {"list": EVERYONE, "details": EVERYONE, "create": {A}, "edit": {A}, "delete": set()},
    "field": {"list": EVERYONE, "details": EVERYONE, "create": {A}, "edit": {A}, "delete": set()},
    "procedure": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A},
        "edit": {A},
        "delete": set(),
    },
    "user": {"list": {A}, "details": {A}, "create": {A}, "edit": {A}, "delete": set()},
    "calendar_day": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A},
        "edit": {A},
        "delete": {A},
    },
    "audit_log": {
        "list": {A, M},
        "details": {A, M},
        "create": set(),
        "edit": set(),
        "delete": set(),
    },
    "dossier": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A, S},
        "edit": {A, S},
        "delete": set(),
    },
    "dossier_due": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": set(),
        "edit": set(),
        "delete": set(),
    },
    # services (issue 4): money and ratings are never edited or deleted, only cancelled
    "payment": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A, S},
        "edit": set(),
        "delete": set(),
    },
    "staff_rating": {
        "list": {A, M},
        "details": {A, M},
        "create": set(),
        "edit": set(),
        "delete": set(),
    },
    "evaluation_form": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A, S},
        "edit": set(),
        "delete": set(),
    },
    "evaluation_indicator": {
        "list": {A, M},
        "details": {A, M},
        "create": {A},
        "edit": {A},
        "delete": set(),
    },
    "feedback": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A, S},
        "edit": {A, S},
        "delete": set(),
    },
    "postal": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": set(),
        "edit": set(),
        "delete": set(),
    },
    "courier_run": {
        "list": EVERYONE,
        "details": EVERYONE,
        "create": {A, S},
        "edit": {A, S},
        "delete": set(),
    },
    # tablets in kiosk mode (issue 10): admins see them and end them
    "kiosk_device": {"list": {A}, "details": {A}, "create": set(), "edit": set(), "delete": set()},
    # the queue (issue 15): admins keep the catalog of groups and counters; kiosks and
    # displays are started on the device itself and only ended from the list
    "service_group": {
        "list": {A, M},
        "details": {A, M},
        "create": {A},
        "edit": {A},
        "delete": set(),
    },
    "queue_counter": {
        "list": {A, M},
        "details": {A, M},
        "create": {A},
        "edit": {A},
        "delete": set(),
    },
    "queue_device": {"list": {A}, "details": {A}, "create": set(), "edit": set(), "delete": set()},
    # notices to applicants (issue 15): their addresses and the texts, admins only
    "outbox": {"list": {A}, "details": {A}, "create": set(), "edit": set(), "delete": set()},
    "notice_template": {"list": {A}, "details": {A}, "create": set(), "edit": {A}, "delete": set()},
}


def _sample_ids(app):
    """A row of each model so that details/edit pages have something to show."""
    with app.app_context():
        agency = db.session.query(Agency).first()
        field = Field(code="F1", name="Đường bộ", agency=agency)
        proc = Procedure(code="1.000001", name="Thủ tục mẫu", agency=agency, processing_days=3)
        day = CalendarDay(date=__import__("datetime").date(2019, 12, 31), is_working_day=False)
        db.session.add_all([field, proc, day])
        db.session.commit()

        dossier = Dossier(procedure=proc, applicant_name="Nguyễn Văn A", channel="postal")
        accept_dossier(
            db.session,
            dossier,
            None,
            __import__("datetime").datetime(2019, 3, 4, 9),
            "000.00.20.H37",
        )
        db.session.commit()
        ids = {
            "dossier": dossier.id,
            "dossier_due": dossier.id,
            "agency": agency.id,
            "field": field.id,
            "procedure": proc.id,
            "user": db.session.query(User).first().id,
            "calendar_day": day.id,
            "audit_log": db.session.query(AuditLog).first().id,
        }
        ids.update(_service_sample_ids(agency, dossier))
        return ids


def _service_sample_ids(agency, dossier):
    """One row per service screen (issue 4), in the staff's agency."""

    staff = db.session.query(User).filter_by(role="staff").first()
    at = dt.datetime(2019, 3, 4, 9, 0)
    rows = {
        **service_records(agency, dossier, staff, at),
        "courier_run": CourierRun(
            run_date=at.date(), slot="10:30", direction="to_agency", agency=agency
        ),
        "kiosk_device": KioskDevice(
            token_hash="0" * 64, officer=staff, started_by=staff, started_at=at, expires_at=at
        ),
        "service_group": ServiceGroup(name="Một cửa", prefix="A"),
        "queue_counter": QueueCounter(number="1"),
        "queue_device": QueueDevice(
            kind="ticket", token_hash="1" * 64, started_by=staff, started_at=at, expires_at=at
        ),
        "outbox": Notice(
            event="accepted",
            channel="email",
            recipient="a@example.vn",
            dossier=dossier,
            context={"code": dossier.code},
            status="queued",
            attempts=0,
            created_at=at,
            next_attempt_at=at,
        ),
    }
    # The migration seeds the default texts (one per event and channel); emptied tables have none.
    rows["notice_template"] = db.session.query(NoticeTemplate).first() or NoticeTemplate(
        event="accepted", channel="sms", subject="", body="{{ code }}"
    )
    db.session.add_all([dossier, *rows.values()])
    db.session.commit()

    ensure_indicators(db.session)
    db.session.commit()
    ids = {name: row.id for name, row in rows.items()}
    ids["evaluation_indicator"] = db.session.query(EvaluationIndicator).first().id
    ids["postal"] = dossier.id
    return ids


def _request(client, endpoint, operation, row_id):
    if operation == "list":
        return client.get(f"/{endpoint}/")
    if operation == "details":
        return client.get(f"/{endpoint}/details/?id={row_id}")
    if operation == "create":
        return client.get(f"/{endpoint}/new/")
    if operation == "edit":
        return client.get(f"/{endpoint}/edit/?id={row_id}")
    if operation == "delete":
        return client.post(f"/{endpoint}/delete/", data={"id": row_id})
    raise AssertionError(operation)


def test_every_admin_view_is_specified(app):

    admin = app.extensions["admin"][0]
    endpoints = {v.endpoint for v in admin._views if isinstance(v, ModelView)}
    assert endpoints <= set(ACCESS), (
        f"views without an access specification: {endpoints - set(ACCESS)}"
    )


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_anonymous_is_sent_to_login(client, users, endpoint):
    for operation in ("list", "details", "create", "edit"):
        response = _request(client, endpoint, operation, 1)
        assert response.status_code == 302, (endpoint, operation)
        assert "/login" in response.location


@pytest.mark.parametrize("role", [A, S, M])
def test_roles(app, client, login_as, role):
    ids = _sample_ids(app)
    login_as(role)
    for endpoint, spec in ACCESS.items():
        for operation, allowed in spec.items():
            response = _request(client, endpoint, operation, ids[endpoint])
            if role in allowed:
                assert response.status_code in (200, 302), (endpoint, operation, role)
                if response.status_code == 302:
                    assert "/login" not in response.location
            else:
                assert response.status_code == 403, (
                    endpoint,
                    operation,
                    role,
                    response.status_code,
                )


@pytest.mark.parametrize("role", [S, M])
def test_actions_and_ajax_refused_to_readers(app, client, login_as, role):
    ids = _sample_ids(app)
    login_as(role)
    response = client.post(
        "/procedure/action/", data={"action": "delete", "rowid": [ids["procedure"]]}
    )
    assert response.status_code == 403
    assert client.get("/procedure/ajax/lookup/?name=agency&query=s").status_code == 403
    with app.app_context():
        assert db.session.get(Procedure, ids["procedure"]) is not None


def test_flask_admin_export_is_off(client, login_as):
    login_as(A)
    assert client.get("/procedure/export/csv/").status_code == 404


# Pages that are not model screens: their URL and who may open them.
PAGES = {
    "admin": ("/", EVERYONE),
    "report": ("/report/", {A, M}),
    "rating_kiosk": ("/kiosk/start/", {A, S}),
    "imports": ("/imports/", {A}),
    "payment_totals": ("/payment/totals/", EVERYONE),
    "staff_rating_totals": ("/staff_rating/totals/", {A, M}),
    "calendar_checklist": ("/calendar-checklist/", EVERYONE),
    "queue_counter_page": ("/queue/counter/", {S}),
    "queue_figures": ("/queue/figures/", {A, M}),
    "queue_start": ("/queue/start/", {A, S}),
}


# Endpoints with no page of their own (the dossier page's file actions,
# tests/test_dossier_files.py): their index answers 404 to everyone (their actions ask for the
# login: tests/test_dossier_files.py).
WITHOUT_PAGE = {"dossier_file": "/dossier-files/"}


def test_every_page_is_specified(app):
    admin = app.extensions["admin"][0]
    endpoints = {v.endpoint for v in admin._views}
    known = set(ACCESS) | set(PAGES) | set(WITHOUT_PAGE)
    assert endpoints <= known, endpoints - known


@pytest.mark.parametrize("role", [None, A, S, M])
def test_endpoints_without_a_page(client, login_as, role):
    if role:
        login_as(role)
    for name, url in WITHOUT_PAGE.items():
        response = client.get(url)
        assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize("role", [None, A, S, M])
def test_pages(client, login_as, role):
    if role:
        login_as(role)
    for name, (url, allowed) in PAGES.items():
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/login" in response.location, name
        elif role in allowed:
            assert response.status_code == 200, (name, role, response.status_code)
        else:
            assert response.status_code == 403, (name, role, response.status_code)


def test_file_downloads_ask_anonymous_visitors_to_log_in(client):
    response = client.get("/dossier-files/1/download")
    assert response.status_code == 302 and "/login" in response.location
