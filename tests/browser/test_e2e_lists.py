"""A short journey in headless Chromium through the screens of issue 10 (items 9, 11, 12): the
clerk's dossier list (count, procedure code and name, search by procedure code), the supervision
list (phone, count, lateness in working days, Excel), a payment typed the Vietnamese way, and the
manager's report page with the inputs of the chosen kind of period. Screenshots in /tmp."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from domain import clock
from domain import lifecycle as lc
from models import Agency, Dossier, FeeItem, Payment, Procedure, db
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser
UNIT = "000.00.20.H37"


def _data(app):
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        p1 = Procedure(
            code="1.002809",
            name="Cấp lại Giấy phép lái xe do ngành Giao thông vận "
            "tải cấp bị mất, hư hỏng hoặc hết hạn sử dụng",
            agency=gt,
            processing_days=5,
            fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=1200000)],
        )
        p2 = Procedure(
            code="1.001777", name="Đăng ký xe máy chuyên dùng", agency=gt, processing_days=3
        )
        db.session.add_all([p1, p2])
        db.session.flush()
        late = Dossier(procedure=p1, applicant_name="Nguyễn Văn Ánh", phone="0912 345 678")
        lc.accept_dossier(db.session, late, None, dt.datetime(2019, 3, 4, 9), UNIT)
        for i in range(3):
            lc.accept_dossier(
                db.session,
                Dossier(procedure=p2, applicant_name=f"Hoàng Thị {i}"),
                None,
                clock.now(),
                UNIT,
            )
        db.session.commit()
        return late.id, late.code


def test_lists_payment_and_report_journey(app, live_server, page, users, tmp_path):
    late_id, _code = _data(app)
    app.config["DASHBOARD_CACHE_SECONDS"] = 0  # the shared app may hold another test's figures
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "staff1")

    # The dossier list: how many, and which procedure (code and short name).
    page.goto(f"{live_server}/dossier/")
    assert page.inner_text("#list-count") == "4 hồ sơ"
    cell = page.locator("tr", has_text="Nguyễn Văn Ánh").locator("td.col-procedure")
    assert cell.inner_text().startswith("1.002809 – Cấp lại Giấy phép lái xe")
    assert cell.inner_text().endswith("…")
    page.screenshot(path="/tmp/lists-dossier-list-all.png", full_page=True)
    page.fill("input[name=search]", "1.001777")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "search=1.001777" in url)
    assert page.inner_text("#list-count") == "3 hồ sơ"
    assert "Nguyễn Văn Ánh" not in page.inner_text("table.model-list")
    page.screenshot(path="/tmp/lists-dossier-list.png", full_page=True)

    # The supervision list: phone, count, lateness in working days, and its Excel file.
    page.goto(f"{live_server}/dossier_due/")
    row = page.locator("tr", has_text="Nguyễn Văn Ánh")
    assert "0912 345 678" in row.inner_text()
    badge = row.locator("td.col-days_left").inner_text()
    assert badge.startswith("quá hạn ") and badge.endswith(" ngày làm việc")
    assert "Số ngày làm việc còn lại" in page.inner_text("table.model-list thead")
    assert page.inner_text("#list-count") == "1 hồ sơ"
    page.screenshot(path="/tmp/lists-due-list.png", full_page=True)
    with page.expect_download() as info:
        page.click("#export-xlsx")
    path = tmp_path / "due.xlsx"
    info.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][rows[0].index("Điện thoại")] == "0912 345 678"
    # column_formatters_export: the working days left as a number (negative: late)
    days_left = rows[1][rows[0].index("Số ngày làm việc còn lại")]
    assert badge.replace(".", "") == f"quá hạn {-days_left} ngày làm việc"  # 1.935: thousands

    # The home page gives the same lateness, in working days.
    page.goto(f"{live_server}/")
    home_row = page.locator("#overdue-list tr", has_text="Nguyễn Văn Ánh")
    assert home_row.locator("td.text-right").inner_text() in badge
    page.locator("#overdue-list").screenshot(path="/tmp/lists-home-overdue.png")

    # A payment typed as a person types it: 05/03/2019 14:30 and 1 200 000.
    page.goto(f"{live_server}/payment/new/?dossier_id={late_id}")
    assert page.input_value("#amount_vnd") == "1.200.000"
    page.fill("#paid_at", "05/03/2019 14:30")
    page.screenshot(path="/tmp/lists-payment-picker.png", full_page=True)
    page.click("label[for=amount_vnd]")  # away from the picker, as a person does
    page.fill("#amount_vnd", "1 200 000")
    assert page.input_value("#paid_at") == "05/03/2019 14:30"  # the picker kept what was typed
    page.screenshot(path="/tmp/lists-payment-form.png", full_page=True)
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(lambda url: "/payment/new/" not in url)
    listing = page.inner_text("table.model-list")
    assert "1.200.000 đ" in listing and "14:30 05/03/2019" in listing
    with app.app_context():
        payment = db.session.query(Payment).one()
        assert (payment.amount_vnd, payment.paid_at) == (1200000, dt.datetime(2019, 3, 5, 14, 30))
    page.click("#logout-button")

    # The manager's report: a quarter is two selects, and only they are shown.
    log_in(page, live_server, "manager1")
    page.goto(f"{live_server}/report/?preset=month&month=2019-03")  # an old link
    assert page.inner_text("#report-period") == "Từ ngày 01/03/2019 đến ngày 31/03/2019"
    assert page.is_visible("#month") and not page.is_visible("#quarter")
    page.select_option("#preset", "quarter")
    assert page.is_visible("#quarter") and page.is_visible("#year")
    assert not page.is_visible("#month") and not page.is_visible("#from")
    page.select_option("#quarter", "1")
    page.select_option("#year", "2019")
    with page.expect_navigation(
        url=lambda u: "quarter=1" in u and "year=2019" in u and "month=" not in u
    ):
        page.click("#report-show")
    assert page.inner_text("#report-period") == "Từ ngày 01/01/2019 đến ngày 31/03/2019"
    sgtvt = page.locator('tr[data-agency="SGTVT"] td').all_inner_texts()
    stp = page.locator('tr[data-agency="STP"] td').all_inner_texts()
    assert sgtvt[-1] == "–" and stp[-1] == "–"  # nothing resolved: no share
    page.screenshot(path="/tmp/lists-report.png", full_page=True)
    page.select_option("#preset", "range")
    page.fill("#from", "01/03/2019")
    page.click("#report-period")
    page.fill("#to", "25/03/2019")
    page.click("#report-period")
    assert (page.input_value("#from"), page.input_value("#to")) == ("01/03/2019", "25/03/2019")
    with page.expect_navigation(url=lambda u: "from=01%2F03%2F2019" in u):
        page.click("#report-show")
    assert page.inner_text("#report-period") == "Từ ngày 01/03/2019 đến ngày 25/03/2019"
    page.screenshot(path="/tmp/lists-report-range.png", full_page=True)
