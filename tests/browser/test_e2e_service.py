"""End to end in headless Chromium, as counter staff: a payment with the amount proposed from the
fee items, a tap on the rating kiosk, a courier run filled by scanned codes, an evaluation form."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from domain.evaluation import ensure_indicators
from models import (
    Agency,
    CourierItem,
    Dossier,
    EvaluationForm,
    FeeItem,
    Payment,
    StaffRating,
    db,
)
from tests.factories import licence_procedure
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser
CODE = "000.00.20.H37-190304-0001"


def _data(app):
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        proc = licence_procedure(
            gt,
            fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000)],
        )
        db.session.add(
            Dossier(
                code=CODE,
                procedure=proc,
                agency=gt,
                applicant_name="Nguyễn Văn Ánh",
                accepted_at=dt.datetime(2019, 3, 4, 9),
                status=4,
                due_date=dt.date(2019, 3, 11),
            )
        )
        ensure_indicators(db.session)
        db.session.commit()


def test_staff_use_the_service_screens(app, live_server, page, users):
    _data(app)
    log_in(page, live_server, "staff1")

    # Payment: pick the dossier by an accent-free search; the amount is proposed.
    page.goto(f"{live_server}/payment/new/")
    page.click("#s2id_dossier")
    page.keyboard.type("nguyen van anh")
    page.locator(".select2-result-label", has_text=CODE).click()
    expect(page.locator("#amount_vnd")).to_have_value("135.000")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(f"{live_server}/payment/*")
    assert "135.000 đ" in page.content()

    # Kiosk: three buttons, one tap, thanks.
    page.goto(f"{live_server}/kiosk/")
    assert page.inner_text("#officer-name") == "Staff1"
    page.click("#rate-very_satisfied")
    page.wait_for_selector("#kiosk-thanks")

    # Courier run: scanned codes, one per line; a wrong code refuses the list.
    page.goto(f"{live_server}/courier_run/new/")
    page.click("#s2id_agency")
    page.keyboard.type("giao thong")
    page.locator(".select2-result-label", has_text="Sở Giao thông vận tải").click()
    page.fill("#codes", f"{CODE}\nSAI-MA")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_selector("text=Mã không tồn tại: SAI-MA.")
    page.fill("#codes", CODE)
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(f"{live_server}/courier_run/")

    # Evaluation form out of 8, linked by the dossier code.
    page.goto(f"{live_server}/evaluation_form/new/")
    page.fill("#dossier_code", CODE)
    for row in page.locator("#evaluation-form tbody tr").all():
        row.locator("input[type=radio][value='2']").check()
    page.click("#evaluation-save")
    page.wait_for_url(f"{live_server}/evaluation_form/")
    assert "8/8" in page.content()

    with app.app_context():
        assert [p.amount_vnd for p in db.session.query(Payment)] == [135000]
        assert [r.level for r in db.session.query(StaffRating)] == ["very_satisfied"]
        assert db.session.query(CourierItem).count() == 1
        assert [(f.score, f.max_score) for f in db.session.query(EvaluationForm)] == [(8, 8)]
