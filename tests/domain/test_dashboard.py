"""The dashboard: figures worked out by hand on the March 2019 data set, scoping for staff,
server-side SVG charts."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter

import pytest
from sqlalchemy import event, select, text

from domain import dashboard, month_figures
from domain.svg_charts import bar_chart, hbar_chart
from models import Agency, FigureMonth, db
from tests.support import statements_of

D = dt.date
TODAY = D(2019, 3, 31)


def test_dashboard_figures(march_with_users):
    with march_with_users.app_context():
        d = dashboard.dashboard(db.session, TODAY)
        stp = [db.session.query(Agency).filter_by(code="STP").one().id]
        s = dashboard.dashboard(db.session, TODAY, agency_ids=stp)
    months = [k for k, _ in d["received_by_month"]]
    assert months[0] == "2018-04" and months[-1] == "2019-03" and len(months) == 12
    by_month = dict(d["received_by_month"])
    assert by_month["2019-03"] == {"direct": 5, "online": 4, "postal": 2}  # D11 (Saturday) too
    assert by_month["2019-02"] == {"direct": 3, "online": 0, "postal": 0}  # D1, D2, D17
    assert by_month["2018-12"] == {"direct": 0, "online": 0, "postal": 0}
    fees = dict(d["fees_by_month"])
    assert (fees["2019-03"], fees["2019-02"], fees["2019-01"]) == (215_000, 70_000, 0)
    # Open on 31/03: D9, D10, D16 (paused), D17; D10 (due 25/03) and D17 (due 04/03) overdue.
    assert d["open_now"] == {"open": 4, "paused": 1, "overdue": 2, "due_today": 0}
    # Lateness in working days (as the supervision list): D17 due Mon 04/03 -> 19 working days
    # (05/03..29/03), D10 due Mon 25/03 -> 4 (26/03..29/03); not 27 and 6 calendar days.
    assert [(r["applicant_name"][:3], r["days_late"]) for r in d["overdue_list"]] == [
        ("D17", 19),
        ("D10", 4),
    ]
    # Most overdue first, then most open, then by name.
    assert d["overdue_by_agency"] == [("Sở Giao thông vận tải", 2, 1), ("Sở Tư pháp", 2, 1)]
    # 12 months: SGTVT resolved D1 (late), D2 (late), D3, D4, D5 (late), D6, D7, D11 -> 5/8.
    assert d["on_time_by_agency"] == [
        ("Sở Giao thông vận tải", 8, 5, 62.5),
        ("Sở Tư pháp", 1, 1, 100.0),
    ]
    sat = d["satisfaction"]
    assert sat["ratings"] == {"very_satisfied": 2, "satisfied": 1, "unsatisfied": 0}
    assert sat["satisfied_share"] == 100.0
    assert (sat["forms"], sat["forms_score_share"]) == (4, 96.88)  # 8+8+7+8 of 32
    # Scoped to STP: D8, D9 direct, D15 online in March; D17 in February.
    assert dict(s["received_by_month"])["2019-03"] == {"direct": 2, "online": 1, "postal": 0}
    assert s["open_now"] == {"open": 2, "paused": 0, "overdue": 1, "due_today": 0}
    assert [r["applicant_name"][:3] for r in s["overdue_list"]] == ["D17"]
    assert dict(s["fees_by_month"])["2019-03"] == 30_000
    assert s["on_time_by_agency"] == [("Sở Tư pháp", 1, 1, 100.0)]
    assert s["satisfaction"]["forms"] == 0  # the forms are SGTVT's


def test_dashboard_page_by_role(march_with_users, client):
    assert client.get("/").status_code == 302
    for _role, username in (("manager", "manager1"), ("admin", "admin1")):
        c = march_with_users.test_client()
        c.post("/login", data={"username": username, "password": "correct horse 42"})
        html = c.get("/?until=2019-03").get_data(as_text=True)
        assert html.count("<svg") == 3  # charts drawn on the server
        # No script or style from another site (a random nonce may hold the letters "cdn").
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert "Sở Tư pháp" in html and "D17 carried over" in html
        assert "Từ ngày 01/04/2018 đến ngày 31/03/2019" in html
    staff = march_with_users.test_client()
    staff.post("/login", data={"username": "staff1", "password": "correct horse 42"})
    html = staff.get("/?until=2019-03").get_data(as_text=True)
    assert "D10 overdue" in html and "D17 carried over" not in html
    assert "Sở Tư pháp" not in html


def test_default_window_follows_the_data(march_with_users, client, login_as):
    """Nothing accepted in the last twelve months: the charts end at the last acceptance."""
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    assert "Từ ngày 01/05/2018 đến ngày 02/04/2019" in html  # D12 accepted 02/04/2019


def test_svg_charts_escape_text_and_scale():
    svg = bar_chart(["01/2019", "<b>"], [("a&b", [1, 2]), ("c", [3, 0])], title="t<")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg
    assert svg.count("<rect") == 3 + 2  # three non-zero bars, two legend keys
    svg = hbar_chart([("<script>", 50.0, "50,00%"), ("B", 100.0, "100,00%")], alert_below=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "#d1495b" in svg


@pytest.mark.parametrize(
    "top, ticks",
    [
        (1, ["0", "1", "2", "3", "4"]),
        (5, ["0", "2", "4", "6", "8"]),
        (10, ["0", "3", "6", "9", "12"]),
        (17958, ["0", "5.000", "10.000", "15.000", "20.000"]),
        (150000, ["0", "40.000", "80.000", "120.000", "160.000"]),
    ],
)
def test_bar_chart_ticks_are_distinct_whole_numbers(top, ticks):
    """A month with one dossier read "1 1 0 0 0" up the axis (quarters of 1, rounded)."""
    svg = bar_chart(["11/2026"], [("Trực tiếp", [top])])
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]*)</text>', svg)
    assert labels == ticks


def test_dashboard_page_computes_each_figure_once(march_with_users):
    """Issue 16: the page works out the figures of the moment once (for today), not once for
    the window's end and again for today: no statement on the dossiers is sent twice."""

    c = march_with_users.test_client()
    c.post("/login", data={"username": "manager1", "password": "correct horse 42"})
    march_with_users.extensions.pop("motcua_dashboard", None)  # not from the cache
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if any(f"FROM {t}" in statement for t in ("dossier", "report_day", "report_month")):
            sent.append(statement)

    with march_with_users.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert c.get("/?until=2019-03").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # the figures of the moment (open, overdue by agency, the list) and the months' counts
    assert len(sent) >= 4
    assert [s for s, n in Counter(sent).items() if n > 1] == []


