"""In Chromium (issue 13 point 4): the intake page shows the appointment's time for a procedure
counted in working hours, the clerk takes the dossier in, and the receipt prints "giờ … phút".
Screenshots under /tmp/hours-shots/."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from domain import clock
from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/hours-shots")


def test_intake_shows_and_prints_the_due_time(app, live_server, page, users):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        db.session.add(
            Procedure(
                code="1.002805",
                name="Cấp giấy phép lái xe quốc tế",
                agency=agency,
                processing_hours=4,
                cutoff_time=dt.time(15, 30),
            )
        )
        db.session.commit()

    with clock.frozen(dt.datetime(2025, 8, 29, 14, 30)):  # Friday before National Day 2025
        log_in(page, live_server, "staff1", "/dossier/new/")
        page.click("#s2id_procedure")
        page.keyboard.type("giay phep lai xe quoc te")
        page.locator(".select2-result-label", has_text="1.002805").click()
        page.wait_for_selector("#intake-info:not(.d-none)")
        page.wait_for_function("document.getElementById('intake-due').textContent.trim() !== ''")
        # 14:30-17:00 is 2.5 hours, then 1.5 hours from 07:30 on Wednesday 03/09.
        assert page.inner_text("#intake-due").strip() == "09:00 03/09/2025"
        assert page.inner_text("#intake-processing").strip() == (
            "4 giờ làm việc (tiếp nhận sau 15:30: tính từ ngày làm việc tiếp theo)"
        )
        page.fill("#applicant_name", "Hoàng Thị Hẹn")
        page.fill("#phone", "0205123457")
        page.screenshot(path=str(SHOTS / "intake.png"), full_page=True)
        page.add_init_script("window.print = function () { window.__printed = true; };")
        page.click("#intake-submit")
        page.wait_for_url(f"{live_server}/dossier/print/01/*")
        page.screenshot(path=str(SHOTS / "receipt.png"), full_page=True)
        text = page.inner_text("body")
    assert "09 giờ 00 phút, ngày 03/09/2025" in text
    assert "4 giờ làm việc" in text
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Hoàng Thị Hẹn"))
        assert d.due_at == dt.datetime(2025, 9, 3, 9, 0) and d.due_in_hours
