"""Test data shared by the test modules: agencies, users, logins, a request helper, and the
`march` data set (March 2019, every report figure worked out by hand) with its expected report.
Test modules import from here, never from each other."""

from __future__ import annotations

import datetime as dt
import functools
import re

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from domain.calendar import WorkingCalendar
from domain.reports import ROW_KEYS
from models import (
    Agency,
    CourierItem,
    CourierRun,
    Dossier,
    DossierPause,
    EvaluationForm,
    Feedback,
    Field,
    Payment,
    Procedure,
    StaffRating,
    User,
    db,
)

PASSWORD = "correct horse 42"


# ---- agencies, users, logins -----------------------------------------------------------------


def create_agency(code="SGTVT", name="Sở Giao thông vận tải", **kw) -> Agency:
    agency = Agency(
        code=code,
        name=name,
        short_name=kw.pop("short_name", name),
        kind=kw.pop("kind", "department"),
        **kw,
    )
    db.session.add(agency)
    db.session.flush()
    return agency


# The suite logs in well over a thousand times, and scrypt's production cost (N=2**15,
# User.set_password) is ~0.1 s of CPU per check by design. The factories' users carry a scrypt
# hash of low cost (N=2**10): the login checks it by the same code path; the production cost
# is tested on User.set_password itself (tests/views/test_auth.py).
TEST_HASH_METHOD = "scrypt:1024:8:1"


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    return generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


def licence_procedure(agency=None, **kw) -> Procedure:
    """The procedure most tests use: re-issuing a driving licence (GPLX), 5 working days; any
    column may be given (agency_id=…, fee_items=[…], documents=[…])."""
    values = dict(code="1.002809", name="Cấp lại Giấy phép lái xe", processing_days=5)
    return Procedure(**values, **({"agency": agency} if agency is not None else {}), **kw)


def create_user(username, role, agencies=(), password=PASSWORD) -> User:
    user = User(username=username, role=role, full_name=username.title(), agencies=list(agencies))
    if password == PASSWORD:
        user.password_hash = _password_hash()  # hashed once, at low cost
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_users() -> dict:
    """One user per role; staff belong to agency SGTVT (agency STP exists too).
    Returns {role: username}."""
    agency = create_agency()
    create_agency(code="STP", name="Sở Tư pháp")
    create_user("admin1", "admin")
    create_user("staff1", "staff", [agency])
    create_user("manager1", "manager")
    db.session.commit()
    return {"admin": "admin1", "staff": "staff1", "manager": "manager1"}


def user_agencies() -> tuple[Agency, Agency]:
    """The two agencies create_users() makes: SGTVT (staff1's) and STP (nobody's)."""
    by_code = {
        a.code: a
        for a in db.session.scalars(select(Agency).where(Agency.code.in_(("SGTVT", "STP"))))
    }
    return by_code["SGTVT"], by_code["STP"]


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def login_with_csrf(client, username, password=PASSWORD):
    """The login form posted as the browser sends it (with its CSRF token): for an app with
    CSRF checks on (the csrf_app fixture)."""
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )


def csrf_token(client, url) -> str:
    """The CSRF token of the form on the page at `url`."""
    match = re.search(
        rb'name="csrf_token" type="hidden" value="([^"]+)"'
        rb'|name="csrf_token" value="([^"]+)"',
        client.get(url).data,
    )
    assert match, "form without a CSRF token"
    return (match.group(1) or match.group(2)).decode()


def client_request(client, url, *, username=None, method="GET", status=200, **kwargs):
    """Log in as `username` (when given), send the request, assert the status; the response.
    The `client_request` fixture (tests/conftest.py) takes a role instead of a username."""
    if username is not None:
        response = login(client, username)
        assert response.status_code == 302, response.data[:500]
    response = client.open(url, method=method, **kwargs)
    assert response.status_code == status, (method, url, response.status_code, response.data[:500])
    return response


