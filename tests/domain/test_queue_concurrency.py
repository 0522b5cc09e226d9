"""The queue under concurrency, on a real SQLite file and PostgreSQL: kiosks printing at once
(through the web kiosk and the domain function, some rolled back) get unique, gapless numbers;
clerks pressing "next" at once never get the same ticket. Each thread has its own app context,
session and connection."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from domain import clock, queue
from models import QueueCounter, QueueTicket, ServiceGroup, db
from tests.factories import create_agency, create_user, login
from tests.support import run_threads, session_worker

THREADS = 6
PER_THREAD = 4


@pytest.mark.commits  # threads with their own connections
def test_parallel_kiosks_give_unique_gapless_numbers(app):
    app.config["QUEUE_TICKETS_PER_MINUTE"] = 1000
    with app.app_context():
        group = ServiceGroup(name="Một cửa", prefix="A")
        db.session.add(group)
        create_user("clerk", "staff", [create_agency()])
        db.session.commit()
        group_id = group.id
    kiosks = []
    for _ in range(THREADS // 2):
        client = app.test_client()
        login(client, "clerk")
        assert client.post("/queue/start/", data={"kind": "ticket"}).status_code == 302
        kiosks.append(client)
    barrier = threading.Barrier(THREADS)
    errors, committed = [], []

    def through_the_kiosk(n):
        client = kiosks[n // 2]
        barrier.wait()
        for i in range(PER_THREAD):
            response = client.post("/lay-so/", data={"group": group_id})
            if response.status_code != 302:
                errors.append((n, i, response.status_code))
            else:
                committed.append(int(response.headers["Location"].rsplit("/", 1)[1]))

    def issue(n, i, _):
        ticket = queue.issue_ticket(db.session, db.session.get(ServiceGroup, group_id), clock.now())
        if i % 2:  # a ticket that fails after taking its number
            db.session.rollback()
            return
        db.session.commit()
        committed.append(ticket.id)

    through_the_domain = session_worker(app, barrier, PER_THREAD, issue, errors)
    run_threads(through_the_kiosk if n % 2 else through_the_domain for n in range(THREADS))
    assert not errors
    with app.app_context():
        rows = db.session.execute(
            select(QueueTicket.id, QueueTicket.day, QueueTicket.seq, QueueTicket.number)
        ).all()
    assert sorted(r.id for r in rows) == sorted(committed)
    assert len(rows) == THREADS // 2 * PER_THREAD + THREADS // 2 * (PER_THREAD // 2)
    by_day: dict[dt.date, list[int]] = {}
    for row in rows:
        assert row.number == f"A-{row.seq:03d}"
        by_day.setdefault(row.day, []).append(row.seq)
    for day, seqs in by_day.items():  # a run across midnight starts a second day at 1
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), day


@pytest.mark.commits  # threads with their own connections
def test_clerks_calling_next_at_once_never_share_a_ticket(app):
    clerks = THREADS
    tickets = clerks * 3
    with app.app_context():
        agency = create_agency()
        group = ServiceGroup(name="Một cửa", prefix="A")
        db.session.add(group)
        db.session.flush()
        now = clock.now()
        for n in range(clerks):
            user = create_user(f"clerk{n}", "staff", [agency])
            db.session.add(QueueCounter(number=str(n + 1), groups=[group], clerk_id=user.id))
        for _ in range(tickets):
            queue.issue_ticket(db.session, group, now)
        db.session.commit()
    barrier = threading.Barrier(clerks)
    errors, called = [], []

    def through_the_page(n):
        client = app.test_client()
        login(client, f"clerk{n}")
        barrier.wait()
        for i in range(3):
            response = client.post("/queue/counter/", data={"step": "next"})
            if response.status_code != 302:
                errors.append((n, i, response.status_code))

    def own_counter(n):
        counter = db.session.scalar(select(QueueCounter).where(QueueCounter.number == str(n + 1)))
        clerk = counter.clerk
        db.session.commit()  # no transaction (SQLite: no write lock) held at the barrier
        return counter, clerk

    def call_next(n, i, prepared):
        counter, clerk = prepared
        ticket = queue.call_next(db.session, counter, clerk, clock.now())
        db.session.commit()
        called.append(ticket.id if ticket else None)

    through_the_domain = session_worker(app, barrier, 3, call_next, errors, prepare=own_counter)
    run_threads(through_the_page if n % 2 else through_the_domain for n in range(clerks))
    assert not errors
    assert None not in called
    with app.app_context():
        rows = db.session.execute(
            select(QueueTicket.id, QueueTicket.status, QueueTicket.counter_id, QueueTicket.calls)
        ).all()
    # Every ticket was called exactly once: each clerk's third "next" finished the second
    # (served) and each clerk holds one ticket at the end.
    assert all(r.calls == 1 for r in rows), rows
    assert sorted(r.status for r in rows).count("called") == clerks
    assert len({r.counter_id for r in rows if r.status == "called"}) == clerks
    assert sum(1 for r in rows if r.status == "served") == tickets - clerks


@pytest.mark.commits  # threads with their own connections
def test_a_double_click_on_call_next_calls_one_number(app):
    """Several "Call next" posts from one counter page at once (a double click; the page showed
    nobody at the counter): one calls the first citizen, the others are refused as out of date —
    the citizen just called is never marked served unseen, on PostgreSQL too (the counter's row
    is locked by each step)."""
    clicks = 4
    with app.app_context():
        group = ServiceGroup(name="Một cửa", prefix="A")
        db.session.add(group)
        db.session.flush()
        user = create_user("clerk", "staff", [create_agency()])
        db.session.add(QueueCounter(number="1", groups=[group], clerk_id=user.id))
        for _ in range(clicks):
            queue.issue_ticket(db.session, group, clock.now())
        db.session.commit()
    clients = []
    for _ in range(clicks):
        client = app.test_client()
        login(client, "clerk")
        clients.append(client)
    barrier = threading.Barrier(clicks)
    codes = []

    def click(n):
        barrier.wait()
        response = clients[n].post("/queue/counter/", data={"step": "next", "ticket": ""})
        codes.append(response.status_code)

    run_threads([click] * clicks)
    assert sorted(codes) == [302] + [409] * (clicks - 1), codes
    with app.app_context():
        statuses = [t.status for t in db.session.query(QueueTicket).order_by(QueueTicket.id)]
    assert statuses == ["called"] + ["waiting"] * (clicks - 1), statuses
