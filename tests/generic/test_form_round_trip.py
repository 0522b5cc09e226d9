"""Every create and edit form of every Flask-Admin screen, for every role that may use it, as the
browser sends it (CSRF on): open the page, read the rendered form (browser_forms.py) and post it.

- Edit, unchanged: saved (a redirect), at most one audit row, the row and its children as before.
- Edit, one text field changed: saved, and the edit page shows the new value.
- Create, with the minimal input of CREATE_INPUT on top of what the page pre-fills: saved, one new
  row, the details page shows it.

The screens are read from the app's Flask-Admin instances, so a new screen is tested the day it
is added: it needs a row from FACTORIES (edit) and an entry in CREATE_INPUT (create), or a reason
in EXCLUDED; otherwise its test fails and says what is missing."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from flask import url_for
from flask_admin.model import BaseModelView
from sqlalchemy import String, Text, func, inspect, select

from domain import evaluation, notifications
from domain import lifecycle as lc
from models import (
    Agency,
    AuditLog,
    CalendarDay,
    CourierItem,
    CourierRun,
    Dossier,
    DossierDocument,
    EvaluationIndicator,
    Feedback,
    FeeItem,
    Field,
    NoticeTemplate,
    Procedure,
    QueueCounter,
    ServiceGroup,
    User,
    db,
)
from tests.browser_forms import open_form
from tests.factories import PASSWORD, create_user, create_users
from tests.support import make_app
from views.base import SecureModelView

UNIT = "000.00.20.H37"
NEW_TEXT = "Sửa thử"

# A screen left out of the round trip, with the reason. Keep this empty unless a screen truly
# has no form a person fills in.
EXCLUDED: dict[str, str] = {}


# ---- the screens, read from the app ----------------------------------------------------------


def _model_views(app):
    for admin in app.extensions["admin"]:
        for view in admin._views:
            if isinstance(view, BaseModelView):
                yield view


def _cases():
    app = make_app("sqlite://")
    edit, create, strays = [], [], []
    for view in _model_views(app):
        if view.endpoint in EXCLUDED:
            continue
        if not isinstance(view, SecureModelView):
            strays.append(view.endpoint)  # no declared roles: cannot be checked, fails below
            continue
        edit += [(view.endpoint, role) for role in view.edit_roles]
        create += [(view.endpoint, role) for role in view.create_roles]
    return edit, create, strays


EDIT_CASES, CREATE_CASES, STRAY_VIEWS = _cases()
USERNAMES = {"admin": "admin1", "staff": "staff1", "manager": "manager1"}


def test_every_model_screen_declares_its_roles():
    assert not STRAY_VIEWS, f"model screens without role declarations: {STRAY_VIEWS}"
    assert len(EDIT_CASES) >= 8 and len(CREATE_CASES) >= 10  # the enumeration works


def _view(app, endpoint):
    for view in _model_views(app):
        if view.endpoint == endpoint:
            return view
    raise AssertionError(endpoint)


# ---- rows: one of every model, all of agency SGTVT (staff1's) --------------------------------


def _agency(w):
    return w["agency"]


def _field(w):
    field = Field(code="GTDB", name="Đường bộ", agency=w["agency"])
    db.session.add(field)
    return field


def _procedure(w):
    procedure = Procedure(
        code="1.000001",
        name="Cấp đổi giấy phép lái xe",
        agency=w["agency"],
        field=w.get(Field),
        processing_days=5,
        cutoff_time=dt.time(15, 0),  # shown HH:MM, read back the same
        legacy_online_level=3,
        publication_date=dt.date(2019, 1, 2),
        legal_basis="Luật\nGiao thông",
    )
    procedure.fee_items.append(FeeItem(kind="charge", name="Lệ phí cấp đổi", amount_vnd=135000))
    db.session.add(procedure)
    return procedure


def _dossier(w):
    dossier = Dossier(
        procedure=w.get(Procedure),
        applicant_name="Nguyễn Văn Ánh",
        phone="0912345678",
        email="anh@example.vn",
        address="Lạng Sơn",
        note="Ghi chú",
        return_channel="postal",
    )
    dossier.documents.append(DossierDocument(name="Đơn đề nghị", kind="original", copies=1))
    lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 3, 4, 9), UNIT)
    return dossier


def _user(w):
    return create_user("clerk2", "staff", [w["agency"]])


def _calendar_day(w):
    day = CalendarDay(date=dt.date(2019, 4, 29), is_working_day=False, note="Nghỉ bù")
    db.session.add(day)
    return day


def _indicator(w):
    evaluation.ensure_indicators(db.session)
    return db.session.scalars(select(EvaluationIndicator).order_by(EvaluationIndicator.id)).first()


def _feedback(w):
    feedback = Feedback(
        channel="hotline",
        received_at=dt.datetime(2019, 3, 1, 16),
        sender="Trần Én",
        contact="0912",
        subject="Hỏi về lệ phí",
        content="Xin hỏi\nmức lệ phí",
        agency=w["agency"],
        dossier=w.get(Dossier),
        due_date=dt.date(2019, 3, 15),
    )
    db.session.add(feedback)
    return feedback


def _courier_run(w):
    run = CourierRun(
        run_date=dt.date(2019, 3, 5),
        slot="10:30",
        direction="to_agency",
        agency=w["agency"],
        note="Chuyến sáng",
    )
    run.items.append(CourierItem(dossier=w.get(Dossier)))
    db.session.add(run)
    return run


def _service_group(w):
    group = ServiceGroup(name="Giao thông vận tải", prefix="A", agencies=[w["agency"]])
    db.session.add(group)
    return group


def _queue_counter(w):
    counter = QueueCounter(number="3", name="Quầy 3", groups=[w.get(ServiceGroup)])
    db.session.add(counter)
    return counter


def _notice_template(w):
    notifications.ensure_templates(db.session)  # the migration's default texts (rolled back)
    return db.session.scalars(select(NoticeTemplate).order_by(NoticeTemplate.id)).first()


FACTORIES = {
    Agency: _agency,
    Field: _field,
    Procedure: _procedure,
    Dossier: _dossier,
    User: _user,
    CalendarDay: _calendar_day,
    EvaluationIndicator: _indicator,
    Feedback: _feedback,
    ServiceGroup: _service_group,
    QueueCounter: _queue_counter,
    CourierRun: _courier_run,
    NoticeTemplate: _notice_template,
}


class World:
    """Rows made on demand (a procedure brings its field, a dossier its procedure), remembered
    by id: the test client's requests must not run inside the test's own app context (Flask
    would share `g`, and with it a stale CSRF token, between them)."""

    def __init__(self):
        self.ids = {}

    def __getitem__(self, key):  # w["agency"]: the staff's agency SGTVT
        return db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))

    def get(self, model):
        if model not in self.ids:
            assert model in FACTORIES, f"no factory for {model.__name__}: add one to FACTORIES"
            row = FACTORIES[model](self)
            db.session.flush()
            self.ids[model] = row.id
        return db.session.get(model, self.ids[model])


@pytest.fixture
def world(csrf_app):
    with csrf_app.app_context():
        create_users()
    return World()


def login(client, role):
    form = open_form(client, "/login")
    form.set("username", USERNAMES[role])
    form.set("password", PASSWORD)
    response = form.submit(client)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _url(app, endpoint, **args):
    with app.test_request_context():
        return url_for(endpoint, **args)


# ---- what "unchanged" means ------------------------------------------------------------------


def _columns(obj) -> dict:
    return {
        a.key: getattr(obj, a.key)
        for a in inspect(obj).mapper.column_attrs
        if a.key != "updated_at"
    }


def _snapshot(model, pk) -> dict:
    db.session.expire_all()
    obj = db.session.get(model, pk)
    state = _columns(obj)
    for rel in inspect(model).relationships:
        if rel.uselist:
            state[rel.key] = sorted(
                (_columns(child) for child in getattr(obj, rel.key)), key=lambda c: c.get("id") or 0
            )
    return state


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditLog.id)))


def _text_fields(model, form) -> list[str]:
    """The plain text boxes of the form that edit non-unique text columns, in page order."""
    columns = {a.key: a.columns[0] for a in inspect(model).mapper.column_attrs}
    return [
        name
        for name in form.names()
        if (column := columns.get(name)) is not None
        and form.kinds.get(name) in ("text", "textarea")
        and name not in form.roles
        and isinstance(column.type, (String, Text))
        and not column.unique
        and not column.primary_key
    ]


# ---- edit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint, role", EDIT_CASES)
def test_edit_form_round_trip(csrf_app, world, endpoint, role):
    view = _view(csrf_app, endpoint)
    with csrf_app.app_context():
        pk = world.get(view.model).id
        db.session.commit()
        before, audits = _snapshot(view.model, pk), _audit_count()
    client = csrf_app.test_client()
    login(client, role)
    edit_url = _url(csrf_app, f"{endpoint}.edit_view", id=pk)

    form = open_form(client, edit_url)
    response = form.submit(client)
    assert response.status_code == 302, _errors(response)
    with csrf_app.app_context():
        assert _audit_count() - audits <= 1
        assert _snapshot(view.model, pk) == before

    form = open_form(client, edit_url)
    assert _text_fields(view.model, form), f"{endpoint}: no plain text field to change"
    name = _text_fields(view.model, form)[0]
    form.set(name, NEW_TEXT)
    response = form.submit(client)
    assert response.status_code == 302, _errors(response)
    with csrf_app.app_context():
        assert getattr(db.session.get(view.model, pk), name) == NEW_TEXT
    assert open_form(client, edit_url).get(name) == NEW_TEXT


def _errors(response) -> str:

    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    found = [
        e.get_text(" ", strip=True)
        for e in soup.select(
            ".invalid-feedback, .help-block, .alert-danger, .alert-error, .form-errors"
        )
    ]
    return f"status {response.status_code}: {found or response.get_data(as_text=True)[:1500]}"


# ---- create ----------------------------------------------------------------------------------


def _indicator_scores(w):
    evaluation.ensure_indicators(db.session)
    return {
        f"ind_{i.id}": "2" for i in evaluation.indicators_of(db.session, evaluation.CITIZEN_2019)
    }


# endpoint -> what the person types (on top of what the page pre-fills), from the rows of World.
CREATE_INPUT = {
    "agency": lambda w: {"code": "SNV", "name": "Sở Nội vụ"},
    "field": lambda w: {"code": "GTDS", "name": "Đường sắt", "agency": w["agency"].id},
    "procedure": lambda w: {
        "code": "1.000099",
        "name": "Cấp giấy phép xe tập lái",
        "agency": w["agency"].id,
        "field": w.get(Field).id,
        "processing_days": "5",
    },
    "dossier": lambda w: {
        "procedure": w.get(Procedure).id,
        "applicant_name": "Lê Văn Cường",
        "email": "cuong@example.vn",
        "phone": "0987654321",
        "documents-0-name": "Đơn đề nghị",
        "documents-0-kind": "original",
        "documents-0-copies": "1",
    },
    "payment": lambda w: {
        "dossier": w.get(Dossier).id,
        "amount_vnd": "135.000",
        "receipt_no": "BL-0001",
    },
    "evaluation_form": lambda w: {"dossier_code": w.get(Dossier).code, **_indicator_scores(w)},
    "evaluation_indicator": lambda w: {"code": "TEST1", "name": "Chỉ tiêu thử", "max_score": "2"},
    "service_group": lambda w: {"name": "Tư pháp – Hộ tịch", "prefix": "B"},
    "queue_counter": lambda w: {"number": "5", "name": "Quầy số 5"},
    "feedback": lambda w: {
        "sender": "Phạm Văn Đức",
        "subject": "Hỏi thủ tục",
        "content": "Xin hỏi",
        "agency": w["agency"].id,
    },
    "courier_run": lambda w: {
        "agency": w["agency"].id,
        "note": "Chuyến chiều",
        "codes": w.get(Dossier).code,
    },
    "user": lambda w: {
        "username": "clerk3",
        "full_name": "Nhân viên mới",
        "role": "staff",
        "agencies": w["agency"].id,
        "new_password": "mật khẩu mới 42",
    },
    "calendar_day": lambda w: {"date": "2030-01-02", "is_working_day": "y", "note": "Làm bù"},
}


@pytest.mark.parametrize("endpoint, role", CREATE_CASES)
def test_create_form_round_trip(csrf_app, world, endpoint, role):
    assert endpoint in CREATE_INPUT, (
        f"{endpoint}: add its minimal input to CREATE_INPUT (or a reason to EXCLUDED)"
    )
    view = _view(csrf_app, endpoint)
    with csrf_app.app_context():
        typed = CREATE_INPUT[endpoint](world)
        db.session.commit()
        before = set(db.session.scalars(select(view.model.id)))
    client = csrf_app.test_client()
    login(client, role)

    form = open_form(client, _url(csrf_app, f"{endpoint}.create_view"))
    lists = {rel.key for rel in inspect(view.model).relationships if rel.uselist}
    for name, value in typed.items():
        # A box of the page, or one of an inline list's new rows (added by its "+" button).
        assert name in form.kinds or name.split("-")[0] in lists, f"{endpoint}: no field {name}"
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == 302, _errors(response)
    texts = {name: typed[name] for name in _text_fields(view.model, form) if name in typed}
    with csrf_app.app_context():
        new = set(db.session.scalars(select(view.model.id))) - before
        assert len(new) == 1
        row = db.session.get(view.model, new.pop())
        for name, value in texts.items():
            assert getattr(row, name) == value
        row_id = row.id
    details = client.get(_url(csrf_app, f"{endpoint}.details_view", id=row_id))
    assert details.status_code == 200
    page = details.get_data(as_text=True)
    for value in texts.values():
        assert value in page
