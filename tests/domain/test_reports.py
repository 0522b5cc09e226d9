"""The periodic report (design §6) on a small data set whose every figure is worked out by hand.

Period under test: March 2019 (Friday 01/03 to Sunday 31/03; no public holiday in March).
The same expected dict is compared on SQLite and PostgreSQL (the `app` fixture runs both)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from domain.reports import (
    ROW_KEYS,
    build_report,
    cutoff_period,
    month_period,
    parse_month,
    parse_quarter,
    parse_year,
    quarter_period,
    year_period,
)
from models import Agency, db
from tests.factories import EXPECTED_MARCH, MARCH, STP, assert_identity, contract, figures

D = dt.date


def test_march_report_worked_by_hand(march):
    with march.app_context():
        report = build_report(db.session, *MARCH)
    assert contract(report) == EXPECTED_MARCH
    # Key order is part of the contract (JSON consumers and the 06a column order).
    assert list(report)[: len(EXPECTED_MARCH)] == list(EXPECTED_MARCH)  # new keys after them
    assert list(report["rows"][0]) == ["agency_code", "agency_name", *ROW_KEYS]
    assert list(report["totals"]) == list(ROW_KEYS)
    assert_identity(report)
    json.dumps(report)  # plain JSON types only


def test_march_report_by_field(march):
    with march.app_context():
        report = build_report(db.session, *MARCH, by_field=True)
    expected = copy.deepcopy(EXPECTED_MARCH)
    expected["rows"][0]["fields"] = [
        {
            "field_code": "GT-DB",
            "field_name": "Đường bộ",
            **figures(
                received_online=2,
                received_direct=3,
                received_postal=2,
                received_new=7,
                carried_over=1,
                received_total=8,
                resolved_early=1,
                resolved_on_time=4,
                resolved_late=2,
                resolved_total=7,
                pending_overdue=1,
                pending_total=1,
            ),
        },
        {"field_code": "GT-DK", "field_name": "Đăng kiểm", **figures()},
        {
            "field_code": None,
            "field_name": "Khác",
            **figures(
                received_online=1,
                received_new=1,
                received_total=1,
                pending_in_time=1,
                pending_total=1,
            ),
        },
    ]
    expected["rows"][1]["fields"] = [{"field_code": "TP-HT", "field_name": "Hộ tịch", **STP}]
    expected["rows"][2]["fields"] = []
    assert contract(report) == expected
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
    assert (
        tp["received_new"],
        tp["resolved_total"],
        tp["pending_in_time"],
        tp["pending_overdue"],
    ) == (2, 1, 1, 1)
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
        for period in (
            year_period(2019),
            quarter_period(2019, 1),
            cutoff_period(2019, 3),
            month_period(2019, 2),
            (D(2019, 3, 31), D(2019, 3, 31)),
        ):
            for by_field in (False, True):
                assert_identity(build_report(db.session, *period, by_field=by_field))
        year = build_report(db.session, *year_period(2019))
    # The whole year: every accepted dossier is received (none carried over from 2018).
    assert year["totals"]["received_new"] == 15 and year["totals"]["carried_over"] == 0


def test_empty_database_lists_active_agencies_with_zeros(app):
    with app.app_context():
        db.session.add_all(
            [
                Agency(code="B", name="B", sort_order=2),
                Agency(code="A", name="A", sort_order=5),
                Agency(code="C", name="C", sort_order=1, active=False),
            ]
        )
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
    for bad, parser in [
        ("2019-13", parse_month),
        ("2019-Q5", parse_quarter),
        ("19", parse_year),
        ("March", parse_month),
    ]:
        with pytest.raises(ValueError):
            parser(bad)


def test_a_running_period_is_counted_up_to_today(march, frozen_clock):
    """March seen on 25/03: D10, due 25/03 and still open, is not late yet (measured at 31/03 it
    would be overdue); the month so far is the report of 01/03 -> 25/03, its period says so."""
    frozen_clock(D(2019, 3, 25))
    with march.app_context():
        so_far = build_report(db.session, *MARCH)
        until_today = build_report(db.session, D(2019, 3, 1), D(2019, 3, 25))
    assert so_far["period"] == {"from": "2019-03-01", "to": "2019-03-25"}
    assert so_far["rows"][0]["pending_overdue"] == 0
    assert so_far == until_today
    assert_identity(so_far)
