"""The periodic report (design §6) on a small data set whose every figure is worked out by hand.

Period under test: March 2019 (Friday 01/03 to Sunday 31/03; no public holiday in March).
The same expected dict is compared on SQLite and PostgreSQL (the `app` fixture runs both)."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from domain.calendar import WorkingCalendar
from domain.reports import (
    ROW_KEYS, build_report, cutoff_period, month_period, parse_month, parse_quarter, parse_year,
    quarter_period, year_period,
)
from models import (
    Agency, CourierItem, CourierRun, Dossier, DossierPause, EvaluationForm, Feedback, Field,
    Payment, Procedure, StaffRating, User, db,
)

D, T = dt.date, dt.datetime
MARCH = (D(2019, 3, 1), D(2019, 3, 31))
CAL = WorkingCalendar()


def assert_identity(report: dict) -> None:
    """received_total = resolved_total + pending_total, and the sums, on every row."""
    rows = list(report["rows"]) + [report["totals"]]
    rows += [f for r in report["rows"] for f in r.get("fields", [])]
    for row in rows:
        assert row["received_total"] == row["resolved_total"] + row["pending_total"], row
        assert row["received_total"] == row["received_new"] + row["carried_over"], row
        assert row["received_new"] == (row["received_online"] + row["received_direct"]
                                       + row["received_postal"]), row
        assert row["resolved_total"] == (row["resolved_early"] + row["resolved_on_time"]
                                         + row["resolved_late"]), row
        assert row["pending_total"] == row["pending_in_time"] + row["pending_overdue"], row
    for key in ROW_KEYS:
        assert report["totals"][key] == sum(r[key] for r in report["rows"]), key
    for row in report["rows"]:
        if "fields" in row:
            for key in ROW_KEYS:
                assert row[key] == sum(f[key] for f in row["fields"]), (row["agency_code"], key)


def figures(**kw) -> dict:
    row = {k: 0 for k in ROW_KEYS}
    row.update(kw)
    return row


def build_march_data(session) -> dict:
    """The hand-built data set. Returns a few objects the tests refer to."""
    gt = Agency(code="SGTVT", name="Sở Giao thông vận tải", sort_order=1)
    tp = Agency(code="STP", name="Sở Tư pháp", sort_order=2)
    xd = Agency(code="SXD", name="Sở Xây dựng", sort_order=3)         # no dossier: a zero row
    old = Agency(code="OLD", name="Cơ quan cũ", sort_order=0, active=False)  # not listed
    road = Field(code="GT-DB", name="Đường bộ", agency=gt)
    inspect = Field(code="GT-DK", name="Đăng kiểm", agency=gt)          # a zero field row
    civil = Field(code="TP-HT", name="Hộ tịch", agency=tp)
    p1 = Procedure(code="1.000001", name="Cấp giấy phép lái xe", agency=gt, field=road,
                   processing_days=3)
    p2 = Procedure(code="1.000002", name="Thủ tục không lĩnh vực", agency=gt, processing_days=5)
    p3 = Procedure(code="1.000003", name="Đăng ký khai sinh", agency=tp, field=civil,
                   processing_days=10)
    staff = User(username="cb1", full_name="Cán bộ 1", role="staff", password_hash="x",
                 agencies=[gt])
    session.add_all([gt, tp, xd, old, road, inspect, civil, p1, p2, p3, staff])
    session.flush()

    def dossier(name, proc, channel, accepted, status, due=None, **kw):
        if due is None and accepted is not None:
            due = CAL.due_date(accepted, proc.processing_days)
        d = Dossier(applicant_name=name, procedure=proc, agency_id=proc.agency_id,
                    channel=channel, accepted_at=accepted, due_date=due, status=status, **kw)
        session.add(d)
        return d

    # SGTVT
    d1 = dossier("D1 carried over, late", p1, "direct", T(2019, 2, 25, 9), 10,
                 resolved_at=T(2019, 3, 1, 10), returned_at=T(2019, 3, 4, 9),
                 return_channel="postal")
    assert d1.due_date == D(2019, 2, 28)
    d2 = dossier("D2 closed before the period", p1, "direct", T(2019, 2, 20, 9), 10,
                 resolved_at=T(2019, 2, 27, 9), returned_at=T(2019, 2, 28, 9),
                 return_channel="postal")
    d3 = dossier("D3 online, early", p1, "online", T(2019, 3, 4, 8), 9,
                 resolved_at=T(2019, 3, 6, 16))
    assert d3.due_date == D(2019, 3, 7)
    d4 = dossier("D4 direct, on time at 23:59:59", p1, "direct", T(2019, 3, 4, 8), 10,
                 resolved_at=T(2019, 3, 7, 23, 59, 59), returned_at=T(2019, 3, 8, 9),
                 return_channel="counter")
    d5 = dossier("D5 postal, late at 00:00 next day", p1, "postal", T(2019, 3, 4, 8), 9,
                 resolved_at=T(2019, 3, 8, 0, 0, 0))
    # D6: due 14/03; a pause 12/03 -> 15/03 moves it by the working days 13, 14, 15 -> 19/03.
    d6 = dossier("D6 pause moved the due date", p1, "direct", T(2019, 3, 11, 8), 9,
                 due=CAL.due_date_after_pause(D(2019, 3, 14), D(2019, 3, 12), D(2019, 3, 15)),
                 resolved_at=T(2019, 3, 19, 10))
    assert d6.due_date == D(2019, 3, 19)
    session.add(DossierPause(dossier=d6, kind="supplement", started_on=D(2019, 3, 12),
                             ended_on=D(2019, 3, 15), reason="thiếu giấy tờ"))
    dossier("D7 withdrawn", p1, "online", T(2019, 3, 12, 8), 7, closed_at=T(2019, 3, 13, 9))
    d10 = dossier("D10 overdue at the period end", p1, "direct", T(2019, 3, 20, 8), 4)
    assert d10.due_date == D(2019, 3, 25)
    # Saturday 02/03: the clock starts Monday 04/03, due Thursday 07/03.
    d11 = dossier("D11 Saturday acceptance", p1, "postal", T(2019, 3, 2, 9), 10,
                  resolved_at=T(2019, 3, 7, 15), returned_at=T(2019, 4, 1, 9),
                  return_channel="postal")
    assert d11.due_date == D(2019, 3, 7)
    d12 = dossier("D12 another period", p1, "direct", T(2019, 4, 2, 8), 9,
                  resolved_at=T(2019, 4, 3, 8))
    dossier("D13 refused", p1, "direct", None, 3, submitted_at=T(2019, 3, 5, 8),
            closed_at=T(2019, 3, 5, 9))
    dossier("D14 online, never accepted", p1, "online", None, 1, submitted_at=T(2019, 3, 10, 8))
    # D16: due 25/03 < 31/03 but paused now: counted in time.
    d16 = dossier("D16 paused", p2, "online", T(2019, 3, 18, 8), 5)
    assert d16.due_date == D(2019, 3, 25)
    # STP
    d8 = dossier("D8 stopped", p3, "direct", T(2019, 3, 5, 8), 8, closed_at=T(2019, 3, 20, 9))
    assert d8.due_date == D(2019, 3, 19)
    d9 = dossier("D9 pending in time", p3, "direct", T(2019, 3, 25, 8), 4)
    assert d9.due_date == D(2019, 4, 8)
    d15 = dossier("D15 resolved after the period", p3, "online", T(2019, 3, 28, 8), 9,
                  resolved_at=T(2019, 4, 3, 8))
    assert d15.due_date == D(2019, 4, 11)
    d17 = dossier("D17 carried over, overdue", p3, "direct", T(2019, 2, 18, 8), 4)
    assert d17.due_date == D(2019, 3, 4)
    session.flush()

    # Payments: 50.000 + 135.000 + 30.000 (23:59 on the last day); cancelled and outside excluded.
    session.add_all([
        Payment(dossier=d3, amount_vnd=50_000, method="cash", paid_at=T(2019, 3, 4, 8, 30)),
        Payment(dossier=d4, amount_vnd=135_000, method="bank_transfer",
                paid_at=T(2019, 3, 4, 8, 40)),
        Payment(dossier=d5, amount_vnd=200_000, method="cash", paid_at=T(2019, 3, 4, 9),
                cancelled_at=T(2019, 3, 4, 10), cancel_reason="nhầm"),
        Payment(dossier=d9, amount_vnd=30_000, method="online", paid_at=T(2019, 3, 31, 23, 59)),
        Payment(dossier=d1, amount_vnd=70_000, method="cash", paid_at=T(2019, 2, 28, 23, 59, 59)),
        Payment(dossier=d12, amount_vnd=90_000, method="cash", paid_at=T(2019, 4, 2, 8)),
    ])
    # Ratings: 2 very satisfied, 1 satisfied; a cancelled one and an April one excluded.
    session.add_all([
        StaffRating(staff=staff, level="very_satisfied", rated_at=T(2019, 3, 4, 9)),
        StaffRating(staff=staff, level="very_satisfied", rated_at=T(2019, 3, 31, 23)),
        StaffRating(staff=staff, level="satisfied", rated_at=T(2019, 3, 15, 9)),
        StaffRating(staff=staff, level="unsatisfied", rated_at=T(2019, 3, 15, 10),
                    cancelled_at=T(2019, 3, 15, 11), cancel_reason="bấm nhầm"),
        StaffRating(staff=staff, level="unsatisfied", rated_at=T(2019, 4, 1, 0)),
    ])
    # Evaluation forms: 8/8 twice, 7/8 once; a cancelled 4/8 and a February 8/8 excluded.
    for score, at, cancelled in [(8, T(2019, 3, 4), None), (8, T(2019, 3, 29), None),
                                 (7, T(2019, 3, 10), None), (4, T(2019, 3, 11), T(2019, 3, 12)),
                                 (8, T(2019, 2, 28, 23), None)]:
        session.add(EvaluationForm(agency=gt, form_set="citizen_2019", submitted_at=at,
                                   score=score, max_score=8, cancelled_at=cancelled,
                                   cancel_reason="trùng" if cancelled else None))
    # Feedback: F1 on time, F2 answered late, F3 unanswered, F5 answered after the period;
    # F4 received in February.
    for name, received, due, answered in [
            ("F1", T(2019, 3, 5, 9), D(2019, 3, 19), T(2019, 3, 19, 17)),
            ("F2", T(2019, 3, 6, 9), D(2019, 3, 20), T(2019, 3, 21, 8)),
            ("F3", T(2019, 3, 28, 9), D(2019, 4, 11), None),
            ("F4", T(2019, 2, 28, 9), D(2019, 3, 14), T(2019, 3, 1, 9)),
            ("F5", T(2019, 3, 29, 9), D(2019, 4, 12), T(2019, 4, 2, 9))]:
        session.add(Feedback(channel="hotline", received_at=received, sender=name,
                             subject=name, content="...", due_date=due, answered_at=answered,
                             status="answered" if answered else "new"))
    # Courier: 3 dossiers to the agency, 2 back; an April run excluded.
    run1 = CourierRun(run_date=D(2019, 3, 5), slot="10:30", direction="to_agency", agency=gt)
    run2 = CourierRun(run_date=D(2019, 3, 7), slot="16:00", direction="to_center", agency=gt)
    run3 = CourierRun(run_date=D(2019, 4, 1), slot="10:30", direction="to_agency", agency=gt)
    session.add_all([run1, run2, run3])
    session.flush()
    session.add_all([CourierItem(run=run1, dossier=d) for d in (d3, d4, d5)]
                    + [CourierItem(run=run2, dossier=d) for d in (d3, d4)]
                    + [CourierItem(run=run3, dossier=d12)])
    session.commit()
    return {"d2": d2, "d12": d12}


SGTVT = figures(received_online=3, received_direct=3, received_postal=2, received_new=8,
                carried_over=1, received_total=9,
                resolved_early=1, resolved_on_time=4, resolved_late=2, resolved_total=7,
                pending_in_time=1, pending_overdue=1, pending_total=2)
STP = figures(received_online=1, received_direct=2, received_new=3, carried_over=1,
              received_total=4, resolved_on_time=1, resolved_total=1,
              pending_in_time=2, pending_overdue=1, pending_total=3)

EXPECTED_MARCH = {
    "period": {"from": "2019-03-01", "to": "2019-03-31"},
    "rows": [
        {"agency_code": "SGTVT", "agency_name": "Sở Giao thông vận tải", **SGTVT},
        {"agency_code": "STP", "agency_name": "Sở Tư pháp", **STP},
        {"agency_code": "SXD", "agency_name": "Sở Xây dựng", **figures()},
    ],
    "totals": figures(received_online=4, received_direct=5, received_postal=2, received_new=11,
                      carried_over=2, received_total=13,
                      resolved_early=1, resolved_on_time=5, resolved_late=2, resolved_total=8,
                      pending_in_time=3, pending_overdue=2, pending_total=5),
    "returned_by_post": 1,
    "fees_collected_vnd": 215_000,
    "staff_ratings": {"very_satisfied": 2, "satisfied": 1, "unsatisfied": 0, "total": 3},
    "evaluation_forms": {"total": 3, "by_score": {"8/8": 2, "7/8": 1}},
    "feedback": {"received": 4, "answered": 2, "answered_on_time": 1},
    "courier": {"to_agencies": 3, "to_center": 2},
    # No queue tickets in March 2019 (tests/test_queue.py works the queue's figures by hand).
    "queue": {"total": {"issued": 0, "called": 0, "served": 0, "skipped": 0,
                        "average_wait_seconds": None, "average_serve_seconds": None},
              "groups": [], "counters": []},
}


@pytest.fixture
def march(app):
    with app.app_context():
        build_march_data(db.session)
    return app


def test_march_report_worked_by_hand(march):
    with march.app_context():
        report = build_report(db.session, *MARCH)
    assert report == EXPECTED_MARCH
    # Key order is part of the contract (JSON consumers and the 06a column order).
    assert list(report) == list(EXPECTED_MARCH)
    assert list(report["rows"][0]) == ["agency_code", "agency_name", *ROW_KEYS]
    assert list(report["totals"]) == list(ROW_KEYS)
    assert_identity(report)
    json.dumps(report)  # plain JSON types only


def test_march_report_by_field(march):
    with march.app_context():
        report = build_report(db.session, *MARCH, by_field=True)
    expected = copy.deepcopy(EXPECTED_MARCH)
    expected["rows"][0]["fields"] = [
        {"field_code": "GT-DB", "field_name": "Đường bộ",
         **figures(received_online=2, received_direct=3, received_postal=2, received_new=7,
                   carried_over=1, received_total=8, resolved_early=1, resolved_on_time=4,
                   resolved_late=2, resolved_total=7, pending_overdue=1, pending_total=1)},
        {"field_code": "GT-DK", "field_name": "Đăng kiểm", **figures()},
        {"field_code": None, "field_name": "Khác",
         **figures(received_online=1, received_new=1, received_total=1, pending_in_time=1,
                   pending_total=1)},
    ]
    expected["rows"][1]["fields"] = [{"field_code": "TP-HT", "field_name": "Hộ tịch", **STP}]
    expected["rows"][2]["fields"] = []
    assert report == expected
    assert_identity(report)


def test_pending_due_on_the_last_day_is_in_time(march):
    """Period 01/03 -> 25/03: D10 (due 25/03) is in time; D16 (paused) too; D17 (due 04/03) is
    overdue; D9 accepted 25/03 is pending in time; D6 resolved 19/03 counts."""
    with march.app_context():
        report = build_report(db.session, D(2019, 3, 1), D(2019, 3, 25))
    gt, tp = report["rows"][0], report["rows"][1]
    # SGTVT: D1 D3 D4 D5 D6 D7 D11 resolved; D10 and D16 pending in time.
    assert (gt["resolved_total"], gt["pending_in_time"], gt["pending_overdue"]) == (7, 2, 0)
    # STP: D8 resolved; D9 in time; D17 overdue; D15 not yet accepted.
    assert (tp["received_new"], tp["resolved_total"], tp["pending_in_time"],
            tp["pending_overdue"]) == (2, 1, 1, 1)
    assert_identity(report)


def test_carried_over_into_april(march):
    """April 2019: carried over = dossiers still open on 01/04 (D9, D10, D15, D16, D17)."""
    with march.app_context():
        report = build_report(db.session, *month_period(2019, 4))
    gt, tp = report["rows"][0], report["rows"][1]
    assert gt["carried_over"] == 2 and tp["carried_over"] == 3
    assert gt["received_new"] == 1  # D12
    # D12 resolved 03/04 (due 05/04: early); D15 resolved 03/04 (due 11/04: early).
    assert gt["resolved_early"] == 1 and tp["resolved_early"] == 1
    assert report["returned_by_post"] == 1  # D11 on 01/04
    assert report["courier"] == {"to_agencies": 1, "to_center": 0}
    assert_identity(report)


def test_reports_of_every_preset_keep_the_identity(march):
    with march.app_context():
        for period in (year_period(2019), quarter_period(2019, 1), cutoff_period(2019, 3),
                       month_period(2019, 2), (D(2019, 3, 31), D(2019, 3, 31))):
            for by_field in (False, True):
                assert_identity(build_report(db.session, *period, by_field=by_field))
        year = build_report(db.session, *year_period(2019))
    # The whole year: every accepted dossier is received (none carried over from 2018).
    assert year["totals"]["received_new"] == 15 and year["totals"]["carried_over"] == 0


def test_empty_database_lists_active_agencies_with_zeros(app):
    with app.app_context():
        db.session.add_all([Agency(code="B", name="B", sort_order=2),
                            Agency(code="A", name="A", sort_order=5),
                            Agency(code="C", name="C", sort_order=1, active=False)])
        db.session.commit()
        report = build_report(db.session, *MARCH)
    assert [r["agency_code"] for r in report["rows"]] == ["B", "A"]
    assert report["totals"] == figures()
    assert report["evaluation_forms"] == {"total": 0, "by_score": {}}


def test_period_presets():
    assert month_period(2019, 2) == (D(2019, 2, 1), D(2019, 2, 28))
    assert month_period(2020, 2) == (D(2020, 2, 1), D(2020, 2, 29))
    assert quarter_period(2019, 1) == (D(2019, 1, 1), D(2019, 3, 31))
    assert quarter_period(2019, 4) == (D(2019, 10, 1), D(2019, 12, 31))
    assert year_period(2019) == (D(2019, 1, 1), D(2019, 12, 31))
    assert cutoff_period(2019, 3) == (D(2019, 2, 15), D(2019, 3, 14))
    assert cutoff_period(2019, 1) == (D(2018, 12, 15), D(2019, 1, 14))
    assert parse_month("2019-03") == MARCH
    assert parse_quarter("2019-Q2") == (D(2019, 4, 1), D(2019, 6, 30))
    assert parse_year("2019") == (D(2019, 1, 1), D(2019, 12, 31))
    for bad, parser in [("2019-13", parse_month), ("2019-Q5", parse_quarter),
                        ("19", parse_year), ("March", parse_month)]:
        with pytest.raises(ValueError):
            parser(bad)
