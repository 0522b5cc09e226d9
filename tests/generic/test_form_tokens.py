"""Double submits (issue 11, item 5): every create form carries a one-time token that is stored in
the same transaction as the record it creates. The same form posted twice — a double click, two
threads at once, a retry — creates one record; the second post is sent to that record with
"Biểu mẫu này đã được gửi", never a second row or a 500."""

import datetime as dt
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from domain import evaluation
from domain import lifecycle as lc
from models import (
    Agency,
    CalendarDay,
    CourierRun,
    Dossier,
    EvaluationForm,
    EvaluationIndicator,
    Feedback,
    Field,
    Payment,
    Procedure,
    QueueCounter,
    ServiceGroup,
    StaffRating,
    User,
    db,
)
from tests.factories import create_agency, create_user, login
from views.base import SecureModelView

ALREADY_SENT = "Biểu mẫu này đã được gửi"
UNIT = "000.00.20.H37"


def form_token(html: str) -> str:
    found = re.search(r'<input[^>]*name="form_token"[^>]*>', html)
    assert found, "the form carries a hidden form_token"
    value = re.search(r'value="([^"]+)"', found.group(0))
    assert value and len(value.group(1)) >= 16
    assert 'type="hidden"' in found.group(0)
    return value.group(1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(app):
    """Agency SGTVT with a procedure and an accepted dossier; staff1 (staff) and admin1."""
    with app.app_context():
        agency = create_agency()
        proc = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        db.session.add(proc)
        db.session.flush()
        dossier = Dossier(procedure=proc, applicant_name="Nguyễn Văn Ánh")
        lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 3, 4, 9), UNIT)
        create_user("staff1", "staff", [agency])
        create_user("admin1", "admin")
        evaluation.ensure_indicators(db.session)
        db.session.commit()
        indicators = [i.id for i in evaluation.indicators_of(db.session, evaluation.CITIZEN_2019)]
        return {
            "agency": agency.id,
            "proc": proc.id,
            "dossier": dossier.id,
            "code": dossier.code,
            "indicators": indicators,
        }


# One valid post per create screen: (role, URL, data, model). A new create screen must be added
# here — test_every_create_view_is_covered fails until it is.
def create_forms(w):
    return {
        "agency": (
            "admin",
            "/agency/new/",
            {
                "code": "SYT",
                "name": "Sở Y tế",
                "kind": "department",
                "sort_order": "1",
                "active": "y",
            },
            Agency,
        ),
        "field": (
            "admin",
            "/field/new/",
            {"code": "LV01", "name": "Đường bộ", "agency": str(w["agency"]), "active": "y"},
            Field,
        ),
        "procedure": (
            "admin",
            "/procedure/new/",
            {
                "code": "1.000099",
                "name": "Thủ tục mới",
                "agency": str(w["agency"]),
                "level": "province",
                "processing_days": "3",
                "online_level": "none",
                "active": "y",
            },
            Procedure,
        ),
        "dossier": (
            "staff",
            "/dossier/new/",
            {
                "procedure": str(w["proc"]),
                "applicant_name": "Lê Văn Cường",
                "applicant_kind": "citizen",
                "channel": "direct",
                "return_channel": "counter",
                "documents-0-name": "Đơn đề nghị",
                "documents-0-kind": "original",
                "documents-0-copies": "1",
            },
            Dossier,
        ),
        "payment": (
            "staff",
            "/payment/new/",
            {
                "dossier": str(w["dossier"]),
                "amount_vnd": "135.000",
                "method": "cash",
                "paid_at": "2019-03-04 10:00:00",
                "receipt_no": "BL-1",
            },
            Payment,
        ),
        "evaluation_form": (
            "staff",
            "/evaluation_form/new/",
            dict(
                {
                    "form_set": "citizen_2019",
                    "dossier_code": w["code"],
                    "agency": "0",
                    "submitted_at": "2019-03-11T10:00",
                    "channel": "paper",
                },
                **{f"ind_{i}": "2" for i in w["indicators"]},
            ),
            EvaluationForm,
        ),
        "evaluation_indicator": (
            "admin",
            "/evaluation_indicator/new/",
            {
                "form_set": "national",
                "code": "X01",
                "name": "Tiêu chí thử",
                "max_score": "2",
                "sort_order": "99",
                "active": "y",
            },
            EvaluationIndicator,
        ),
        "feedback": (
            "staff",
            "/feedback/new/",
            {
                "channel": "hotline",
                "received_at": "2019-03-01 16:00:00",
                "sender": "Trần Văn Én",
                "contact": "0912345678",
                "subject": "Hỏi về lệ phí",
                "content": "Xin hỏi",
                "agency": str(w["agency"]),
                "status": "new",
            },
            Feedback,
        ),
        "courier_run": (
            "staff",
            "/courier_run/new/",
            {
                "run_date": "2019-03-05",
                "slot": "10:30",
                "direction": "to_agency",
                "agency": str(w["agency"]),
                "note": "",
                "codes": w["code"],
            },
            CourierRun,
        ),
        "user": (
            "admin",
            "/user/new/",
            {
                "username": "canbo2",
                "full_name": "Cán bộ Hai",
                "role": "manager",
                "active": "y",
                "new_password": "mat khau dai 42",
            },
            User,
        ),
        "calendar_day": (
            "admin",
            "/calendar_day/new/",
            {"date": "2019-12-31", "is_working_day": "", "note": "Nghỉ bù"},
            CalendarDay,
        ),
        "rating_kiosk": (
            "staff",
            "/kiosk/",
            {"level": "satisfied", "dossier_id": str(w["dossier"])},
            StaffRating,
        ),
        "service_group": (
            "admin",
            "/service_group/new/",
            {"name": "Tư pháp – Hộ tịch", "prefix": "B", "sort_order": "1", "active": "y"},
            ServiceGroup,
        ),
        "queue_counter": (
            "admin",
            "/queue_counter/new/",
            {"number": "5", "name": "Quầy số 5", "active": "y"},
            QueueCounter,
        ),
    }


