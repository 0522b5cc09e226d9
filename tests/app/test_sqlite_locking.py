"""SQLite under load (issue 11, item 7): reads never wait for the write lock, and a write that
cannot get it within the busy timeout answers a Vietnamese "busy" page (503) that keeps what the
clerk typed, instead of hanging 30 s and then showing Werkzeug's English 500 page."""

import contextlib
import datetime as dt
import re
import sqlite3
import threading
import time

import pytest
from flask import has_request_context, request, url_for
from sqlalchemy import event, func, select
from werkzeug.serving import make_server

from domain import form_drafts
from domain import lifecycle as lc
from models import (
    Agency,
    Dossier,
    FigureMonth,
    KioskDevice,
    OpenSnapshot,
    Procedure,
    User,
    UserSession,
    db,
    utcnow,
)
from tests.browser_forms import open_form, read_form
from tests.factories import create_agency, create_user, login
from tests.support import make_app, reset_schema

BUSY = "Hệ thống đang bận, vui lòng thử lại"
TIMEOUT_MS = 400


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("locking") / "motcua.db"
    app = make_app(f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT_MS=TIMEOUT_MS)
    reset_schema(app)
    with app.app_context():
        agency = create_agency()
        proc = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        db.session.add(proc)
        create_user("staff1", "staff", [agency])
        db.session.commit()
        app.config["TEST_PROCEDURE_ID"] = proc.id
    app.config["TEST_DB_PATH"] = str(path)
    yield app
    with app.app_context():
        db.engine.dispose()


