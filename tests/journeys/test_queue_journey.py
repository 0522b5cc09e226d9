"""The queue in Chromium (issue 15 point 3), under the real Content-Security-Policy: a staff
member turns one browser into the ticket kiosk and another into the hall display; a citizen
touches a service and gets an 80 mm ticket; the clerk calls it on the counter page; the display
shows it within 2 seconds without reloading. Screenshots: /tmp/queue-shots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import QueueCounter, QueueTicket, ServiceGroup, db
from tests.factories import create_agency, create_user
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/queue-shots")
MM_80_IN_POINTS = 80 / 25.4 * 72  # 226.77


@pytest.fixture
def hall(app):
    with app.app_context():
        agency = create_agency()
        a = ServiceGroup(name="Giao thông vận tải", prefix="A", agencies=[agency], sort_order=1)
        b = ServiceGroup(name="Tư pháp – Hộ tịch", prefix="B", sort_order=2)
        db.session.add_all(
            [
                a,
                b,
                QueueCounter(number="3", name="Quầy Giao thông", groups=[a]),
                QueueCounter(number="4", name="Quầy Tư pháp", groups=[b]),
            ]
        )
        create_user("clerk", "staff", [agency])
        create_user("guide", "staff", [agency])
        create_user("itadmin", "admin")
        db.session.commit()


def _start(browser, base, username, kind, viewport):
    context = browser.new_context(locale="vi-VN", viewport=viewport)
    # The print dialog of a kiosk browser (--kiosk-printing prints at once) is counted here.
    context.add_init_script(
        "window.print = function () { window.printed = (window.printed || 0) + 1; };"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    # CSP refusals and script errors; a failed load is told by its response (the browser's
    # own favicon.ico request included).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: errors.append(r.url) if r.status >= 400 else None,
    )
    log_in(page, base, username)
    page.goto(base + "/queue/start/")
    page.select_option("#kind", kind)
    page.fill("#name", "Sảnh tầng 1")
    page.click("#queue-start")
    page.wait_for_url(re.compile(r".*/(lay-so|man-hinh)/$"))
    return context, page, errors


def test_ticket_called_at_the_counter_appears_on_the_display(browser, live_server, hall):
    SHOTS.mkdir(exist_ok=True)
    kiosk_ctx, kiosk, kiosk_errors = _start(
        browser, live_server, "guide", "ticket", {"width": 1080, "height": 1280}
    )
    display_ctx, display, display_errors = _start(
        browser, live_server, "itadmin", "display", {"width": 1280, "height": 720}
    )
    # The citizen touches "Giao thông vận tải" and gets A-001.
    kiosk.screenshot(path=SHOTS / "1-kiosk.png")
    assert kiosk.locator("#queue-group-A").inner_text().startswith("Giao thông vận tải")
    kiosk.click("#queue-group-A")
    kiosk.wait_for_url(re.compile(r".*/lay-so/ve/\d+$"))
    assert kiosk.inner_text("#queue-ticket-number") == "A-001"
    assert "Còn 0 người trước bạn" in kiosk.inner_text("#queue-ticket")
    kiosk.wait_for_load_state("load")
    assert kiosk.evaluate("window.printed") == 1  # the print dialog opened by itself
    kiosk.emulate_media(media="print")
    kiosk.set_viewport_size({"width": 302, "height": 600})  # 80 mm at 96 dpi
    kiosk.screenshot(path=SHOTS / "2-ticket-80mm.png", full_page=True)
    pdf = kiosk.pdf(prefer_css_page_size=True)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and abs(float(box.group(1)) - MM_80_IN_POINTS) < 1, box
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1  # one ticket, one page
    # The clerk takes counter 3 and calls the next number.
    clerk_ctx, clerk = _clerk_at_counter_3(browser, live_server)
    display.evaluate("window.notReloaded = true")
    assert display.locator("#queue-counters li").count() == 0
    clerk.click("#queue-next")
    assert clerk.inner_text("#queue-current") == "A-001"
    expect(display.locator('#queue-counters li[data-counter="3"] strong')).to_have_text(
        "A-001", timeout=2000
    )
    assert display.evaluate("window.notReloaded") is True  # updated without a reload
    assert "A-001" in display.inner_text("#queue-last")
    clerk.screenshot(path=SHOTS / "3-counter.png", full_page=True)
    display.screenshot(path=SHOTS / "4-display.png")
    # Served: the clerk is pointed at the rating kiosk.
    clerk.click("#queue-served")
    assert clerk.locator("#queue-rating-link").is_visible()
    assert "đánh giá" in clerk.inner_text(".alert-success")
    clerk.screenshot(path=SHOTS / "5-served.png", full_page=True)
    assert not kiosk_errors and not display_errors, (kiosk_errors, display_errors)
    for context in (kiosk_ctx, display_ctx, clerk_ctx):
        context.close()


def _clerk_at_counter_3(browser, live_server):
    """The clerk logged in on a desktop browser, at counter 3: (context, page)."""
    clerk_ctx = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 800})
    clerk = clerk_ctx.new_page()
    clerk.set_default_timeout(15000)
    log_in(clerk, live_server, "clerk")
    clerk.goto(live_server + "/queue/counter/")
    clerk.select_option("#queue-counter-choice", label="3 – Quầy Giao thông")
    clerk.click("#queue-take")
    clerk.wait_for_selector("#queue-next")
    return clerk_ctx, clerk


def _statuses(app):

    with app.app_context():
        return [t.status for t in db.session.query(QueueTicket).order_by(QueueTicket.id)]


def test_double_taps_print_one_ticket_and_call_one_number(app, browser, live_server, hall):
    """Issue 11 item 5 in Chromium: a double tap on the kiosk's button sends the form once (and
    the server would print one ticket anyway); a double click on "Call next" calls one number."""
    SHOTS.mkdir(exist_ok=True)
    kiosk_ctx, kiosk, errors = _start(
        browser, live_server, "guide", "ticket", {"width": 1080, "height": 1280}
    )
    posts = []
    kiosk.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    for number in ("A-001", "A-002"):
        kiosk.goto(live_server + "/lay-so/")
        kiosk.dblclick("#queue-group-A")
        kiosk.wait_for_url(re.compile(r".*/lay-so/ve/\d+$"))
        assert kiosk.inner_text("#queue-ticket-number") == number
    assert len(posts) == 2, posts
    assert _statuses(app) == ["waiting", "waiting"]
    clerk_ctx, clerk = _clerk_at_counter_3(browser, live_server)
    clerk.dblclick("#queue-next")
    clerk.wait_for_selector("#queue-current")
    clerk.wait_for_load_state("load")
    assert clerk.inner_text("#queue-current") == "A-001"
    assert _statuses(app) == ["called", "waiting"]  # A-001 not marked served unseen
    clerk.screenshot(path=SHOTS / "6-double-click-next.png", full_page=True)
    assert not errors, errors
    for context in (kiosk_ctx, clerk_ctx):
        context.close()
