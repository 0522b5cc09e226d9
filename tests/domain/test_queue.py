"""The queue (issue 15 point 3): numbers per group and day, calling, transfer, figures."""

import datetime as dt
import io
import json

import openpyxl
import pytest

from domain import queue
from domain.periods import Period
from domain.report_workbook import write_report_workbook
from domain.reports import build_details, build_report
from domain.service import RuleError
from models import QueueCounter, QueueTicket, ServiceGroup, db
from tests.factories import create_agency, create_user, login

DAY = dt.datetime(2026, 3, 2, 7, 30)


def _setup():
    agency = create_agency()
    a = ServiceGroup(name="Giao thông vận tải", prefix="A", agencies=[agency])
    b = ServiceGroup(name="Tư pháp", prefix="B")
    c1 = QueueCounter(number="1", name="Quầy 1", groups=[a])
    c2 = QueueCounter(number="2", name="Quầy 2", groups=[a, b])
    db.session.add_all([a, b, c1, c2])
    clerk1 = create_user("clerk1", "staff", [agency])
    clerk2 = create_user("clerk2", "staff", [agency])
    db.session.flush()
    queue.take_counter(db.session, c1, clerk1)
    queue.take_counter(db.session, c2, clerk2)
    db.session.commit()
    return a, b, c1, c2, clerk1, clerk2


def test_numbers_run_per_group_and_restart_each_day(app):
    with app.app_context():
        a, b, *_ = _setup()
        numbers = [queue.issue_ticket(db.session, a, DAY).number for _ in range(3)]
        numbers.append(queue.issue_ticket(db.session, b, DAY).number)
        db.session.commit()
        assert numbers == ["A-001", "A-002", "A-003", "B-001"]
        assert queue.waiting_count(db.session, a.id, DAY.date()) == 3
        # Midnight: the next day starts again at 001; yesterday's tickets do not wait today.
        tomorrow = DAY.replace(hour=0, minute=0) + dt.timedelta(days=1)
        late = queue.issue_ticket(db.session, a, DAY.replace(hour=23, minute=59, second=59))
        first = queue.issue_ticket(db.session, a, tomorrow)
        db.session.commit()
        assert (late.number, first.number) == ("A-004", "A-001")
        assert queue.waiting_count(db.session, a.id, tomorrow.date()) == 1
        # A rolled-back ticket leaves no gap.
        queue.issue_ticket(db.session, a, tomorrow)
        db.session.rollback()
        assert queue.issue_ticket(db.session, a, tomorrow).number == "A-002"
        assert queue.format_number("A", 1234) == "A-1234"


def test_inactive_group_gives_no_ticket(app):
    with app.app_context():
        a, *_ = _setup()
        a.active = False
        with pytest.raises(RuleError):
            queue.issue_ticket(db.session, a, DAY)


def test_call_recall_skip_transfer_serve_and_link(app):
    with app.app_context():
        a, b, c1, c2, clerk1, clerk2 = _setup()
        t1 = queue.issue_ticket(db.session, a, DAY)
        t2 = queue.issue_ticket(db.session, b, DAY + dt.timedelta(minutes=1))
        t3 = queue.issue_ticket(db.session, a, DAY + dt.timedelta(minutes=2))
        db.session.commit()
        # Counter 1 calls group A only: A-001, then A-002 (B-001 is not its group).
        at = DAY + dt.timedelta(minutes=5)
        assert queue.call_next(db.session, c1, clerk1, at).number == "A-001"
        queue.recall(db.session, t1, c1, at + dt.timedelta(seconds=30))
        assert t1.calls == 2
        queue.finish(db.session, t1, c1, "skipped", at + dt.timedelta(minutes=1))
        assert queue.call_next(db.session, c1, clerk1, at + dt.timedelta(minutes=2)) == t3
        # Transferred to counter 2: it waits for counter 2 only, and before its own group.
        queue.transfer(db.session, t3, c1, at + dt.timedelta(minutes=3), to_counter=c2)
        assert queue.call_next(db.session, c1, clerk1, at + dt.timedelta(minutes=3)) is None
        assert queue.call_next(db.session, c2, clerk2, at + dt.timedelta(minutes=4)) == t3
        assert t3.first_called_at == at + dt.timedelta(minutes=2)  # its first call counts
        with pytest.raises(RuleError):  # not counter 1's ticket any more
            queue.finish(db.session, t3, c1, "served", at)
        # "Next" at counter 2 finishes A-002 as served and calls B-001.
        assert queue.call_next(db.session, c2, clerk2, at + dt.timedelta(minutes=9)) == t2
        assert t3.status == "served"
        assert t3.finished_at == at + dt.timedelta(minutes=9)
        with pytest.raises(RuleError):
            queue.link_dossier(db.session, t2, "NO-SUCH-CODE")
        db.session.commit()
        board = queue.board(db.session, DAY.date())
        assert {c["counter"]: c["number"] for c in board["counters"]} == {"1": None, "2": "B-001"}
        assert [c["number"] for c in board["last_calls"]] == ["B-001", "A-002", "A-001"]
        status = {g["prefix"]: g for g in queue.group_status(db.session, DAY.date())}
        assert status["A"]["waiting"] == 0 and status["B"]["last_called"] == "B-001"