class WriteLock:
    """Another process's writer: a transaction that holds SQLite's write lock until released."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("UPDATE agency SET sort_order = sort_order + 1")
        return self

    def __exit__(self, *exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def _logged_in(app):
    client = app.test_client()
    assert login(client, "staff1").status_code == 302
    return client


@contextlib.contextmanager
def waits_would_show(app):
    """A wait for the lock would cost 20 s, far above a page's time even on a loaded CI
    machine: a read that takes < 10 s did not wait (with the fixture's 400 ms a wait could
    not be told from a slow machine)."""
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 20000
    try:
        yield
    finally:
        app.config["SQLITE_BUSY_TIMEOUT_MS"] = TIMEOUT_MS


def _timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_reads_do_not_wait_for_a_writer(sqlite_app):
    client = _logged_in(sqlite_app)
    anonymous = sqlite_app.test_client()
    pages = (
        (client, "/dossier/"),
        (client, "/dossier/new/"),
        (client, "/"),
        (anonymous, "/login"),
        (anonymous, "/static/motcua.css"),
        (client, "/static/motcua.css"),
    )
    for who, url in pages:  # templates compiled before the clock starts
        assert who.get(url).status_code == 200
    with waits_would_show(sqlite_app), WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        for who, url in pages:
            response, seconds = _timed(lambda who=who, url=url: who.get(url))
            assert response.status_code == 200, (url, response.status_code)
            assert seconds < 10, (url, seconds)


def _intake_form(client, app):
    form = open_form(client, "/dossier/new/")
    form.set("procedure", app.config["TEST_PROCEDURE_ID"])
    form.set("applicant_name", "Lê Văn Cường")
    form.set("phone", "0987654321")
    form.set("address", "12 Lê Lợi, Lạng Sơn")
    return form.data()


def test_a_write_during_the_lock_gets_the_busy_page_and_can_be_sent_again(sqlite_app):
    client = _logged_in(sqlite_app)
    data = _intake_form(client, sqlite_app)
    with WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response, seconds = _timed(lambda: client.post("/dossier/new/", data=data))
    assert response.status_code == 503
    assert seconds < TIMEOUT_MS / 1000 + 8  # its own timeout, not 30 s (a loaded machine)
    page = response.get_data(as_text=True)
    assert BUSY in page
    assert "Internal Server Error" not in page
    assert response.headers.get("Retry-After")
    # What the clerk typed is kept: the page sends the same form again with one click.
    again = read_form(page, "http://localhost/dossier/new/", form_id="busy-form")
    assert again.action == "/dossier/new/"
    assert again.get("applicant_name") == "Lê Văn Cường"
    assert again.get("address") == "12 Lê Lợi, Lạng Sơn"
    assert again.get("form_token") == data.get("form_token")
    assert re.search(r'<script[^>]+src="/static/motcua_forms.js', page)
    with sqlite_app.app_context():
        assert (
            db.session.scalar(select(Dossier.id).where(Dossier.applicant_name == "Lê Văn Cường"))
            is None
        )
    # The lock is gone: sending again saves the dossier, once (the form token came along).
    resent = again.submit(client)
    assert resent.status_code == 302, resent.get_data(as_text=True)[:2000]
    assert again.submit(client).status_code == 302  # a second "send again": still one dossier
    with sqlite_app.app_context():
        rows = db.session.scalars(
            select(Dossier).where(Dossier.applicant_name == "Lê Văn Cường")
        ).all()
        assert len(rows) == 1 and rows[0].address == "12 Lê Lợi, Lạng Sơn"


def test_login_during_the_lock_is_busy_not_a_crash_and_shows_no_password(sqlite_app):
    client = sqlite_app.test_client()
    with WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response = client.post(
            "/login", data={"username": "staff1", "password": "correct horse 42"}
        )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert BUSY in page and "correct horse 42" not in page


def test_a_login_checks_the_password_without_the_write_lock(sqlite_app):
    """scrypt takes a while (seconds on a loaded server): checked in a read transaction, it
    never holds up the other workers' writes, and a wrong password is answered (401) even
    while another request writes; only the right one waits to open its session."""
    client = sqlite_app.test_client()
    with WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response = client.post("/login", data={"username": "staff1", "password": "wrong 42"})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_a_read_beside_a_long_write_stays_fast(sqlite_app):
    """A clerk's page while another request writes for a while (an import, an export that
    writes): reads go on; the writer is not disturbed either."""
    client = _logged_in(sqlite_app)
    assert client.get("/dossier/").status_code == 200
    holder = WriteLock(sqlite_app.config["TEST_DB_PATH"])
    released = threading.Event()

    def hold():
        with holder:
            released.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        time.sleep(0.1)
        with waits_would_show(sqlite_app):
            for _ in range(5):
                response, seconds = _timed(lambda: client.get("/dossier/"))
                assert response.status_code == 200 and seconds < 10
    finally:
        released.set()
        thread.join(10)


def test_a_read_does_not_wait_to_note_when_the_login_was_last_seen(sqlite_app):
    """The only bookkeeping a read does (a login's last-seen time, every few minutes): during
    another request's write it is skipped, not waited for, and written by a later request."""

    client = _logged_in(sqlite_app)
    assert client.get("/dossier/").status_code == 200
    long_ago = utcnow() - dt.timedelta(hours=1)
    with sqlite_app.app_context():
        db.session.execute(UserSession.__table__.update().values(last_seen_at=long_ago))
        db.session.commit()

    def last_seen():
        with sqlite_app.app_context():
            return db.session.scalar(select(func.max(UserSession.last_seen_at)))

    with waits_would_show(sqlite_app), WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response, seconds = _timed(lambda: client.get("/dossier/"))
        assert response.status_code == 200 and seconds < 10, seconds
    assert last_seen() == long_ago
    assert client.get("/dossier/").status_code == 200
    assert last_seen() > long_ago + dt.timedelta(minutes=30)


def test_the_dashboard_does_not_wait_to_keep_its_months(sqlite_app):
    """The dashboard keeps the months it counted (domain/month_figures.py) in a transaction of
    its own: during another request's write that is skipped, not waited for, and a later view
    keeps them."""
    with sqlite_app.app_context():
        dossier = Dossier(
            procedure_id=sqlite_app.config["TEST_PROCEDURE_ID"], applicant_name="Tháng"
        )
        lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 2, 4, 9), "U")
        db.session.commit()

    def february():
        with sqlite_app.app_context():
            row = db.session.get(FigureMonth, "2019-02")
            return row.version, row.filled

    client = _logged_in(sqlite_app)
    with waits_would_show(sqlite_app), WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        sqlite_app.extensions.pop("motcua_dashboard", None)
        response, seconds = _timed(lambda: client.get("/?until=2019-03"))
        assert response.status_code == 200 and seconds < 10, seconds
    version, filled = february()
    assert filled is None
    sqlite_app.extensions.pop("motcua_dashboard", None)
    assert client.get("/?until=2019-03").status_code == 200
    assert february() == (version, version)