CREATE_ENDPOINTS = (
    "agency",
    "field",
    "procedure",
    "dossier",
    "payment",
    "evaluation_form",
    "evaluation_indicator",
    "feedback",
    "courier_run",
    "user",
    "calendar_day",
    "rating_kiosk",
    "service_group",
    "queue_counter",
)


def test_every_create_view_is_covered(app):
    """Every screen that creates records is in the list above: the generic mechanism is checked
    for each one, and a new screen cannot slip through without it."""
    admin = app.extensions["admin"][0]
    creating = set()
    for view in admin._views:
        if isinstance(view, SecureModelView):
            if view.create_roles:
                creating.add(view.endpoint)
        elif view.endpoint == "rating_kiosk":
            creating.add(view.endpoint)
    assert creating == set(CREATE_ENDPOINTS)


@pytest.mark.parametrize("endpoint", CREATE_ENDPOINTS)
def test_each_create_form_is_sent_once(app, world, endpoint):
    role, url, data, model = create_forms(world)[endpoint]
    client = app.test_client()
    assert login(client, f"{role}1").status_code == 302
    page = client.get(url).get_data(as_text=True)
    token = form_token(page)
    assert form_token(client.get(url).get_data(as_text=True)) != token  # one per form shown
    before = _count(app, model)
    data = dict(data, form_token=token)
    first = client.post(url, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    assert _count(app, model) == before + 1
    second = client.post(url, data=data)
    assert second.status_code == 302, second.get_data(as_text=True)[:3000]
    assert _count(app, model) == before + 1
    landing = client.get(second.location)
    assert landing.status_code == 200
    text = landing.get_data(as_text=True)
    if endpoint == "rating_kiosk":  # the citizen sees the same thanks, and nothing else
        assert second.location == first.location and "thanks=1" in second.location
        assert ALREADY_SENT not in text
        return
    assert ALREADY_SENT in text
    with app.app_context():
        new_id = db.session.scalar(select(func.max(model.id)))
    assert f"id={new_id}" in second.location, second.location


@pytest.mark.commits  # threads with their own connections
def test_a_double_tap_on_a_kiosk_tablet_rates_once(app, world):
    """Kiosk mode (a tablet on its own credential, no login): the same screen sent twice."""
    client = app.test_client()
    login(client, "staff1")
    with app.app_context():
        officer = db.session.scalar(select(User.id).where(User.username == "staff1"))
    assert client.post("/kiosk/start/", data={"officer": str(officer)}).status_code == 302
    token = form_token(client.get("/kiosk/device/").get_data(as_text=True))
    for _ in range(2):
        response = client.post(
            "/kiosk/device/", data={"level": "very_satisfied", "form_token": token}
        )
        assert response.status_code == 302 and "thanks=1" in response.location
    assert _count(app, StaffRating) == 1
    token = form_token(client.get("/kiosk/device/").get_data(as_text=True))
    client.post("/kiosk/device/", data={"level": "satisfied", "form_token": token})
    assert _count(app, StaffRating) == 2


def _twins(app, username):
    """Two clients on one browser session (a double click sends two requests at once)."""
    first = app.test_client()
    assert login(first, username).status_code == 302
    second = app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    return first, second


def _at_once(clients, url, data):
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def post(i):
        barrier.wait()
        try:
            results[i] = clients[i].post(url, data=data)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


PAIRS = 5


@pytest.mark.commits  # threads with their own connections
@pytest.mark.parametrize("endpoint", ["payment", "dossier"])
def test_two_threads_posting_the_same_form_make_one_record(app, world, endpoint):
    role, url, data, model = create_forms(world)[endpoint]
    first, second = _twins(app, f"{role}1")
    before = _count(app, model)
    for n in range(PAIRS):
        token = form_token(first.get(url).get_data(as_text=True))
        sent = dict(data, form_token=token)
        if endpoint == "dossier":  # each pair another citizen (the same one would be held)
            sent["applicant_name"] = f"{data['applicant_name']} {n}"
        results = _at_once([first, second], url, sent)
        for r in results:
            assert not isinstance(r, Exception), r
            assert r.status_code == 302, r.get_data(as_text=True)[:3000]
        assert _count(app, model) == before + n + 1, f"pair {n}"
    if endpoint == "dossier":
        with app.app_context():
            codes = db.session.scalars(select(Dossier.code)).all()
        assert len(codes) == len(set(codes)) == PAIRS + 1


def test_missing_or_malformed_token_still_saves(app, world):
    """A post without a token (or a forged one) is not refused: it just is not deduplicated."""
    _, url, data, model = create_forms(world)["payment"]
    client = app.test_client()
    login(client, "staff1")
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=dict(data, form_token="x" * 5000)).status_code == 302
    assert _count(app, model) == 2


