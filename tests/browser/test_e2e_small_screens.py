"""Small screens in headless Chromium: the dossier list and page on a 390 px phone, the rating
kiosk on an 800×1280 portrait tablet. Screenshots go to /tmp/kiosk-*.png."""

import datetime as dt

import pytest
from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, Dossier, DossierDocument, Payment, Procedure, StaffRating, User, db
from tests.browser.watch import Watch
from tests.journeys.browsing import landed, log_in, submit_login

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}


def _dossier(app) -> int:
    """A dossier with a long name, documents, a payment, a pause and a few history rows: the
    page has everything that could push it wider than a phone."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        proc = Procedure(
            code="1.002804",
            agency=agency,
            processing_days=5,
            name="Đổi giấy phép lái xe do ngành Giao thông vận tải cấp (trường hợp "
            "giấy phép lái xe bị hỏng, sai thông tin)",
        )
        dossier = Dossier(
            procedure=proc,
            agency=agency,
            channel="direct",
            applicant_name="Hoàng Thị Phương Thảo Nguyễn",
            address="Số 12, đường Trần Đăng Ninh, phường Hoàng Văn Thụ, thành phố "
            "Lạng Sơn, tỉnh Lạng Sơn",
            phone="0205123456",
            email="hoang.thi.phuong.thao.nguyen.lang.son@example.com.vn",
            documents=[
                DossierDocument(name="Đơn đề nghị đổi giấy phép lái xe (theo mẫu)", kind="original")
            ],
        )
        db.session.add(dossier)
        lc.accept_dossier(db.session, dossier, staff, dt.datetime(2019, 3, 4, 9), "000.00.20.H37")
        lc.transition(db.session, dossier, "transfer", staff, dt.datetime(2019, 3, 4, 15))
        lc.transition(
            db.session,
            dossier,
            "request_supplement",
            staff,
            dt.datetime(2019, 3, 5, 10),
            reason="Bổ sung bản sao giấy khai sinh "
            "có chứng thực và giấy khám sức khỏe của người lái xe",
        )
        lc.transition(
            db.session, dossier, "supplement_received", staff, dt.datetime(2019, 3, 6, 10)
        )
        db.session.add(
            Payment(
                dossier=dossier,
                amount_vnd=135000,
                method="bank_transfer",
                paid_at=dt.datetime(2019, 3, 4, 9, 30),
                receipt_no="BL-0000123456",
                collected_by=staff,
            )
        )
        db.session.commit()
        return dossier.id


def _phone(browser):
    return browser.new_context(
        locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


def test_dossier_list_and_page_fit_a_phone(app, live_server, browser, users):
    dossier_id = _dossier(app)
    context = _phone(browser)
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, live_server, "staff1", "/dossier/")
    page.screenshot(path="/tmp/kiosk-phone-list.png", full_page=True)
    row = page.locator("table.model-list tbody tr").first
    # Status and due date are on screen, not behind a sideways scroll.
    for column in ("code", "status", "due_date"):
        cell = row.locator(f"td.col-{column}")
        assert cell.is_visible(), column
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (column, box)
    assert row.locator("td.col-status").inner_text().strip()
    assert row.locator("td.col-due_date").inner_text().strip()
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], width

    page.goto(f"{live_server}/dossier/details/?id={dossier_id}")
    page.wait_for_selector("#dossier-status")
    page.screenshot(path="/tmp/kiosk-phone-details.png", full_page=True)
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], width
    # The next steps stay usable: the reason box and its button fit the screen.
    button = page.locator("#action-stop").bounding_box()
    assert button["x"] + button["width"] <= PHONE["width"], button
    context.close()


def _buttons(page):
    return [
        page.locator(f"#rate-{level}").bounding_box()
        for level in ("very_satisfied", "satisfied", "unsatisfied")
    ]


def _fills_the_screen(page, viewport):
    boxes = _buttons(page)
    widths = {round(b["width"]) for b in boxes}
    heights = {round(b["height"]) for b in boxes}
    assert len(widths) == 1 and len(heights) == 1, boxes  # three equal buttons
    # Large buttons that use the screen: together at least half of it, nothing to scroll.
    assert (
        sum(b["width"] * b["height"] for b in boxes) >= 0.5 * viewport["width"] * viewport["height"]
    ), boxes
    assert max(b["y"] + b["height"] for b in boxes) <= viewport["height"]
    size = page.evaluate(
        "[document.documentElement.scrollHeight, "
        "document.documentElement.clientHeight, "
        "document.documentElement.scrollWidth, "
        "document.documentElement.clientWidth]"
    )
    assert size[0] <= size[1] and size[2] <= size[3], size


def test_a_tablet_in_kiosk_mode_rates_all_day_on_the_whole_screen(app, live_server, browser, users):
    context = browser.new_context(locale="vi-VN", viewport=TABLET, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    watch = Watch(page)
    # A staff member starts kiosk mode on the tablet for the officer of this counter.
    log_in(page, live_server, "staff1", "/kiosk/start/")
    page.screenshot(path="/tmp/kiosk-start.png")
    page.click("#kiosk-start")
    page.wait_for_url(f"{live_server}/kiosk/device/")
    assert page.inner_text("#officer-name") == "Staff1"
    page.screenshot(path="/tmp/kiosk-tablet.png")
    _fills_the_screen(page, TABLET)

    page.click("#rate-satisfied")
    page.wait_for_selector("#kiosk-thanks")
    page.screenshot(path="/tmp/kiosk-tablet-thanks.png")
    with app.app_context():
        rated = db.session.query(StaffRating).one()
        assert (rated.staff.username, rated.level) == ("staff1", "satisfied")

    # Someone walks up to the tablet: no other page opens.
    page.goto(f"{live_server}/dossier/")
    assert "/login" in page.url
    page.goto(f"{live_server}/kiosk/")
    page.wait_for_url(f"{live_server}/kiosk/device/")

    # Ending kiosk mode takes a staff login.
    page.click("#kiosk-end-link")
    page.wait_for_url("**/login?**")
    submit_login(page, "staff1")
    landed(page, f"{live_server}/kiosk/end/")
    page.click("#kiosk-end")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/kiosk/device/")
    assert page.locator("#kiosk-off").is_visible()
    page.screenshot(path="/tmp/kiosk-tablet-off.png")
    # No Content-Security-Policy violation nor script error on the way (the refusals' own
    # status codes aside).
    assert [p for p in watch.problems if "Failed to load resource" not in p] == []
    context.close()


def test_the_rating_screen_on_a_landscape_screen(app, live_server, browser, users):
    viewport = {"width": 1280, "height": 800}
    context = browser.new_context(locale="vi-VN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, live_server, "staff1")
    page.goto(f"{live_server}/kiosk/")
    page.screenshot(path="/tmp/kiosk-landscape.png")
    _fills_the_screen(page, viewport)
    context.close()
