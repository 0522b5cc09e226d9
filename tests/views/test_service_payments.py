"""Fees and payments, staff ratings at the kiosk: whole đồng, per-agency scoping, no delete."""

import datetime as dt
import re

import pytest
from sqlalchemy import create_engine, text

from domain import payments, ratings
from domain.service import RuleError
from models import Agency, Dossier, FeeItem, Payment, Procedure, StaffRating, User, db
from tests.factories import PASSWORD, create_agency, create_user, licence_procedure
from tests.factories import csrf_token as _token

AT = dt.datetime(2019, 3, 4, 9, 30)


def _catalog(app):
    """A procedure with two fee items in SGTVT (the staff's agency), one in STP; a dossier each."""
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        tp = db.session.query(Agency).filter_by(code="STP").one()
        p1 = licence_procedure(
            gt,
            fee_items=[
                FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000),
                FeeItem(kind="fee", name="Phí sát hạch", amount_vnd=50000),
            ],
        )
        p2 = Procedure(
            code="2.000488",
            name="Cấp Phiếu lý lịch tư pháp",
            agency=tp,
            processing_days=10,
            fee_items=[FeeItem(kind="fee", name="Phí LLTP", amount_vnd=200000)],
        )
        d1 = Dossier(
            code="000.00.20.H37-190304-0001",
            procedure=p1,
            agency=gt,
            applicant_name="Nguyễn Văn Ánh",
            accepted_at=AT,
            due_date=dt.date(2019, 3, 11),
            status=4,
        )
        d2 = Dossier(
            code="000.00.20.H37-190304-0002",
            procedure=p2,
            agency=tp,
            applicant_name="Lê Thị Bình",
            accepted_at=AT,
            due_date=dt.date(2019, 3, 18),
            status=4,
        )
        db.session.add_all([p1, p2, d1, d2])
        db.session.commit()
        return {"gt": gt.id, "tp": tp.id, "d1": d1.id, "d2": d2.id}


def _payment_data(dossier_id, amount, **kw):
    data = {
        "dossier": str(dossier_id),
        "amount_vnd": amount,
        "method": "cash",
        "paid_at": "2019-03-04 10:00:00",
        "receipt_no": "BL-0001",
    }
    data.update(kw)
    return data


def _count(model, **filters):
    with db.session.no_autoflush:
        return db.session.query(model).filter_by(**filters).count()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("135000", 135000),
        ("135.000", 135000),
        ("1 250 000", 1250000),
        ("135.000 đ", 135000),
        (" 42 ", 42),
        (3233081572, 3233081572),
        ("1.500", 1500),
    ],
)
def test_parse_amount_accepts_whole_dong(text, expected):
    assert payments.parse_amount_vnd(text) == expected


@pytest.mark.parametrize(
    "text, key",
    [
        ("-5000", "amount_not_positive"),
        ("0", "amount_not_positive"),
        (-1, "amount_not_positive"),
        ("1000.5", "amount_fractional"),
        ("1000,5", "amount_fractional"),
        (12.5, "amount_fractional"),
        ("1.5", "amount_fractional"),
        ("abc", "amount_not_a_number"),
        ("1e3", "amount_not_a_number"),
        ("", "amount_required"),
        (None, "amount_required"),
        ("1.000.000,5", "amount_not_a_number"),
        (10**13, "amount_too_large"),
        # Digits to str.isdigit() but not to int(), and more digits than int() reads (fuzz).
        ("²", "amount_not_a_number"),
        ("1²", "amount_not_a_number"),
        ("9" * 5000, "amount_too_large"),
    ],
)
def test_parse_amount_refuses_bad_input(text, key):
    with pytest.raises(RuleError) as error:
        payments.parse_amount_vnd(text)
    assert error.value.key == key