def test_the_report_does_not_wait_to_keep_its_instants(sqlite_app):
    """The report keeps what was open at its period's boundaries (domain/open_snapshots.py) in
    a transaction of its own: during another request's write that is skipped, not waited for,
    and a later view keeps them."""
    with sqlite_app.app_context():
        dossier = Dossier(
            procedure_id=sqlite_app.config["TEST_PROCEDURE_ID"], applicant_name="Đầu kỳ"
        )
        lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 2, 4, 9), "U")
        create_user("manager_os", "manager")
        db.session.commit()

    def march():
        with sqlite_app.app_context():
            row = db.session.get(OpenSnapshot, dt.date(2019, 3, 1))
            return row.version, row.filled

    client = sqlite_app.test_client()
    assert login(client, "manager_os").status_code == 302
    url = "/report/?preset=month&month=3&year=2019"
    with waits_would_show(sqlite_app), WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response, seconds = _timed(lambda: client.get(url))
        assert response.status_code == 200 and seconds < 10, seconds
    version, filled = march()
    assert filled is None
    assert client.get(url).status_code == 200
    assert march() == (version, version)


def test_a_read_that_restores_a_draft_writes_in_its_own_transaction(sqlite_app):
    """Opening a kept draft (views/idle.py) deletes it: a GET that writes. Its read snapshot
    began with the user's login check; when another request commits in between, writing from
    that stale snapshot fails at once in SQLite (no busy wait helps). The draft is taken in a
    write transaction of its own instead, so the page opens."""

    client = _logged_in(sqlite_app)
    with sqlite_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "staff1"))
        key = form_drafts.store(
            db.session,
            "/dossier/new/",
            [["applicant_name", "Vũ Thị Giang"]],
            utcnow(),
            dt.timedelta(hours=1),
            user_id=user_id,
        )
        db.session.commit()
        engine = db.engine
    other = sqlite3.connect(sqlite_app.config["TEST_DB_PATH"], isolation_level=None)

    def commit_elsewhere(conn, cursor, statement, parameters, context, executemany):
        # Right after the login check has read: another clerk saves something.
        if "FROM user_session" in statement and parameters and not commit_elsewhere.done:
            commit_elsewhere.done = True
            other.execute("UPDATE agency SET sort_order = sort_order + 1")

    commit_elsewhere.done = False
    event.listen(engine, "after_cursor_execute", commit_elsewhere)
    try:
        response = client.get(f"/dossier/new/?_draft={key}")
    finally:
        event.remove(engine, "after_cursor_execute", commit_elsewhere)
        other.close()
    assert commit_elsewhere.done
    assert response.status_code == 200, response.status_code
    assert "Vũ Thị Giang" in response.get_data(as_text=True)


def test_a_kiosk_tablet_is_not_held_up_by_renewing_its_credential(sqlite_app):
    """The tablet's screen (a GET) renews its credential now and then: during another request's
    write that renewal is left for a later page, the citizen still gets the buttons at once."""

    tablet = _logged_in(sqlite_app)
    with sqlite_app.app_context():
        officer = db.session.scalar(select(User.id).where(User.username == "staff1"))
    assert tablet.post("/kiosk/start/", data={"officer": str(officer)}).status_code == 302
    soon = utcnow() + dt.timedelta(minutes=1)  # due for renewal
    with sqlite_app.app_context():
        db.session.execute(KioskDevice.__table__.update().values(expires_at=soon))
        db.session.commit()

    def expires():
        with sqlite_app.app_context():
            return db.session.scalar(select(func.max(KioskDevice.expires_at)))

    with waits_would_show(sqlite_app), WriteLock(sqlite_app.config["TEST_DB_PATH"]):
        response, seconds = _timed(lambda: tablet.get("/kiosk/device/"))
        assert response.status_code == 200 and seconds < 10, (response.status_code, seconds)
        assert "rate-satisfied" in response.get_data(as_text=True)
    assert expires() == soon
    assert tablet.get("/kiosk/device/").status_code == 200
    assert expires() > soon