# ---- the March 2019 data set of the report tests (design §6) -----------------------------------

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
        assert row["received_new"] == (
            row["received_online"] + row["received_direct"] + row["received_postal"]
        ), row
        assert row["resolved_total"] == (
            row["resolved_early"] + row["resolved_on_time"] + row["resolved_late"]
        ), row
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
    xd = Agency(code="SXD", name="Sở Xây dựng", sort_order=3)  # no dossier: a zero row
    old = Agency(code="OLD", name="Cơ quan cũ", sort_order=0, active=False)  # not listed
    road = Field(code="GT-DB", name="Đường bộ", agency=gt)
    inspect = Field(code="GT-DK", name="Đăng kiểm", agency=gt)  # a zero field row
    civil = Field(code="TP-HT", name="Hộ tịch", agency=tp)
    p1 = Procedure(
        code="1.000001", name="Cấp giấy phép lái xe", agency=gt, field=road, processing_days=3
    )
    p2 = Procedure(code="1.000002", name="Thủ tục không lĩnh vực", agency=gt, processing_days=5)
    p3 = Procedure(
        code="1.000003", name="Đăng ký khai sinh", agency=tp, field=civil, processing_days=10
    )
    staff = User(
        username="cb1", full_name="Cán bộ 1", role="staff", password_hash="x", agencies=[gt]
    )
    session.add_all([gt, tp, xd, old, road, inspect, civil, p1, p2, p3, staff])
    session.flush()

    def dossier(name, proc, channel, accepted, status, due=None, **kw):
        if due is None and accepted is not None:
            due = CAL.due_date(accepted, proc.processing_days)
        d = Dossier(
            applicant_name=name,
            procedure=proc,
            agency_id=proc.agency_id,
            channel=channel,
            accepted_at=accepted,
            due_date=due,
            status=status,
            **kw,
        )
        session.add(d)
        return d

    # SGTVT
    d1 = dossier(
        "D1 carried over, late",
        p1,
        "direct",
        T(2019, 2, 25, 9),
        10,
        resolved_at=T(2019, 3, 1, 10),
        returned_at=T(2019, 3, 4, 9),
        return_channel="postal",
    )
    assert d1.due_date == D(2019, 2, 28)
    d2 = dossier(
        "D2 closed before the period",
        p1,
        "direct",
        T(2019, 2, 20, 9),
        10,
        resolved_at=T(2019, 2, 27, 9),
        returned_at=T(2019, 2, 28, 9),
        return_channel="postal",
    )
    d3 = dossier(
        "D3 online, early", p1, "online", T(2019, 3, 4, 8), 9, resolved_at=T(2019, 3, 6, 16)
    )
    assert d3.due_date == D(2019, 3, 7)
    d4 = dossier(
        "D4 direct, on time at 23:59:59",
        p1,
        "direct",
        T(2019, 3, 4, 8),
        10,
        resolved_at=T(2019, 3, 7, 23, 59, 59),
        returned_at=T(2019, 3, 8, 9),
        return_channel="counter",
    )
    d5 = dossier(
        "D5 postal, late at 00:00 next day",
        p1,
        "postal",
        T(2019, 3, 4, 8),
        9,
        resolved_at=T(2019, 3, 8, 0, 0, 0),
    )
    # D6: due 14/03; a pause 12/03 -> 15/03 moves it by the working days 13, 14, 15 -> 19/03.
    d6 = dossier(
        "D6 pause moved the due date",
        p1,
        "direct",
        T(2019, 3, 11, 8),
        9,
        due=CAL.due_date_after_pause(D(2019, 3, 14), D(2019, 3, 12), D(2019, 3, 15)),
        resolved_at=T(2019, 3, 19, 10),
    )
    assert d6.due_date == D(2019, 3, 19)
    session.add(
        DossierPause(
            dossier=d6,
            kind="supplement",
            started_on=D(2019, 3, 12),
            ended_on=D(2019, 3, 15),
            reason="thiếu giấy tờ",
        )
    )
    dossier("D7 withdrawn", p1, "online", T(2019, 3, 12, 8), 7, closed_at=T(2019, 3, 13, 9))
    d10 = dossier("D10 overdue at the period end", p1, "direct", T(2019, 3, 20, 8), 4)
    assert d10.due_date == D(2019, 3, 25)
    # Saturday 02/03: the clock starts Monday 04/03, due Thursday 07/03.
    d11 = dossier(
        "D11 Saturday acceptance",
        p1,
        "postal",
        T(2019, 3, 2, 9),
        10,
        resolved_at=T(2019, 3, 7, 15),
        returned_at=T(2019, 4, 1, 9),
        return_channel="postal",
    )
    assert d11.due_date == D(2019, 3, 7)
    d12 = dossier(
        "D12 another period", p1, "direct", T(2019, 4, 2, 8), 9, resolved_at=T(2019, 4, 3, 8)
    )
    dossier(
        "D13 refused",
        p1,
        "direct",
        None,
        3,
        submitted_at=T(2019, 3, 5, 8),
        closed_at=T(2019, 3, 5, 9),
    )
    dossier("D14 online, never accepted", p1, "online", None, 1, submitted_at=T(2019, 3, 10, 8))
    # D16: due 25/03 < 31/03 but paused now: counted in time.
    d16 = dossier("D16 paused", p2, "online", T(2019, 3, 18, 8), 5)
    assert d16.due_date == D(2019, 3, 25)
    # STP
    d8 = dossier("D8 stopped", p3, "direct", T(2019, 3, 5, 8), 8, closed_at=T(2019, 3, 20, 9))
    assert d8.due_date == D(2019, 3, 19)
    d9 = dossier("D9 pending in time", p3, "direct", T(2019, 3, 25, 8), 4)
    assert d9.due_date == D(2019, 4, 8)
    d15 = dossier(
        "D15 resolved after the period",
        p3,
        "online",
        T(2019, 3, 28, 8),
        9,
        resolved_at=T(2019, 4, 3, 8),
    )
    assert d15.due_date == D(2019, 4, 11)
    d17 = dossier("D17 carried over, overdue", p3, "direct", T(2019, 2, 18, 8), 4)
    assert d17.due_date == D(2019, 3, 4)
    session.flush()

    # Payments: 50.000 + 135.000 + 30.000 (23:59 on the last day); cancelled and outside excluded.
    session.add_all(
        [
            Payment(dossier=d3, amount_vnd=50_000, method="cash", paid_at=T(2019, 3, 4, 8, 30)),
            Payment(
                dossier=d4, amount_vnd=135_000, method="bank_transfer", paid_at=T(2019, 3, 4, 8, 40)
            ),
            Payment(
                dossier=d5,
                amount_vnd=200_000,
                method="cash",
                paid_at=T(2019, 3, 4, 9),
                cancelled_at=T(2019, 3, 4, 10),
                cancel_reason="nhầm",
            ),
            Payment(dossier=d9, amount_vnd=30_000, method="online", paid_at=T(2019, 3, 31, 23, 59)),
            Payment(
                dossier=d1, amount_vnd=70_000, method="cash", paid_at=T(2019, 2, 28, 23, 59, 59)
            ),
            Payment(dossier=d12, amount_vnd=90_000, method="cash", paid_at=T(2019, 4, 2, 8)),
        ]
    )
    # Ratings: 2 very satisfied, 1 satisfied; a cancelled one and an April one excluded.
    session.add_all(
        [
            StaffRating(staff=staff, level="very_satisfied", rated_at=T(2019, 3, 4, 9)),
            StaffRating(staff=staff, level="very_satisfied", rated_at=T(2019, 3, 31, 23)),
            StaffRating(staff=staff, level="satisfied", rated_at=T(2019, 3, 15, 9)),
            StaffRating(
                staff=staff,
                level="unsatisfied",
                rated_at=T(2019, 3, 15, 10),
                cancelled_at=T(2019, 3, 15, 11),
                cancel_reason="bấm nhầm",
            ),
            StaffRating(staff=staff, level="unsatisfied", rated_at=T(2019, 4, 1, 0)),
        ]
    )
    # Evaluation forms: 8/8 twice, 7/8 once; a cancelled 4/8 and a February 8/8 excluded.
    for score, at, cancelled in [
        (8, T(2019, 3, 4), None),
        (8, T(2019, 3, 29), None),
        (7, T(2019, 3, 10), None),
        (4, T(2019, 3, 11), T(2019, 3, 12)),
        (8, T(2019, 2, 28, 23), None),
    ]:
        session.add(
            EvaluationForm(
                agency=gt,
                form_set="citizen_2019",
                submitted_at=at,
                score=score,
                max_score=8,
                cancelled_at=cancelled,
                cancel_reason="trùng" if cancelled else None,
            )
        )
    # Feedback: F1 on time, F2 answered late, F3 unanswered, F5 answered after the period;
    # F4 received in February.
    for name, received, due, answered in [
        ("F1", T(2019, 3, 5, 9), D(2019, 3, 19), T(2019, 3, 19, 17)),
        ("F2", T(2019, 3, 6, 9), D(2019, 3, 20), T(2019, 3, 21, 8)),
        ("F3", T(2019, 3, 28, 9), D(2019, 4, 11), None),
        ("F4", T(2019, 2, 28, 9), D(2019, 3, 14), T(2019, 3, 1, 9)),
        ("F5", T(2019, 3, 29, 9), D(2019, 4, 12), T(2019, 4, 2, 9)),
    ]:
        session.add(
            Feedback(
                channel="hotline",
                received_at=received,
                sender=name,
                subject=name,
                content="...",
                due_date=due,
                answered_at=answered,
                status="answered" if answered else "new",
            )
        )
    # Courier: 3 dossiers to the agency, 2 back; an April run excluded.
    run1 = CourierRun(run_date=D(2019, 3, 5), slot="10:30", direction="to_agency", agency=gt)
    run2 = CourierRun(run_date=D(2019, 3, 7), slot="16:00", direction="to_center", agency=gt)
    run3 = CourierRun(run_date=D(2019, 4, 1), slot="10:30", direction="to_agency", agency=gt)
    session.add_all([run1, run2, run3])
    session.flush()
    session.add_all(
        [CourierItem(run=run1, dossier=d) for d in (d3, d4, d5)]
        + [CourierItem(run=run2, dossier=d) for d in (d3, d4)]
        + [CourierItem(run=run3, dossier=d12)]
    )
    session.commit()
    return {"d2": d2, "d12": d12}


