"""The big list's pager in headless Chromium (issue 16): past the exact count's bound the
dossier list pages by key — « first, ‹ previous, the page number, next › — and the pages the
manager clicks through are the list in order. Screenshot in /tmp."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import Agency, Dossier, Procedure, db
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


def test_manager_pages_through_a_big_list_by_key(app, live_server, page, users):
    app.config["LIST_COUNT_LIMIT"] = 30
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(code="1.000004", name="Thủ tục thử", agency=agency)
        db.session.add(procedure)
        for i in range(45):
            db.session.add(
                Dossier(
                    procedure=procedure,
                    agency_id=agency.id,
                    code=f"K-{i:03d}",
                    applicant_name=f"Người nộp {i:03d}",
                    accepted_at=dt.datetime(2019, 3, 4, 8) + dt.timedelta(minutes=i),
                )
            )
        db.session.commit()
    log_in(page, live_server, users["manager"])
    page.goto(f"{live_server}/dossier/?page_size=20")
    pager = page.locator("#keyset-pager")
    assert pager.locator(".active").inner_text() == "Trang 1"
    assert page.locator("#list-count").inner_text() == "Hơn 30 hồ sơ"
    assert page.locator("td.col-code").first.inner_text() == "K-044"  # newest first
    pager.locator("a[rel=next]").click()
    page.wait_for_url("**after=*")
    assert pager.locator(".active").inner_text() == "Trang 2"
    assert page.locator("td.col-code").first.inner_text() == "K-024"
    pager.locator("a[rel=next]").click()
    page.wait_for_url("**page=2*")
    assert page.locator("td.col-code").all_inner_texts() == [
        "K-004",
        "K-003",
        "K-002",
        "K-001",
        "K-000",
    ]
    assert pager.locator("a[rel=next]").get_attribute("href") is None  # the end
    page.screenshot(path="/tmp/keyset-pager-last.png", full_page=True)
    pager.locator("a[rel=prev]").click()
    page.wait_for_url("**before=*")
    assert page.locator("td.col-code").first.inner_text() == "K-024"
    pager.locator("a[rel=first]").click()
    assert page.locator("td.col-code").first.inner_text() == "K-044"
