"""In headless Chromium: a step refused by the server comes back with what was typed. A new date
that is a day off ("Hẹn lại" on Sunday 20/12/2026) is refused with the next working day named,
and the date and the reason are still in the form, ready to be corrected (found by a review: the
page came back with both boxes empty). Once a step is saved, the form is empty again."""

from __future__ import annotations

import pytest

from models import Dossier, db
from tests.journeys.browsing import OUTPUT, log_in
from tests.views.test_reschedule_days import _processing_dossier

pytestmark = pytest.mark.browser
REASON = "Chờ ý kiến thẩm định của Sở Xây dựng"


def test_a_refused_new_date_keeps_what_was_typed(app, live_server, page, users):
    dossier_id = _processing_dossier(app)
    shots = OUTPUT / "reschedule"
    shots.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "staff1", f"/dossier/details/?id={dossier_id}")
    form = page.locator("#form-reschedule")
    form.locator("[name=new_due_date]").fill("20/12/2026")
    form.locator("[name=reason]").fill(REASON)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.screenshot(path=str(shots / "refused.png"), full_page=True)
    assert "ngày làm việc gần nhất sau đó là 21/12/2026" in page.inner_text(".alert-danger")
    form = page.locator("#form-reschedule")
    assert form.locator("[name=new_due_date]").input_value() == "20/12/2026"
    assert form.locator("[name=reason]").input_value() == REASON

    # Corrected, then saved: the next page's form is empty.
    form.locator("[name=new_due_date]").fill("21/12/2026")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".alert-danger").count() == 0
    page.reload()
    form = page.locator("#form-reschedule")
    if form.count():  # (a rescheduled dossier may be rescheduled again)
        assert form.locator("[name=reason]").input_value() == ""
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.rescheduled_due_date.strftime("%d/%m/%Y") == "21/12/2026"