SGTVT = figures(
    received_online=3,
    received_direct=3,
    received_postal=2,
    received_new=8,
    carried_over=1,
    received_total=9,
    resolved_early=1,
    resolved_on_time=4,
    resolved_late=2,
    resolved_total=7,
    pending_in_time=1,
    pending_overdue=1,
    pending_total=2,
)
STP = figures(
    received_online=1,
    received_direct=2,
    received_new=3,
    carried_over=1,
    received_total=4,
    resolved_on_time=1,
    resolved_total=1,
    pending_in_time=2,
    pending_overdue=1,
    pending_total=3,
)

EXPECTED_MARCH = {
    "period": {"from": "2019-03-01", "to": "2019-03-31"},
    "rows": [
        {"agency_code": "SGTVT", "agency_name": "Sở Giao thông vận tải", **SGTVT},
        {"agency_code": "STP", "agency_name": "Sở Tư pháp", **STP},
        {"agency_code": "SXD", "agency_name": "Sở Xây dựng", **figures()},
    ],
    "totals": figures(
        received_online=4,
        received_direct=5,
        received_postal=2,
        received_new=11,
        carried_over=2,
        received_total=13,
        resolved_early=1,
        resolved_on_time=5,
        resolved_late=2,
        resolved_total=8,
        pending_in_time=3,
        pending_overdue=2,
        pending_total=5,
    ),
    "returned_by_post": 1,
    "fees_collected_vnd": 215_000,
    "staff_ratings": {"very_satisfied": 2, "satisfied": 1, "unsatisfied": 0, "total": 3},
    "evaluation_forms": {"total": 3, "by_score": {"8/8": 2, "7/8": 1}},
    "feedback": {"received": 4, "answered": 2, "answered_on_time": 1},
    "courier": {"to_agencies": 3, "to_center": 2},
    # No queue tickets in March 2019 (tests/test_queue.py works the queue's figures by hand).
    "queue": {
        "total": {
            "issued": 0,
            "called": 0,
            "served": 0,
            "skipped": 0,
            "average_wait_seconds": None,
            "average_serve_seconds": None,
        },
        "groups": [],
        "counters": [],
    },
    # No file in this data set: nothing scanned, no electronic result (0 %, or "no share" where
    # there is nothing). Received = received_new; resolved = statuses 9/10 only (D7 withdrawn
    # and D8 stopped are closed, not resolved with a result). tests/domain/test_digitisation.py.
    "digitisation": {
        "received": 11,
        "received_scanned": 0,
        "received_scanned_share": 0.0,
        "resolved": 6,
        "resolved_with_result": 0,
        "resolved_with_result_share": 0.0,
        "rows": [
            {
                "agency_code": "SGTVT",
                "agency_name": "Sở Giao thông vận tải",
                "received": 8,
                "received_scanned": 0,
                "received_scanned_share": 0.0,
                "resolved": 6,
                "resolved_with_result": 0,
                "resolved_with_result_share": 0.0,
            },
            {
                "agency_code": "STP",
                "agency_name": "Sở Tư pháp",
                "received": 3,
                "received_scanned": 0,
                "received_scanned_share": 0.0,
                "resolved": 0,
                "resolved_with_result": 0,
                "resolved_with_result_share": None,
            },
            {
                "agency_code": "SXD",
                "agency_name": "Sở Xây dựng",
                "received": 0,
                "received_scanned": 0,
                "received_scanned_share": None,
                "resolved": 0,
                "resolved_with_result": 0,
                "resolved_with_result_share": None,
            },
        ],
    },
}

