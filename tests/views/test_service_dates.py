"""Payments and feedback: a moment after now is refused on its field, the feedback's agency is
the chosen dossier's when left empty, and the feedback form says all its refusals at once, each
on its field (a clerk's review: a payment of 02/12/2027 was saved, an answer dated tomorrow
accepted, and "choose your agency" was a banner only). Forms are posted as the browser sends
them, with their CSRF token; the clock is stopped at NOW."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from domain import clock, payments
from domain import feedback as fb
from domain.service import CLOCK_SKEW_TOLERANCE, RuleError
from models import Agency, Dossier, Feedback, Payment, Procedure, db
from tests.browser_forms import field_errors, open_form, read_form
from tests.factories import licence_procedure

NOW = dt.datetime(2019, 3, 4, 12, 0)  # a Monday
IN_FUTURE_VI = "Ngày giờ không được muộn hơn thời điểm hiện tại (04/03/2019 12:00)."
AGENCY_OR_DOSSIER_VI = "Vui lòng chọn cơ quan của bạn, hoặc chọn hồ sơ mà phản ánh nói đến."
NOT_OPEN_VI = "Lựa chọn này không tồn tại hoặc bạn không được phép chọn."
ANSWER_REQUIRED_VI = "Phản ánh đã trả lời phải có nội dung trả lời."


@pytest.fixture
def stopped_clock():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def dossiers(csrf_app, csrf_login_as):
    """A dossier of SGTVT (staff1's agency) and one of STP (nobody's), after the users and
    their agencies (csrf_login_as). {name: id}."""
    with csrf_app.app_context():
        gt = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        tp = db.session.scalar(select(Agency).where(Agency.code == "STP"))
        p1 = licence_procedure(gt)
        p2 = Procedure(
            code="2.000488", name="Cấp Phiếu lý lịch tư pháp", agency=tp, processing_days=10
        )
        rows = {
            name: Dossier(
                code=f"000.00.20.H37-190304-000{n}",
                procedure=procedure,
                agency=procedure.agency,
                applicant_name="Nguyễn Văn Ánh",
                accepted_at=dt.datetime(2019, 3, 1, 9),
                due_date=dt.date(2019, 3, 8),
                status=4,
            )
            for n, (name, procedure) in enumerate((("gt", p1), ("tp", p2)), start=1)
        }
        db.session.add_all([p1, p2, *rows.values()])
        db.session.commit()
        return {"gt_agency": gt.id, "tp_agency": tp.id} | {k: d.id for k, d in rows.items()}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def error_on(response, name: str) -> str:
    """The error shown under the field `name` ('' when none), and the field marked invalid."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    field = page.find(attrs={"name": name})
    group = field.find_parent(class_="form-group")
    shown = group.select_one(".invalid-feedback")
    if shown is None:
        return ""
    assert "is-invalid" in field.get("class", []), name
    return shown.get_text(" ", strip=True)