def test_staff_records_a_payment_with_the_proposed_amount(app, client, login_as):
    ids = _catalog(app)
    login_as("staff")
    page = client.get(f"/payment/new/?dossier_id={ids['d1']}").get_data(as_text=True)
    assert 'value="185.000"' in page  # 135.000 + 50.000 proposed, grouped
    assert "000.00.20.H37-190304-0001" in page
    proposal = client.get(f"/payment/proposal/?dossier_id={ids['d1']}").json
    assert proposal["total_vnd"] == 185000 and proposal["proposed_vnd"] == 185000
    assert [i["amount_vnd"] for i in proposal["items"]] == [135000, 50000]

    response = client.post("/payment/new/", data=_payment_data(ids["d1"], "135.000"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        payment = db.session.query(Payment).one()
        assert payment.amount_vnd == 135000 and isinstance(payment.amount_vnd, int)
        assert payment.collected_by.username == "staff1"
        assert payment.dossier_id == ids["d1"]
    assert client.get(f"/payment/proposal/?dossier_id={ids['d1']}").json["proposed_vnd"] == 50000
    listing = client.get("/payment/").get_data(as_text=True)
    assert "135.000 đ" in listing and "10:00 04/03/2019" in listing
    found = client.get("/payment/?search=NGUYEN van anh").get_data(as_text=True)
    assert "135.000 đ" in found
    assert "135.000 đ" not in client.get("/payment/?search=le thi binh").get_data(as_text=True)


BAD_AMOUNTS = [
    ("-5000", "Số tiền phải lớn hơn 0 đồng."),
    ("0", "Số tiền phải lớn hơn 0 đồng."),
    ("1000.5", "Số tiền phải là số nguyên đồng, không có phần thập phân."),
    ("135000,75", "Số tiền phải là số nguyên đồng, không có phần thập phân."),
    ("mười nghìn", "Số tiền phải là số nguyên đồng, ví dụ 135000 hoặc 135.000."),
]


def test_bad_amounts_are_refused_with_a_clear_message(app, client, login_as):
    ids = _catalog(app)
    login_as("staff")
    for amount, message in BAD_AMOUNTS:
        response = client.post("/payment/new/", data=_payment_data(ids["d1"], amount))
        assert response.status_code == 200, amount
        assert message in response.get_data(as_text=True), amount
    with app.app_context():
        assert _count(Payment) == 0


def test_staff_cannot_touch_another_agencys_dossier_or_payment(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        other = Payment(dossier_id=ids["d2"], amount_vnd=200000, method="cash", paid_at=AT)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    login_as("staff")
    response = client.post("/payment/new/", data=_payment_data(ids["d2"], "200000"))
    assert response.status_code == 200
    with app.app_context():
        assert _count(Payment) == 1
    assert client.get(f"/payment/proposal/?dossier_id={ids['d2']}").status_code == 404
    assert client.get(f"/payment/details/?id={other_id}").status_code == 404  # not found
    assert client.get(f"/payment/cancel/?id={other_id}").status_code == 404
    assert (
        client.post(f"/payment/cancel/?id={other_id}", data={"reason": "nhầm"}).status_code == 404
    )
    assert "Lê Thị Bình" not in client.get("/payment/").get_data(as_text=True)
    lookup = client.get("/payment/ajax/lookup/?name=dossier&query=000").json
    assert [row[0] for row in lookup] == [ids["d1"]]
    page = client.get(f"/payment/new/?dossier_id={ids['d2']}").get_data(as_text=True)
    assert "190304-0002" not in page and 'value="200000"' not in page
    with app.app_context():
        assert db.session.get(Payment, other_id).cancelled_at is None


def test_payment_is_cancelled_with_a_reason_never_edited(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        payment = Payment(dossier_id=ids["d1"], amount_vnd=135000, method="cash", paid_at=AT)
        db.session.add(payment)
        db.session.commit()
        pid = payment.id
    login_as("staff")
    assert client.get(f"/payment/edit/?id={pid}").status_code == 403
    assert client.post("/payment/delete/", data={"id": pid}).status_code == 403
    # The page says what is cancelled: the dossier and the amount, not only "#<id>".
    page = client.get(f"/payment/cancel/?id={pid}").get_data(as_text=True)
    shown = re.search(r'<table[^>]*id="cancel-record".*?</table>', page, re.S)[0]
    assert "190304-0001" in shown and "135.000 đ" in shown
    response = client.post(f"/payment/cancel/?id={pid}", data={"reason": "  "})
    assert response.status_code == 400
    assert "Vui lòng nhập lý do huỷ." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Payment, pid).cancelled_at is None
    assert (
        client.post(f"/payment/cancel/?id={pid}", data={"reason": "Thu nhầm hồ sơ"}).status_code
        == 302
    )
    with app.app_context():
        payment = db.session.get(Payment, pid)
        assert payment.cancelled_at is not None and payment.cancel_reason == "Thu nhầm hồ sơ"
        assert payments.fees_collected_vnd(db.session) == 0
    again = client.post(f"/payment/cancel/?id={pid}", data={"reason": "lần hai"})
    assert again.status_code == 400
    assert "Bản ghi này đã bị huỷ trước đó." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Payment, pid).cancel_reason == "Thu nhầm hồ sơ"


def test_payment_totals_group_by_agency_method_and_month(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        rows = [
            (ids["d1"], 135000, "cash", dt.datetime(2019, 1, 20, 8)),
            (ids["d1"], 50000, "cash", dt.datetime(2019, 1, 31, 23, 59)),
            (ids["d1"], 135000, "bank_transfer", dt.datetime(2019, 2, 1, 0, 0)),
            (ids["d2"], 200000, "online", dt.datetime(2019, 2, 14, 10)),
            (ids["d2"], 999999, "cash", dt.datetime(2019, 2, 15, 10)),  # cancelled
            (ids["d2"], 777777, "cash", dt.datetime(2020, 1, 2, 10)),
        ]  # out of period
        for dossier_id, amount, method, at in rows:
            db.session.add(
                Payment(dossier_id=dossier_id, amount_vnd=amount, method=method, paid_at=at)
            )
        db.session.flush()
        db.session.query(Payment).filter_by(amount_vnd=999999).one().cancelled_at = AT
        db.session.commit()
        totals = payments.payment_totals(db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31))
        got = {(t.agency_code, t.month, t.method): (t.count, t.amount_vnd) for t in totals}
        assert got == {
            ("SGTVT", 1, "cash"): (2, 185000),
            ("SGTVT", 2, "bank_transfer"): (1, 135000),
            ("STP", 2, "online"): (1, 200000),
        }
        assert (
            payments.fees_collected_vnd(db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31))
            == 520000
        )
        assert (
            payments.fees_collected_vnd(
                db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31), agency_ids=[ids["gt"]]
            )
            == 320000
        )
        own = payments.payment_totals(
            db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31), agency_ids=[ids["gt"]]
        )
        assert {t.agency_code for t in own} == {"SGTVT"}
    login_as("staff")
    page = client.get("/payment/totals/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "320.000 đ" in page and "520.000 đ" not in page and "Lê Thị Bình" not in page


# ---- staff ratings at the kiosk ---------------------------------------------------------------


def _staff(app, username="staff1"):
    with app.app_context():
        return db.session.query(User).filter_by(username=username).one().id


def test_kiosk_rates_the_logged_in_officer(app, client, login_as):
    ids = _catalog(app)
    staff_id = _staff(app)
    login_as("staff")
    page = client.get(f"/kiosk/?dossier_id={ids['d1']}").get_data(as_text=True)
    assert "Staff1" in page and "Rất hài lòng" in page and "Không hài lòng" in page
    assert f'name="dossier_id" value="{ids["d1"]}"' in page
    assert "Lê Thị Bình" not in page and "Nguyễn Văn Ánh" not in page  # no other data shown
    response = client.post("/kiosk/", data={"level": "very_satisfied", "dossier_id": ids["d1"]})
    assert response.status_code == 302
    thanks = client.get(response.location).get_data(as_text=True)
    assert "Xin cảm ơn" in thanks
    response = client.post("/kiosk/", data={"level": "satisfied", "staff_id": str(staff_id)})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.query(StaffRating).order_by(StaffRating.id).all()
        assert [(r.staff_id, r.level, r.dossier_id, r.channel) for r in rows] == [
            (staff_id, "very_satisfied", ids["d1"], "kiosk"),
            (staff_id, "satisfied", None, "kiosk"),
        ]


def test_a_dossier_rated_again_the_same_day_counts_the_new_rating_only(
    app, client, login_as, frozen_clock
):
    # A reviewer rated one dossier "Rất hài lòng" then "Không hài lòng": both counted (50%).
    ids = _catalog(app)
    login_as("staff")
    frozen_clock(dt.datetime(2026, 11, 16, 9, 0))
    for level in ("very_satisfied", "unsatisfied"):
        response = client.post("/kiosk/", data={"level": level, "dossier_id": ids["d1"]})
        assert response.status_code == 302
    # Another day: the result handed over, another visit, rated on its own.
    frozen_clock(dt.datetime(2026, 11, 20, 15, 0))
    client.post("/kiosk/", data={"level": "satisfied", "dossier_id": ids["d1"]})
    # Without a dossier the kiosk cannot tell two citizens apart: both count.
    client.post("/kiosk/", data={"level": "satisfied"})
    client.post("/kiosk/", data={"level": "satisfied"})
    with app.app_context():
        rows = db.session.query(StaffRating).order_by(StaffRating.id).all()
        assert [(r.level, r.cancelled_at is not None) for r in rows] == [
            ("very_satisfied", True),
            ("unsatisfied", False),
            ("satisfied", False),
            ("satisfied", False),
            ("satisfied", False),
        ]
        assert "đánh giá lại" in rows[0].cancel_reason
        rating_id = rows[0].id
    # The manager reads them under "Mức độ hài lòng", not a procedure's "Cấp thực hiện".
    client.post("/logout")
    login_as("manager")
    for url in ("/staff_rating/", f"/staff_rating/details/?id={rating_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Mức độ hài lòng" in page and "Cấp thực hiện" not in page, url
    with app.app_context():
        counts = ratings.rating_counts(db.session, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert (counts["very_satisfied"], counts["unsatisfied"], counts["total"]) == (0, 1, 4)


def test_kiosk_refuses_another_officer_and_other_data(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        other = create_user("staff2", "staff", [db.session.get(Agency, ids["tp"])])
        db.session.commit()
        other_id = other.id
    login_as("staff")
    forged = client.post("/kiosk/", data={"level": "unsatisfied", "staff_id": str(other_id)})
    assert forged.status_code == 403
    assert "Máy đánh giá chỉ ghi nhận đánh giá cho cán bộ đang đăng nhập." in forged.get_data(
        as_text=True
    )
    other_dossier = client.post("/kiosk/", data={"level": "satisfied", "dossier_id": ids["d2"]})
    assert other_dossier.status_code == 400
    assert "Hồ sơ này không thuộc cơ quan của bạn." in other_dossier.get_data(as_text=True)
    assert client.post("/kiosk/", data={"level": "excellent"}).status_code == 400
    assert client.post("/kiosk/", data={"level": "satisfied", "dossier_id": "x"}).status_code == 400
    with app.app_context():
        assert _count(StaffRating) == 0


def test_kiosk_is_for_counter_staff_only(app, client, login_as):
    anonymous = client.post("/kiosk/", data={"level": "satisfied"})
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    for role in ("admin", "manager"):
        login_as(role)
        # An admin is not rated: /kiosk/ leads to kiosk mode, which they may start.
        expected = 302 if role == "admin" else 403
        assert client.get("/kiosk/").status_code == expected, role
        assert client.post("/kiosk/", data={"level": "satisfied"}).status_code == 403, role
        client.post("/logout")
    with app.app_context():
        assert _count(StaffRating) == 0


def test_kiosk_post_needs_the_csrf_token(csrf_app):

    with csrf_app.app_context():
        create_user("staff1", "staff", [create_agency()])
        db.session.commit()
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={"username": "staff1", "password": PASSWORD, "csrf_token": _token(client, "/login")},
    )
    assert client.post("/kiosk/", data={"level": "satisfied"}).status_code == 400
    with csrf_app.app_context():
        assert _count(StaffRating) == 0
    token = _token(client, "/kiosk/")
    assert (
        client.post("/kiosk/", data={"level": "satisfied", "csrf_token": token}).status_code == 302
    )
    with csrf_app.app_context():
        assert _count(StaffRating) == 1


def test_rating_counts_by_officer_and_agency(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        gt, tp = db.session.get(Agency, ids["gt"]), db.session.get(Agency, ids["tp"])
        s1 = db.session.query(User).filter_by(username="staff1").one()
        s2 = create_user("staff2", "staff", [tp])
        levels = [(s1, "very_satisfied")] * 3 + [
            (s1, "satisfied"),
            (s2, "unsatisfied"),
            (s2, "very_satisfied"),
        ]
        for i, (staff, level) in enumerate(levels):
            ratings.record_rating(db.session, staff, level, AT + dt.timedelta(minutes=i))
        db.session.flush()
        cancelled = db.session.query(StaffRating).filter_by(level="unsatisfied").one()
        db.session.commit()
        with pytest.raises(RuleError):
            ratings.record_rating(db.session, s1, "satisfied", AT, dossier_id=ids["d2"])
        db.session.rollback()
        cancelled_id = cancelled.id
        names = (gt.name, tp.name)
    login_as("admin")
    assert (
        client.post(
            f"/staff_rating/cancel/?id={cancelled_id}", data={"reason": "Bấm nhầm"}
        ).status_code
        == 302
    )
    with app.app_context():
        counts = ratings.rating_counts(db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31))
        assert counts == {"very_satisfied": 4, "satisfied": 1, "unsatisfied": 0, "total": 5}
        by_officer = {
            r.label: (r.very_satisfied, r.satisfied, r.unsatisfied, r.total)
            for r in ratings.rating_counts_by_officer(db.session)
        }
        assert by_officer == {"Staff1": (3, 1, 0, 4), "Staff2": (1, 0, 0, 1)}
        by_agency = {r.label: r.total for r in ratings.rating_counts_by_agency(db.session)}
        assert by_agency == {names[0]: 4, names[1]: 1}
        assert _count(StaffRating) == 6  # the cancelled one stays
    page = client.get("/staff_rating/totals/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "80,00%" in page and "Staff2" in page


def test_manager_reads_payments_and_ratings_but_cannot_cancel(app, client, login_as):
    ids = _catalog(app)
    staff_id = _staff(app)
    with app.app_context():
        payment = Payment(dossier_id=ids["d2"], amount_vnd=200000, method="online", paid_at=AT)
        rating = StaffRating(staff_id=staff_id, level="satisfied", rated_at=AT)
        db.session.add_all([payment, rating])
        db.session.commit()
        pid, rid = payment.id, rating.id
    login_as("manager")
    assert "200.000 đ" in client.get("/payment/").get_data(as_text=True)
    assert client.post(f"/payment/cancel/?id={pid}", data={"reason": "x"}).status_code == 403
    assert client.get("/payment/proposal/?dossier_id=1").status_code == 403
    assert "Staff1" in client.get("/staff_rating/").get_data(as_text=True)
    assert client.get("/staff_rating/totals/").status_code == 200
    assert client.post(f"/staff_rating/cancel/?id={rid}", data={"reason": "x"}).status_code == 403
    with app.app_context():
        assert db.session.get(Payment, pid).cancelled_at is None
        assert db.session.get(StaffRating, rid).cancelled_at is None


def test_the_dossier_page_lists_payments_and_links_to_record_one(app, client, login_as):
    ids = _catalog(app)
    with app.app_context():
        db.session.add(
            Payment(
                dossier_id=ids["d1"],
                amount_vnd=135000,
                method="bank_transfer",
                paid_at=AT,
                receipt_no="BL-77",
            )
        )
        db.session.commit()
    login_as("staff")
    page = client.get(f"/dossier/details/?id={ids['d1']}").get_data(as_text=True)
    assert "135.000 đ" in page and "BL-77" in page
    assert f"/payment/new/?dossier_id={ids['d1']}" in page
    assert f"/kiosk/?dossier_id={ids['d1']}" in page
    client.post("/logout")
    login_as("manager")
    page = client.get(f"/dossier/details/?id={ids['d1']}").get_data(as_text=True)
    assert "135.000 đ" in page and "/payment/new/" not in page


def test_fees_by_period_drive_from_the_payment_dates_at_a_million_dossiers():
    """Issue 16: with the statistics of the 1,000,000-dossier bench (ANALYZE), SQLite walked
    every agency's dossiers and their payments to add up a month's fees (0.5 s); the query reads
    the payments of the period by paid_at and looks their dossier up."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    captured = []

    class Capture:
        def execute(self, query):
            captured.append(query)
            return []

    payments.payment_totals(Capture(), dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    sql = str(captured[0].compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        conn.exec_driver_sql(
            "INSERT INTO sqlite_stat1 VALUES"
            " ('dossier', 'ix_dossier_agency_status_accepted', '1175625 1001 112 1'),"
            " ('dossier', 'ix_dossier_agency_accepted', '1217216 1001 1'),"
            " ('payment', 'ix_payment_paid_at', '631728 1'),"
            " ('payment', 'ix_payment_dossier_id', '676962 1'),"
            " ('agency', 'ix_agency_sort', '19 1 1')"
        )
        conn.exec_driver_sql("ANALYZE sqlite_schema")  # the statistics read again
        plan = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    engine.dispose()
    # By the paid_at range: ix_payment_paid_at, or for the payments not cancelled
    # ix_payment_collected (migration 0019).
    assert plan[0].startswith("SEARCH payment USING INDEX ix_payment_"), plan
    assert plan[0].endswith("(paid_at>? AND paid_at<?)"), plan
    assert not any("SCAN agency" in line or "dossier_id=?" in line for line in plan), plan
