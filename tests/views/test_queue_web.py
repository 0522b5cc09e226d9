"""The queue's screens as their users post them: a staff member starts the ticket kiosk and
the hall display; the kiosk prints tickets (at most QUEUE_TICKETS_PER_MINUTE); the clerk works
the counter page; the display's JSON shows the calls; no staff session on the public paths."""

import datetime as dt
import re

from domain import clock
from models import QueueCounter, QueueDevice, QueueTicket, ServiceGroup, db
from tests.factories import create_agency, create_user, login


def _hall(app):
    with app.app_context():
        agency = create_agency()
        group = ServiceGroup(name="Giao thông vận tải", prefix="A", agencies=[agency])
        db.session.add_all(
            [
                group,
                QueueCounter(number="1", name="Quầy 1", groups=[group]),
                QueueCounter(number="2", name="Quầy 2", groups=[group]),
            ]
        )
        create_user("clerk1", "staff", [agency])
        create_user("clerk2", "staff", [agency])
        db.session.commit()
        return group.id


def _device(app, kind):
    """A browser that a staff member turned into a ticket kiosk or a hall display."""
    client = app.test_client()
    assert login(client, "clerk1").status_code == 302
    response = client.post("/queue/start/", data={"kind": kind, "name": "Sảnh"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/lay-so/" if kind == "ticket" else "/man-hinh/")
    # The staff login has ended on the device: only the device cookie is left.
    assert client.get("/queue/counter/").status_code == 302
    return client


def test_kiosk_prints_gapless_numbers_and_refuses_without_a_device(app):
    group_id = _hall(app)
    assert app.test_client().get("/lay-so/").status_code == 403
    assert app.test_client().post("/lay-so/", data={"group": group_id}).status_code == 403
    kiosk = _device(app, "ticket")
    page = kiosk.get("/lay-so/")
    assert page.status_code == 200 and "Giao thông vận tải".encode() in page.data
    assert "Set-Cookie" not in page.headers  # no session on the public path
    numbers = []
    for _ in range(3):
        response = kiosk.post("/lay-so/", data={"group": group_id})
        assert response.status_code == 302
        ticket = kiosk.get(response.headers["Location"])
        numbers.append(re.search(rb'id="queue-ticket-number">([^<]+)<', ticket.data).group(1))
    assert numbers == [b"A-001", b"A-002", b"A-003"]
    assert "2 người" in ticket.get_data(as_text=True)  # two ahead of A-003
    assert b"80mm" in kiosk.get("/static/motcua_queue.css").data
    assert kiosk.post("/lay-so/", data={"group": "999"}).status_code == 400
    # The display's device cannot print, and the kiosk's cannot read the display.
    assert _device(app, "display").post("/lay-so/", data={"group": group_id}).status_code == 403
    assert kiosk.get("/man-hinh/data.json").status_code == 403


def test_kiosk_prints_at_most_the_configured_tickets_per_minute(app):
    app.config["QUEUE_TICKETS_PER_MINUTE"] = 3
    group_id = _hall(app)
    kiosk = _device(app, "ticket")
    codes = [kiosk.post("/lay-so/", data={"group": group_id}).status_code for _ in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    refused = kiosk.post("/lay-so/", data={"group": group_id})
    assert "Retry-After" in refused.headers
    # Another kiosk has its own count.
    assert _device(app, "ticket").post("/lay-so/", data={"group": group_id}).status_code == 302
    with app.app_context():
        assert db.session.query(QueueTicket).count() == 4


def test_counter_page_and_display(app):
    group_id = _hall(app)
    kiosk = _device(app, "ticket")
    display = _device(app, "display")
    for _ in range(2):
        kiosk.post("/lay-so/", data={"group": group_id})
    clerk = app.test_client()
    login(clerk, "clerk1")
    assert b"queue-take" in clerk.get("/queue/counter/").data
    with app.app_context():
        counters = {c.number: c.id for c in db.session.query(QueueCounter)}
    assert (
        clerk.post("/queue/counter/", data={"step": "take", "counter": counters["1"]}).status_code
        == 302
    )
    other = app.test_client()
    login(other, "clerk2")
    refused = other.post("/queue/counter/", data={"step": "take", "counter": counters["1"]})
    assert refused.status_code == 409
    clerk.post("/queue/counter/", data={"step": "next"})
    page = clerk.get("/queue/counter/").get_data(as_text=True)
    assert 'id="queue-current">A-001<' in page
    board = display.get("/man-hinh/data.json").get_json()
    assert {"counter": "1", "name": "Quầy 1", "number": "A-001", "calls": 1} in board["counters"]
    assert board["last_calls"][0]["number"] == "A-001"
    assert "Set-Cookie" not in display.get("/man-hinh/").headers
    clerk.post("/queue/counter/", data={"step": "recall"})
    assert display.get("/man-hinh/data.json").get_json()["counters"][0]["calls"] == 2
    # Transfer to counter 2; clerk2 takes it there and marks it served.
    clerk.post("/queue/counter/", data={"step": "transfer", "target": f"counter:{counters['2']}"})
    other.post("/queue/counter/", data={"step": "take", "counter": counters["2"]})
    other.post("/queue/counter/", data={"step": "next"})
    assert 'id="queue-current">A-001<' in other.get("/queue/counter/").get_data(as_text=True)
    bad = other.post("/queue/counter/", data={"step": "link", "code": "KHONG-CO"})
    assert bad.status_code == 409
    served = other.post("/queue/counter/", data={"step": "served"}, follow_redirects=True)
    assert "/kiosk/" in served.get_data(as_text=True)  # the way to the rating kiosk
    clerk.post("/queue/counter/", data={"step": "next"})
    clerk.post("/queue/counter/", data={"step": "skipped"})
    with app.app_context():
        statuses = [t.status for t in db.session.query(QueueTicket).order_by(QueueTicket.seq)]
    assert statuses == ["served", "skipped"]
    # Managers see the figures; staff do not.
    assert clerk.get("/queue/figures/").status_code == 403


def test_admin_ends_a_device(app):
    group_id = _hall(app)
    kiosk = _device(app, "ticket")
    with app.app_context():
        create_user("admin1", "admin")
        db.session.commit()
        device_id = db.session.query(QueueDevice).one().id
    admin = app.test_client()
    login(admin, "admin1")
    admin.post("/queue_device/action/", data={"action": "revoke", "rowid": [device_id]})
    assert kiosk.post("/lay-so/", data={"group": group_id}).status_code == 403
    assert admin.get("/service_group/").status_code == 200
    assert (
        admin.post(
            "/service_group/new/",
            data={"name": "Tư pháp", "prefix": "b", "sort_order": "2", "active": "y"},
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.query(ServiceGroup).filter_by(prefix="B").count() == 1


def test_the_kiosk_numbers_start_again_after_midnight(app):

    group_id = _hall(app)
    kiosk = _device(app, "ticket")

    def number():
        location = kiosk.post("/lay-so/", data={"group": group_id}).headers["Location"]
        page = kiosk.get(location).data
        return re.search(rb'id="queue-ticket-number">([^<]+)<', page).group(1)

    with clock.frozen(dt.datetime(2026, 3, 2, 23, 59, 58)):
        assert [number(), number()] == [b"A-001", b"A-002"]
    with clock.frozen(dt.datetime(2026, 3, 3, 0, 0, 1)):
        assert number() == b"A-001"
        # Yesterday's ticket is not shown on today's kiosk.
        with app.app_context():
            old = db.session.query(QueueTicket).filter_by(seq=2).first().id
        assert kiosk.get(f"/lay-so/ve/{old}").status_code == 404


def test_api_queue_status(app):
    clerk = _three_waiting_and_a_clerk_at_counter_one(app)
    clerk.post("/queue/counter/", data={"step": "next"})
    response = app.test_client().get("/api/v1/queue")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    body = response.get_json()
    assert body["groups"] == [
        {"prefix": "A", "name": "Giao thông vận tải", "waiting": 2, "last_called": "A-001"}
    ]
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/queue" in document["paths"]
    assert "QueueStatus" in document["components"]["schemas"]


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def test_a_double_tap_on_the_ticket_kiosk_prints_one_ticket(app):
    """Issue 11 item 5: the kiosk's form is sent once; the second tap shows the first ticket."""
    group_id = _hall(app)
    kiosk = _device(app, "ticket")
    page = kiosk.get("/lay-so/").get_data(as_text=True)
    assert re.search(r'<script[^>]+src="/static/motcua_forms.js', page)  # buttons disabled
    token = _token(page)
    first, second = (
        kiosk.post("/lay-so/", data={"group": group_id, "form_token": token}) for _ in range(2)
    )
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.query(QueueTicket).count() == 1
    # The next citizen's page carries a new token: a new ticket.
    token = _token(kiosk.get("/lay-so/").get_data(as_text=True))
    kiosk.post("/lay-so/", data={"group": group_id, "form_token": token})
    with app.app_context():
        assert db.session.query(QueueTicket).count() == 2


def _take_counter_one(app, clerk):
    with app.app_context():
        counter = db.session.query(QueueCounter).filter_by(number="1").one().id
    assert (
        clerk.post("/queue/counter/", data={"step": "take", "counter": counter}).status_code == 302
    )


def _three_waiting_and_a_clerk_at_counter_one(app):
    """Three tickets taken at a kiosk; clerk1 logged in at counter 1: the clerk's client."""
    group_id = _hall(app)
    kiosk = _device(app, "ticket")
    for _ in range(3):
        kiosk.post("/lay-so/", data={"group": group_id})
    clerk = app.test_client()
    login(clerk, "clerk1")
    _take_counter_one(app, clerk)
    return clerk


def _statuses(app):
    with app.app_context():
        return [t.status for t in db.session.query(QueueTicket).order_by(QueueTicket.seq)]


def _shown_ticket(html: str) -> str:
    return re.search(r'name="ticket" value="([^"]*)"', html).group(1)


def test_a_stale_counter_page_does_not_finish_the_next_citizen(app):
    """A double click on "Call next", or a second tab left open: the step was meant for the
    ticket the page showed. Sent when another ticket is current, it is refused (409) — the
    citizen just called is not marked served unseen, nor skipped."""
    clerk = _three_waiting_and_a_clerk_at_counter_one(app)
    page = clerk.get("/queue/counter/").get_data(as_text=True)
    shown = _shown_ticket(page)
    assert shown == ""  # nobody yet
    assert clerk.post("/queue/counter/", data={"step": "next", "ticket": shown}).status_code == 302
    # The same click again: A-001 was just called, the page that sent it showed nobody.
    again = clerk.post("/queue/counter/", data={"step": "next", "ticket": shown})
    assert again.status_code == 409
    assert "Trang đã cũ" in again.get_data(as_text=True)
    assert 'id="queue-current">A-001<' in again.get_data(as_text=True)
    assert _statuses(app) == ["called", "waiting", "waiting"]
    # A tab showing A-001; another tab calls A-002 meanwhile; "Served" from the first is refused.
    stale = _shown_ticket(clerk.get("/queue/counter/").get_data(as_text=True))
    fresh = _shown_ticket(clerk.get("/queue/counter/").get_data(as_text=True))
    assert clerk.post("/queue/counter/", data={"step": "next", "ticket": fresh}).status_code == 302
    assert _statuses(app) == ["served", "called", "waiting"]
    for step in ("served", "skipped", "recall", "next"):
        refused = clerk.post("/queue/counter/", data={"step": step, "ticket": stale})
        assert refused.status_code == 409, step
    assert _statuses(app) == ["served", "called", "waiting"]
    # The transfer and link forms carry the ticket too.
    page = clerk.get("/queue/counter/").get_data(as_text=True)
    assert len(re.findall(r'name="ticket" value="(\d+)"', page)) == 3


def test_a_ticket_number_beyond_any_row_is_not_found(app):
    """Found by the route fuzzer: /lay-so/ve/2147483648 was a 500 on PostgreSQL."""
    _hall(app)
    kiosk = _device(app, "ticket")
    for ticket_id in ("0", str(2**31), str(2**63), "9" * 40):
        assert kiosk.get(f"/lay-so/ve/{ticket_id}").status_code == 404, ticket_id
