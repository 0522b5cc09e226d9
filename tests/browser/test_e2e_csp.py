"""In headless Chromium with the Content-Security-Policy on: the interactive parts work without a
single CSP violation or script error — the filters' date picker, the AJAX pickers (select2),
inline forms, the print button, the delete confirmations. That every page of every role's menu
opens under the policy without a violation is checked by the Vietnamese sweep's page loads
(test_e2e_vietnamese.py: one Chromium visit per page for both)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from domain.evaluation import ensure_indicators
from models import Agency, CalendarDay, Dossier, FeeItem, db
from tests.browser.watch import Watch
from tests.factories import licence_procedure
from tests.journeys.browsing import log_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
CODE = "000.00.20.H37-190304-0001"


def _data(app):
    with app.app_context():
        agency = db.session.query(Agency).filter_by(code="SGTVT").one()
        procedure = licence_procedure(
            agency,
            fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000)],
        )
        dossier = Dossier(
            code=CODE,
            procedure=procedure,
            agency=agency,
            applicant_name="Nguyễn Văn Ánh",
            accepted_at=dt.datetime(2019, 3, 4, 9),
            status=4,
            due_date=dt.date(2019, 3, 11),
        )
        db.session.add(dossier)
        db.session.add(CalendarDay(date=dt.date(2019, 12, 31), is_working_day=False, note="Nghỉ"))
        ensure_indicators(db.session)
        db.session.commit()
        return dossier.id


def test_every_role_uses_the_pages_without_csp_violations(app, live_server, page, users):
    dossier_id = _data(app)
    watch = Watch(page)

    # Counter staff: a dossier, its printed form, a new payment with the dossier picked in the
    # AJAX picker.
    log_in(page, live_server, "staff1")
    watch.check("home")

    # A dossier's documents: "Add" opens one more inline row.
    page.goto(f"{live_server}/dossier/new/")
    rows = page.locator("#documents .inline-field-list > .inline-field")
    before = rows.count()
    page.click("#documents-button")
    expect(rows).to_have_count(before + 1)
    watch.check("inline documents")

    page.goto(f"{live_server}/payment/new/")
    page.click("#s2id_dossier")
    page.keyboard.type("nguyen van anh")
    page.locator(".select2-result-label", has_text=CODE).click()
    expect(page.locator("#amount_vnd")).to_have_value("135.000")
    assert "135.000 đ" in page.inner_text("#fee-proposal")
    watch.check("payment with the AJAX picker")

    page.goto(f"{live_server}/dossier/details/?id={dossier_id}")
    with page.context.expect_page() as printed:
        page.click("#print-01")
    form = printed.value
    form.wait_for_load_state()
    assert form.locator("#print-button").is_visible()
    form.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    form.click("#print-button")
    assert form.evaluate("document.body.dataset.printed") == "yes"
    form.close()
    watch.check("printed form")

    # The filters: add a date filter, pick a day in the date picker, filter.
    page.goto(f"{live_server}/dossier/")
    page.click("text=Thêm bộ lọc")
    page.click("a.filter:has-text('Ngày hẹn trả')")
    page.locator("input.filter-val").last.click()
    picker = page.locator(".daterangepicker:visible")
    picker.locator("select.monthselect:visible").select_option(label="Th3")
    picker.locator("select.yearselect:visible").select_option("2019")
    picker.locator("td.available:not(.off):visible").filter(has_text="11").first.click()
    assert page.locator("input.filter-val").last.input_value() == "11/03/2019"
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(lambda url: "flt1_" in url)
    assert CODE in page.inner_text("table.model-list")
    watch.check("date filter")
    page.click("#logout-button")
    page.wait_for_url(f"{live_server}/login*")
    watch.check("logout")

    # Admin: the create forms with their pickers (select2 on a relation).
    log_in(page, live_server, "admin1")
    page.goto(f"{live_server}/user/new/")
    page.click("#s2id_agencies")
    page.keyboard.type("tu phap")
    page.locator(".select2-result-label", has_text="Sở Tư pháp").click()
    assert "Sở Tư pháp" in page.inner_text("#s2id_agencies")
    watch.check("user form")
    # Deleting a list row asks first (Flask-Admin's confirmation, without its inline onclick);
    # "Cancel" keeps the row, "OK" deletes it.
    page.goto(f"{live_server}/calendar_day/")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("table.model-list button[data-confirm]").first.click()
    assert dialogs == ["Bạn có chắc muốn xoá dòng này?"], dialogs
    # The same through the batch action "With selected → Delete", cancelled too.
    page.locator("input.action-checkbox").first.check()
    page.click("a.dropdown-toggle:has-text('Với lựa chọn')")
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("a[data-action='delete']").click()
    assert len(dialogs) == 2, dialogs
    assert "31/12/2019" in page.inner_text("table.model-list")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("table.model-list button[data-confirm]").first.click()
    page.wait_for_url(f"{live_server}/calendar_day/*")
    assert "31/12/2019" not in page.inner_text("body")
    watch.check("delete confirmation")