def test_a_counter_has_one_clerk(app):
    with app.app_context():
        a, b, c1, c2, clerk1, clerk2 = _setup()
        with pytest.raises(RuleError):
            queue.take_counter(db.session, c1, clerk2)
        queue.take_counter(db.session, c2, clerk2)  # again: no change
        assert queue.counter_of(db.session, clerk2) == c2


def _hand_worked():
    """Group A: waits 10 and 20 min, serves 5 min (one skipped); group B: wait 30, serve 15;
    one A ticket never called; one A ticket 40 days before. Counter 1 took both A tickets,
    counter 2 the B ticket."""
    a, b, c1, c2, clerk1, clerk2 = _setup()
    t = DAY
    a1 = queue.issue_ticket(db.session, a, t)
    a2 = queue.issue_ticket(db.session, a, t)
    b1 = queue.issue_ticket(db.session, b, t)
    queue.issue_ticket(db.session, a, t + dt.timedelta(minutes=50))
    queue.issue_ticket(db.session, a, t - dt.timedelta(days=40))  # outside the period
    db.session.commit()
    assert queue.call_next(db.session, c1, clerk1, t + dt.timedelta(minutes=10)) == a1
    queue.finish(db.session, a1, c1, "served", t + dt.timedelta(minutes=15))
    assert queue.call_next(db.session, c1, clerk1, t + dt.timedelta(minutes=20)) == a2
    queue.finish(db.session, a2, c1, "skipped", t + dt.timedelta(minutes=22))
    c2.groups = [b]
    assert queue.call_next(db.session, c2, clerk2, t + dt.timedelta(minutes=30)) == b1
    queue.finish(db.session, b1, c2, "served", t + dt.timedelta(minutes=45))
    db.session.commit()


def test_figures_on_a_hand_worked_set(app):
    with app.app_context():
        _hand_worked()
        figs = queue.figures(db.session, Period.for_month(2026, 3))
        groups = {g["prefix"]: g for g in figs["groups"]}
        assert groups["A"] == {
            "prefix": "A",
            "name": "Giao thông vận tải",
            "issued": 3,
            "called": 2,
            "served": 1,
            "skipped": 1,
            "average_wait_seconds": 900,
            "average_serve_seconds": 300,
        }
        assert groups["B"]["average_wait_seconds"] == 1800
        assert groups["B"]["average_serve_seconds"] == 900
        counters = {c["counter"]: c for c in figs["counters"]}
        assert counters["1"]["called"] == 2 and counters["1"]["served"] == 1
        assert counters["2"]["average_serve_seconds"] == 900
        assert figs["total"]["issued"] == 4
        assert figs["total"]["average_wait_seconds"] == 1200  # (600 + 1200 + 1800) / 3
        assert figs["total"]["average_serve_seconds"] == 600  # (300 + 900) / 2
        assert db.session.query(QueueTicket).count() == 5


def test_figures_in_the_report_json_workbook_and_page(app, tmp_path):

    with app.app_context():
        _hand_worked()
        create_user("boss", "manager")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["report", "--month", "2026-03", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"rows", "totals", "staff_ratings", "courier", "feedback"} <= set(report)
    assert report["queue"]["total"]["average_wait_seconds"] == 1200
    assert [g["prefix"] for g in report["queue"]["groups"]] == ["A", "B"]
    with app.app_context():
        start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
        data = io.BytesIO()
        write_report_workbook(
            data, build_report(db.session, start, end), build_details(db.session, start, end)
        )
    sheet = openpyxl.load_workbook(io.BytesIO(data.getvalue()))["Xếp hàng"]
    rows = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    a_row = next(r for r in rows if r[0] == "A – Giao thông vận tải")
    assert a_row[1:7] == (3, 2, 1, 1, 15, 5) or list(a_row[1:7]) == [3, 2, 1, 1, 15, 5]
    total = next(r for r in rows if r[0] == "Tổng cộng")
    assert list(total[1:7]) == [4, 3, 2, 1, 20, 10]
    assert any(r[0] == "Quầy 2" and r[6] == 15 for r in rows)
    # The totals page.
    client = app.test_client()
    login(client, "boss")
    page = client.get("/queue/figures/?preset=month&month=3&year=2026").get_data(as_text=True)
    assert "15:00" in page and "5:00" in page and "30:00" in page