def _at(moment: dt.datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


# ---- payments ---------------------------------------------------------------------------------


def test_the_domain_refuses_a_moment_after_now_whoever_calls_it():
    tomorrow = NOW + dt.timedelta(days=1)
    with pytest.raises(RuleError) as refused:
        payments.record_payment(None, None, 135000, "cash", tomorrow, now=NOW)
    assert (refused.value.key, refused.value.field) == ("date_in_future", "paid_at")
    item = Feedback(received_at=NOW, answered_at=tomorrow, status="answered", answer="Đã trả lời")
    with pytest.raises(RuleError) as refused:
        fb.apply_answer(item, None, NOW)
    assert (refused.value.key, refused.value.field) == ("date_in_future", "answered_at")


def test_a_payment_after_now_is_refused_on_its_field(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    for typed in ("02/12/2027 10:00", _at(NOW + CLOCK_SKEW_TOLERANCE + dt.timedelta(minutes=1))):
        form = open_form(client, f"/payment/new/?dossier_id={dossiers['gt']}")
        form.set("paid_at", typed)
        form.set("amount_vnd", "135.000")
        form.set("receipt_no", "BL-0001")
        response = form.submit(client)
        assert response.status_code == 200, typed
        assert error_on(response, "paid_at") == IN_FUTURE_VI, typed
        assert "Chưa lưu được" in response.get_data(as_text=True)
        again = read_form(response.get_data(as_text=True), "http://localhost" + form.action)
        assert again.get("paid_at") == typed and again.get("receipt_no") == "BL-0001"
        assert again.get("amount_vnd") == "135.000"
    assert _count(csrf_app, Payment) == 0

    # A PC clock a few minutes fast: within the tolerance, saved.
    form = open_form(client, f"/payment/new/?dossier_id={dossiers['gt']}")
    form.set("paid_at", _at(NOW + dt.timedelta(minutes=3)))
    form.set("amount_vnd", "135.000")
    assert form.submit(client).status_code == 302
    with csrf_app.app_context():
        assert db.session.scalar(select(Payment.paid_at)) == NOW + dt.timedelta(minutes=3)


# ---- feedback ---------------------------------------------------------------------------------


def _feedback_form(client, **values):
    form = open_form(client, "/feedback/new/")
    typed = {
        "sender": "Trần Văn Én",
        "subject": "Hỏi về lệ phí",
        "content": "Xin hỏi mức lệ phí",
        "received_at": "04/03/2019 08:00",
    }
    for name, value in (typed | values).items():
        form.set(name, value)
    return form


def test_feedback_received_or_answered_after_now_is_refused_on_its_field(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    tomorrow = _at(NOW + dt.timedelta(days=1))
    for name in ("received_at", "answered_at"):
        form = _feedback_form(
            client,
            agency=dossiers["gt_agency"],
            status="answered",
            answer="Mức lệ phí là 135.000 đồng.",
            **{name: tomorrow},
        )
        response = form.submit(client)
        assert response.status_code == 200, name
        assert error_on(response, name) == IN_FUTURE_VI
    assert _count(csrf_app, Feedback) == 0


def test_feedback_answered_today_is_counted_in_the_totals(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    form = _feedback_form(
        client,
        agency=dossiers["gt_agency"],
        status="answered",
        answer="Mức lệ phí là 135.000 đồng.",
        answered_at="04/03/2019 10:00",
    )
    assert form.submit(client).status_code == 302
    page = BeautifulSoup(client.get("/feedback/totals/").get_data(as_text=True), "html.parser")
    rows = {
        tr.find_all("td")[0].get_text(strip=True): tr.find_all("td")[1].get_text(strip=True)
        for tr in page.select("tr")
        if len(tr.find_all("td")) == 2
    }
    assert rows["Đã trả lời"] == "1" and rows["Trả lời đúng hạn"] == "1"


def test_feedback_takes_the_agency_of_the_chosen_dossier(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    form = _feedback_form(client, dossier=dossiers["gt"])
    assert form.get("agency") == ""
    assert form.submit(client).status_code == 302
    with csrf_app.app_context():
        item = db.session.scalar(select(Feedback))
        assert (item.agency_id, item.dossier_id) == (dossiers["gt_agency"], dossiers["gt"])


def test_feedback_of_another_agencys_dossier_is_refused(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    response = _feedback_form(client, dossier=dossiers["tp"]).submit(client)
    assert response.status_code == 200
    assert error_on(response, "dossier") == NOT_OPEN_VI
    # An admin may choose any agency, but the dossier must be the chosen agency's.
    admin = csrf_login_as("admin")
    form = _feedback_form(admin, agency=dossiers["gt_agency"], dossier=dossiers["tp"])
    response = form.submit(admin)
    assert error_on(response, "dossier") == "Hồ sơ thuộc cơ quan khác."
    assert _count(csrf_app, Feedback) == 0


def test_feedback_without_agency_or_dossier_says_so_on_the_agency_field_with_all_else(
    csrf_app, csrf_login_as, dossiers, stopped_clock
):
    client = csrf_login_as("staff")
    form = _feedback_form(
        client, received_at=_at(NOW + dt.timedelta(days=1)), status="answered", answer=""
    )
    response = form.submit(client)
    assert response.status_code == 200
    assert error_on(response, "agency") == AGENCY_OR_DOSSIER_VI
    # The other refusals at the same time, each on its field.
    assert error_on(response, "received_at") == IN_FUTURE_VI
    assert error_on(response, "answer") == ANSWER_REQUIRED_VI
    assert AGENCY_OR_DOSSIER_VI in field_errors(response)
    assert _count(csrf_app, Feedback) == 0

    # An answer dated before the receipt, with the rest right: on the answer date.
    form = _feedback_form(
        client,
        agency=dossiers["gt_agency"],
        status="answered",
        answer="Đã trả lời.",
        answered_at="01/03/2019 08:00",
    )
    response = form.submit(client)
    assert error_on(response, "answered_at") == "Ngày trả lời sớm hơn ngày tiếp nhận."
    assert error_on(response, "agency") == ""
    assert _count(csrf_app, Feedback) == 0