# The keys the report gained beside those of design §6 (issue 13 point 3).
NEW_REPORT_KEYS = {"method", "official_form", "late_dossiers"}


def contract(report: dict) -> dict:
    """The report restricted to the keys of design §6, after checking it has exactly those and
    the new ones: the §6 keys and their values never change."""
    assert set(report) == set(EXPECTED_MARCH) | NEW_REPORT_KEYS
    return {k: report[k] for k in EXPECTED_MARCH}


def service_records(agency, dossier, staff, at: dt.datetime, rated_dossier=None) -> dict:
    """One record of each service screen about a dossier (not added to the session): its
    payment, a rating of `staff` (about `rated_dossier`), an evaluation form and a feedback."""
    return {
        "payment": Payment(dossier=dossier, amount_vnd=135000, method="cash", paid_at=at),
        "staff_rating": StaffRating(
            staff_id=staff.id, level="satisfied", rated_at=at, dossier=rated_dossier
        ),
        "evaluation_form": EvaluationForm(
            agency=agency,
            dossier=dossier,
            form_set="citizen_2019",
            submitted_at=at,
            score=8,
            max_score=8,
        ),
        "feedback": Feedback(
            channel="hotline",
            received_at=at,
            sender="Trần Bình",
            subject="Hỏi",
            content="Nội dung",
            agency=agency,
            due_date=dt.date(2019, 3, 18),
        ),
    }


def report_catalog(session):
    """Three agencies, two fields of the first, six procedures (every third with a field): the
    small catalog of the report's random-data tests. Returns (agencies, procedures), flushed."""
    agencies = [Agency(code=f"A{i}", name=f"Cơ quan {i}", sort_order=i) for i in range(3)]
    fields = [Field(code=f"F{i}", name=f"Lĩnh vực {i}", agency=agencies[0]) for i in range(2)]
    procedures = [
        Procedure(
            code=f"1.00000{i}",
            name=f"P{i}",
            agency=agencies[i % 3],
            field=fields[i % 2] if i % 3 == 0 else None,
            processing_days=3,
        )
        for i in range(6)
    ]
    session.add_all(agencies + fields + procedures)
    session.flush()
    return agencies, procedures