def test_get_requests_never_write(sqlite_app):
    """Reads run as deferred transactions: a GET that wrote would need the write lock after
    all. Every screen of every role is opened and no INSERT/UPDATE/DELETE may run meanwhile.
    (The few reads that keep books — a login's last-seen time, a kiosk's renewal, a kept draft
    used up — are tested above.)"""

    with sqlite_app.app_context():
        if db.session.scalar(select(Dossier.id).where(Dossier.applicant_name == "Đọc")) is None:
            dossier = Dossier(
                procedure_id=sqlite_app.config["TEST_PROCEDURE_ID"], applicant_name="Đọc"
            )
            lc.accept_dossier(db.session, dossier, None, dt.datetime(2019, 3, 4, 9), "U")
            create_user("admin1", "admin")
            create_user("manager1", "manager")
            db.session.commit()
        dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.applicant_name == "Đọc"))
        agency_id = db.session.scalar(select(Agency.id))
        engine = db.engine
    admin = sqlite_app.extensions["admin"][0]
    urls = [
        "/",
        f"/dossier/details/?id={dossier_id}",
        f"/dossier/edit/?id={dossier_id}",
        f"/dossier/print/01/?id={dossier_id}",
        f"/dossier/print/05/?id={dossier_id}",
        "/dossier/register/",
        f"/agency/details/?id={agency_id}",
        "/report/",
    ]
    with sqlite_app.test_request_context():
        for view in admin._views:
            endpoints = [
                e
                for e in ("index_view", "index", "create_view", "totals_view")
                if f"{view.endpoint}.{e}" in sqlite_app.view_functions
            ]
            urls += [url_for(f"{view.endpoint}.{e}") for e in endpoints]
    writes = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if (
            has_request_context()
            and request.method == "GET"
            and statement.lstrip().split(None, 1)[0].upper()
            in ("INSERT", "UPDATE", "DELETE", "REPLACE")
            # The receipt issues the look-up secret it prints, in a write transaction of its own.
            and not request.path.startswith("/dossier/print/01/")
            # The dashboard keeps the months it counted, in a transaction of its own that never
            # waits for the lock (transactions.write_aside).
            and not (request.path == "/" and "figure_month" in statement)
            # The report keeps what was open at its period's boundaries, likewise.
            and not (request.path == "/report/" and "open_snapshot" in statement)
        ):
            writes.append((request.path, statement[:80]))

    event.listen(engine, "before_cursor_execute", watch)
    try:
        opened = 0
        for user in ("admin1", "manager1", "staff1"):
            client = sqlite_app.test_client()
            assert login(client, user).status_code == 302
            for url in urls:
                status = client.get(url).status_code
                assert status in (200, 302, 403, 404), (user, url, status)
                opened += status == 200
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert opened > 40
    assert writes == []


@pytest.mark.browser
def test_busy_page_in_the_browser_keeps_the_intake(sqlite_app, browser):

    sqlite_app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{base}/login")
        page.fill("#username", "staff1")
        page.fill("#password", "correct horse 42")
        page.click("#login-button")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/dossier/new/")
        page.click("#s2id_procedure")
        page.keyboard.type("giay phep")
        page.locator(".select2-result-label", has_text="1.000001").click()
        page.fill("#applicant_name", "Phạm Thị Dung")
        page.fill("#phone", "0912000111")
        with WriteLock(sqlite_app.config["TEST_DB_PATH"]):
            page.click("#intake-submit")  # "Tiếp nhận và in phiếu"
            page.wait_for_selector("#busy-message")
            page.screenshot(path="/tmp/concurrency-busy-page.png", full_page=True)
            assert BUSY in page.content()
        page.click("#busy-resend")
        page.wait_for_url(re.compile(r".*/dossier/(details|print/01)/.*"))
        page.screenshot(path="/tmp/concurrency-busy-resent.png", full_page=True)
        with sqlite_app.app_context():
            rows = db.session.scalars(
                select(Dossier).where(Dossier.applicant_name == "Phạm Thị Dung")
            ).all()
            assert len(rows) == 1 and rows[0].phone == "0912000111"
        # "Back" returns to the form with what was typed.
        page.goto(f"{base}/dossier/new/")
        page.fill("#applicant_name", "Hoàng Văn Em")
        with WriteLock(sqlite_app.config["TEST_DB_PATH"]):
            page.click("#intake-submit")  # "Tiếp nhận và in phiếu"
            page.wait_for_selector("#busy-message")
        page.click("#busy-back")
        page.wait_for_url(re.compile(r".*/dossier/new/.*"))
        assert page.input_value("#applicant_name") == "Hoàng Văn Em"
    finally:
        context.close()
        sqlite_app.config["WTF_CSRF_ENABLED"] = False
        server.shutdown()
        thread.join(5)
