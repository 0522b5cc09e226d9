"""The admin screens of the notices (issue 15 point 4): the outbox (filters, search by dossier
code, details with the attempts, "resend") and the texts, edited as the browser posts them with
CSRF on; a sandbox escape in a text is refused; admins only."""

from __future__ import annotations

import datetime as dt
import html
import os
import re

import pytest
from sqlalchemy import select

from domain import lifecycle as lc
from domain import notifications as nt
from models import Dossier, Notice, NoticeTemplate, Procedure, db
from tests.factories import create_agency, create_user

pytestmark = pytest.mark.commits

AT = dt.datetime(2026, 11, 2, 9, 0)
SHOTS = "/tmp/notify-shots"


def hidden_fields(page: str) -> dict:
    """The hidden inputs of the page's form (CSRF token, one-time form token, …)."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return found


@pytest.fixture
def world(csrf_app):
    return make_world(csrf_app)


def make_world(app):
    """Admin, staff and manager; two dossiers with notices in several states; the texts."""
    with app.app_context():
        agency = create_agency()
        create_user("admin1", "admin")
        staff = create_user("staff1", "staff", [agency])
        create_user("manager1", "manager")
        procedure = Procedure(
            code="1.000001", agency=agency, processing_days=5, name="Cấp đổi giấy phép lái xe"
        )
        codes = []
        for email in ("hoa.tran@example.com", "binh.le@example.com"):
            dossier = Dossier(
                procedure=procedure, applicant_name="Trần Thị Hoà", email=email, phone="0912345678"
            )
            lc.accept_dossier(db.session, dossier, staff, AT, "000.00.20.H37")
            codes.append(dossier.code)
        nt.ensure_templates(db.session)
        db.session.flush()
        # The first e-mail notice, hoa.tran's: without ORDER BY PostgreSQL may return binh.le's
        # first (after emptied tables a new row can fill a freed place); once it did, in CI.
        dead = db.session.scalars(
            select(Notice).where(Notice.channel == "email").order_by(Notice.id)
        ).first()
        dead.status, dead.attempts, dead.last_error = "dead", 5, "SMTP: 550 mailbox unavailable"
        dead.attempt_log = "09:10 02/11/2026 — dead after 5 attempts: SMTP: 550\n"
        db.session.commit()
        return {"codes": codes, "dead": dead.id, "recipient": dead.recipient}


def logged_in(app, username):
    client = app.test_client()
    token = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    assert (
        client.post(
            "/login",
            data={"username": username, "password": "correct horse 42", "csrf_token": token},
        ).status_code
        == 302
    )
    return client


def test_only_admins_see_the_outbox_and_the_texts(csrf_app, world):
    for username in ("staff1", "manager1"):
        client = logged_in(csrf_app, username)
        for url in ("/outbox/", f"/outbox/details/?id={world['dead']}", "/notice_template/"):
            assert client.get(url).status_code == 403, (username, url)
    admin = logged_in(csrf_app, "admin1")
    assert admin.get("/outbox/").status_code == 200
    assert admin.get("/notice_template/").status_code == 200
    assert admin.get("/outbox/new/").status_code in (302, 403)


def test_the_outbox_filters_searches_and_shows_the_attempts(csrf_app, world):
    admin = logged_in(csrf_app, "admin1")
    page = admin.get("/outbox/").get_data(as_text=True)
    assert page.count("hoa.tran@example.com") == 1 and page.count("0912345678") == 4
    # search by dossier code
    page = admin.get("/outbox/", query_string={"search": world["codes"][1]}).get_data(as_text=True)
    assert "binh.le@example.com" in page and "hoa.tran@example.com" not in page
    # filter by status and by channel, as the filter bar's URL does (flt<n>_<filter index>)
    view = next(
        v
        for v in csrf_app.extensions["admin"][0]._views
        if getattr(v, "endpoint", None) == "outbox"
    )
    status_eq = next(i for i, f in enumerate(view._filters) if f.column.key == "status")
    page = admin.get("/outbox/", query_string={f"flt0_{status_eq}": "dead"}).get_data(as_text=True)
    assert "hoa.tran@example.com" in page and "0912345678" not in page
    channel_eq = next(i for i, f in enumerate(view._filters) if f.column.key == "channel")
    page = admin.get("/outbox/", query_string={f"flt0_{channel_eq}": "zalo"}).get_data(as_text=True)
    assert page.count("0912345678") == 2 and "example.com" not in page
    details = admin.get(f"/outbox/details/?id={world['dead']}").get_data(as_text=True)
    assert "SMTP: 550 mailbox unavailable" in details and "dead after 5 attempts" in details
    # a notice not sent yet shows what would be sent, the link without any secret
    assert "Hồ sơ " + world["codes"][0] + " đã được tiếp nhận" in details
    assert "Trần Thị Hoà" not in details


def test_resend_is_posted_with_the_token(csrf_app, world):
    admin = logged_in(csrf_app, "admin1")
    listing = admin.get("/outbox/").get_data(as_text=True)
    data = {
        "csrf_token": hidden_fields(listing)["csrf_token"],
        "action": "resend",
        "rowid": [str(world["dead"])],
    }
    assert admin.post("/outbox/action/", data={**data, "csrf_token": "forged"}).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(Notice, world["dead"]).status == "dead"
    assert admin.post("/outbox/action/", data=data).status_code == 302
    with csrf_app.app_context():
        notice = db.session.get(Notice, world["dead"])
        assert notice.status == "queued" and notice.attempts == 0
        assert "resend requested" in notice.attempt_log
    manager = logged_in(csrf_app, "manager1")
    assert manager.post(
        "/outbox/action/",
        data={
            **data,
            "csrf_token": hidden_fields(manager.get("/").get_data(as_text=True)).get(
                "csrf_token", "x"
            ),
        },
    ).status_code in (400, 403)


def _edit(client, template_id, subject, body):
    url = f"/notice_template/edit/?id={template_id}"
    form = client.get(url).get_data(as_text=True)
    data = {**hidden_fields(form), "subject": subject, "body": body}
    return client.post(url, data=data)


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__ }}",
        "{{ config }}",
        "{{ id_number }}",
        "{% for x in code %}{{ x }}{% endfor %}",
        "{{ code * 100000000 }}",
    ],
)
def test_a_sandbox_escape_in_a_text_is_refused(csrf_app, world, body):
    admin = logged_in(csrf_app, "admin1")
    with csrf_app.app_context():
        template = db.session.scalar(
            select(NoticeTemplate).where(
                NoticeTemplate.event == "result_ready", NoticeTemplate.channel == "sms"
            )
        )
        template_id, before = template.id, template.body
    response = _edit(admin, template_id, "", body)
    assert response.status_code == 200  # the form again, with the message
    assert "chỉ được dùng" in response.get_data(
        as_text=True
    ) or "can only use these variables" in response.get_data(as_text=True)
    with csrf_app.app_context():
        assert db.session.get(NoticeTemplate, template_id).body == before


def test_an_admin_edits_a_text_and_the_next_notice_uses_it(csrf_app, world):
    admin = logged_in(csrf_app, "admin1")
    with csrf_app.app_context():
        template_id = db.session.scalar(
            select(NoticeTemplate.id).where(
                NoticeTemplate.event == "accepted", NoticeTemplate.channel == "email"
            )
        )
    body = (
        "Hồ sơ {{ code }} — hẹn trả {{ due_date }}.{% if lookup_link %} {{ lookup_link }}"
        "{% endif %}"
    )
    response = _edit(admin, template_id, "Đã nhận hồ sơ {{ code }}", body)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with csrf_app.app_context():
        assert db.session.get(NoticeTemplate, template_id).body == body
        notice = db.session.scalar(
            select(Notice).where(Notice.status == "queued", Notice.channel == "email")
        )
        notice_id, code = notice.id, notice.context["code"]
    details = admin.get(f"/outbox/details/?id={notice_id}").get_data(as_text=True)
    assert f"Đã nhận hồ sơ {code}" in html.unescape(details)


def test_the_outbox_in_chromium(app, live_server, page):
    """Walk the outbox as an admin: the list, the details, "resend"."""

    world = make_world(app)
    os.makedirs(SHOTS, exist_ok=True)
    page.goto(live_server + "/login")
    page.fill("#username", "admin1")
    page.fill("#password", "correct horse 42")
    page.click("#login-button")
    page.wait_for_url(f"{live_server}/")
    page.goto(live_server + "/outbox/")
    page.screenshot(path=f"{SHOTS}/outbox-list.png", full_page=True)
    assert page.locator("table.model-list").is_visible()
    assert page.get_by_text("hoa.tran@example.com").count() >= 1
    assert page.get_by_text("Đã bỏ (gửi không được)").count() >= 1
    page.screenshot(path=f"{SHOTS}/outbox-list.png", full_page=True)
    page.goto(live_server + f"/outbox/details/?id={world['dead']}")
    assert page.get_by_text("SMTP: 550 mailbox unavailable").count() >= 1
    page.screenshot(path=f"{SHOTS}/outbox-details.png", full_page=True)
    page.goto(live_server + "/outbox/")
    page.locator(f"input[name=rowid][value='{world['dead']}']").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(
        ".dropdown-toggle", has_text=re.compile("Với lựa chọn|With selected", re.I)
    ).first.click()
    page.locator("a", has_text="Gửi lại").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("sẽ được gửi lại").count() >= 1
    page.screenshot(path=f"{SHOTS}/outbox-resend.png", full_page=True)
    with app.app_context():
        assert db.session.get(Notice, world["dead"]).status == "queued"