def test_a_refused_form_keeps_its_token_for_the_corrected_post(app, world):
    """Nothing written, nothing claimed: the corrected form (same token) is saved once."""
    _, url, data, model = create_forms(world)["payment"]
    client = app.test_client()
    login(client, "staff1")
    token = form_token(client.get(url).get_data(as_text=True))
    bad = client.post(url, data=dict(data, amount_vnd="-5", form_token=token))
    assert bad.status_code == 200
    assert form_token(bad.get_data(as_text=True)) == token
    assert client.post(url, data=dict(data, form_token=token)).status_code == 302
    assert client.post(url, data=dict(data, form_token=token)).status_code == 302
    assert _count(app, model) == 1


def test_the_submit_button_is_disabled_by_a_static_script(app, world):
    client = app.test_client()
    login(client, "staff1")
    for url in ("/payment/new/", "/dossier/new/", "/kiosk/", "/evaluation_form/new/"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r'<script[^>]+src="/static/motcua_forms.js', page), url
    script = client.get("/static/motcua_forms.js").get_data(as_text=True)
    assert "submit" in script and "disabled" in script


@pytest.mark.browser
def test_double_click_on_save_records_one_payment(app, world, live_server, page):
    page.goto(f"{live_server}/login")
    page.fill("#username", "staff1")
    page.fill("#password", "correct horse 42")
    page.click("#login-button")
    page.wait_for_url(f"{live_server}/")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server}/payment/new/?dossier_id={world['dossier']}")
    page.fill("#amount_vnd", "135.000")
    page.fill("#receipt_no", "BL-42")

    def slow_network(route):  # the answer takes a while: time for impatient clicks
        if route.request.method == "POST":
            time.sleep(0.6)
        route.continue_()

    page.route("**/payment/new/**", slow_network)
    # Three clicks while the first send is on its way: the browser sends the form once.
    page.evaluate("""() => {
        const button = document.querySelector('#amount_vnd').form
            .querySelector('input[type=submit]');
        button.click();
        setTimeout(() => button.click(), 150);
        setTimeout(() => button.click(), 300);
    }""")
    page.wait_for_url(re.compile(r".*/payment/(\?.*)?$"))
    page.wait_for_load_state()
    page.unroute("**/payment/new/**")
    assert len([u for u in posts if "/payment/new/" in u]) == 1, posts
    assert _count(app, Payment) == 1
    page.screenshot(path="/tmp/concurrency-payment-saved.png", full_page=True)

    # The same form sent again (a retry, a resend from another tab): refused, and the clerk
    # lands on the payment the first send recorded.
    page.goto(f"{live_server}/payment/new/?dossier_id={world['dossier']}")
    token = page.input_value("input[name=form_token]")
    page.fill("#amount_vnd", "50.000")
    page.fill("#receipt_no", "BL-43")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/payment/(\?.*)?$"))
    page.goto(f"{live_server}/payment/new/?dossier_id={world['dossier']}")
    page.fill("#amount_vnd", "50.000")
    page.fill("#receipt_no", "BL-43")
    page.evaluate("t => { document.querySelector('input[name=form_token]').value = t; }", token)
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/payment/details/.*"))
    page.screenshot(path="/tmp/concurrency-payment-already-sent.png", full_page=True)
    assert ALREADY_SENT in page.content()
    assert _count(app, Payment) == 2
