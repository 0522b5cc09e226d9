"""The yearly calendar checklist in a real Chromium: an administrator on 15/11/2026 is warned on
the home page, follows the link, sees 2026's swap from the demo overrides (Thông báo 9441/TB-BNV)
and 2027 not reviewed, marks 2027 as reviewed, and the warning is gone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models import db
from seed.calendar_overrides import add_calendar_overrides
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/legal-shots")


def test_admin_reviews_next_year_from_the_home_page_warning(
    app, live_server, page, users, frozen_clock
):
    frozen_clock(dt.date(2026, 11, 15))
    with app.app_context():
        add_calendar_overrides(db.session)
        db.session.commit()
    SHOTS.mkdir(exist_ok=True)

    log_in(page, live_server, "admin1")
    warning = page.locator("#calendar-review-warning")
    assert "Lịch làm việc năm 2027 chưa được rà soát" in warning.inner_text()
    page.screenshot(path=str(SHOTS / "home-warning.png"))

    warning.locator("a").click()
    page.wait_for_url(f"{live_server}/calendar-checklist/")
    swap = page.locator("#year-2026 tr[data-date='2026-08-31']")
    assert "Nghỉ hoán đổi dịp Quốc khánh" in swap.inner_text()
    assert "Điều chỉnh lịch" in swap.inner_text()
    assert "Ngày làm bù" in page.locator("#year-2026 tr[data-date='2026-08-22']").inner_text()
    assert page.locator("#year-2026 .review-mark").inner_text() == "Đã rà soát"
    assert page.locator("#year-2027 .review-mark").inner_text() == "Chưa rà soát"
    page.screenshot(path=str(SHOTS / "checklist-before.png"), full_page=True)

    page.fill("#note-2027", "Đã đối chiếu thông báo năm 2027")
    page.click("#review-2027")
    page.wait_for_url(f"{live_server}/calendar-checklist/")
    assert "Đã đánh dấu lịch năm 2027 là đã rà soát." in page.content()
    assert page.locator("#year-2027 .review-mark").inner_text() == "Đã rà soát"
    assert "Đã đối chiếu thông báo năm 2027" in page.locator("#year-2027 .review-info").inner_text()
    page.screenshot(path=str(SHOTS / "checklist-after.png"), full_page=True)

    page.goto(f"{live_server}/")
    assert page.locator("#calendar-review-warning").count() == 0