@pytest.mark.commits  # the months are kept in a transaction of their own, as in production
def test_dashboard_page_keeps_whole_months(march_with_users):
    """Issue 16: the twelve months' figures are summed from the per-month and per-day counts
    once, kept, then read: a later view (the page's cache expired) sums no counts (every month
    of the window is whole and kept), reads the dossiers only for the figures of the moment
    (open, overdue) and never the payments, and shows the same page."""
    c = march_with_users.test_client()
    c.post("/login", data={"username": "manager1", "password": "correct horse 42"})
    pages, dossier_reads, day_reads = [], [], []
    for _ in range(3):  # the months' version rows, then their figures, then read
        march_with_users.extensions.pop("motcua_dashboard", None)
        sent = statements_of(march_with_users, lambda: pages.append(c.get("/?until=2019-03")))
        dossier_reads.append([s for s in sent if "FROM dossier" in s or "FROM payment" in s])
        day_reads.append([s for s in sent if "FROM report_day" in s or "FROM report_month" in s])
    assert all(p.status_code == 200 for p in pages)
    # The charts: every month's figures (received, fees) and the on-time share per agency.
    first, last = (re.findall(r"<svg.*?</svg>", p.get_data(as_text=True), re.S) for p in pages[::2])
    assert len(first) == 3 and first == last
    assert [len(r) for r in dossier_reads] == [3, 3, 3]  # open now, by agency, the list
    assert day_reads[0] and not day_reads[2]


@pytest.mark.commits  # another connection holds the lock, as another request would
def test_dashboard_does_not_wait_for_a_writer_to_keep_its_months(march_with_users):
    """A long write (an import) holds the months' rows (PostgreSQL) or the database (SQLite):
    the page is shown at once, the months are kept by a later view."""
    c = march_with_users.test_client()
    c.post("/login", data={"username": "manager1", "password": "correct horse 42"})
    with march_with_users.app_context():
        engine = db.engine

    def kept():
        with march_with_users.app_context():
            return db.session.scalars(
                select(FigureMonth.month).where(FigureMonth.filled == FigureMonth.version)
            ).all()

    march_with_users.extensions.pop("motcua_dashboard", None)
    assert c.get("/?until=2019-03").status_code == 200  # the months' version rows
    with march_with_users.app_context():
        month_figures.forget_all(db.session)
        db.session.commit()
    with engine.connect() as writer:  # (outside a request: BEGIN IMMEDIATE on SQLite)
        writer.execute(text("UPDATE figure_month SET version = version"))
        march_with_users.extensions.pop("motcua_dashboard", None)
        start = time.monotonic()
        assert c.get("/?until=2019-03").status_code == 200
        assert time.monotonic() - start < 2
        writer.rollback()
    assert kept() == []
    march_with_users.extensions.pop("motcua_dashboard", None)
    assert c.get("/?until=2019-03").status_code == 200
    assert "2019-03" in kept()
