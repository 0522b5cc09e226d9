"""A citizen on a phone finds a procedure in the public catalog (issue 15): searches "giay phep
lai xe" without accents, narrows by online service, opens the procedure and reads its fees and
documents — in Chromium at 390×844, under the real Content-Security-Policy, with no cookie ever
set. Then axe-core on the public pages. Screenshots: /tmp/public-shots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.journeys.browsing import assert_accessible
from tests.public_catalog_data import BIRTH, DRIVING_NEW, build_catalog

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/public-shots")


@pytest.fixture
def catalog(app):
    with app.app_context():
        return build_catalog()


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(
        locale="vi-VN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        bypass_csp="axe_script" in request.fixturenames,
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_citizen_finds_a_procedure_on_a_phone(live_server, phone, catalog, database_url):
    page = phone
    refused = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(f"{live_server}/thu-tuc/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.inner_text("h1") == "Tra cứu thủ tục hành chính"
    assert fits_the_screen(page)
    assert page.locator("#user-menu, #logout-button").count() == 0  # no staff menu
    suffix = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    shot(page, f"01-catalog-{suffix}")

    page.fill("#q", "giay phep lai xe")
    page.click("#search-button")
    page.wait_for_url("**/thu-tuc/?q=giay+phep+lai+xe&**")
    assert page.inner_text("#result-count") == "Tìm thấy 2 thủ tục"
    names = page.locator(".public-result-name").all_inner_texts()
    assert names == [
        "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",  # 1.002809
        "Cấp mới giấy phép lái xe",
    ]  # 1.004616: by agency, then code
    assert fits_the_screen(page)
    shot(page, f"02-results-{suffix}")

    # Narrowed to procedures partly online: the filters open, as a person taps them.
    page.click(".public-filters summary")
    page.select_option("#online_level", "partial")
    page.click("label[for=postal_in]")  # a custom checkbox: its label is what one taps
    assert page.is_checked("#postal_in")
    page.click("#apply-filters")
    page.wait_for_url("**online_level=partial**")
    assert page.inner_text("#result-count") == "Tìm thấy 1 thủ tục"
    assert page.input_value("#q") == "giay phep lai xe"  # the search is kept
    shot(page, f"03-filtered-{suffix}")

    page.click("text=Cấp mới giấy phép lái xe")
    page.wait_for_url(f"**/thu-tuc/{DRIVING_NEW}")
    assert page.inner_text("#procedure-name") == "Cấp mới giấy phép lái xe"
    assert page.inner_text("#processing-time") == "7 ngày làm việc"
    fees = page.locator("#fees")
    assert "135.000 đ" in fees.inner_text() and "Lệ phí cấp giấy phép lái xe" in fees.inner_text()
    assert page.locator("#documents li").all_inner_texts() == [
        "Đơn đề nghị cấp giấy phép lái xe",
        "Giấy khám sức khỏe của người lái xe",
        "Bản sao căn cước",
    ]
    assert "Trực tuyến một phần" in page.inner_text("#channels")
    assert fits_the_screen(page)
    shot(page, f"04-procedure-{suffix}")

    page.goto(f"{live_server}/thu-tuc/1.000001")  # an abolished procedure
    assert "Không tìm thấy thủ tục" in page.inner_text("h1")
    shot(page, f"05-not-found-{suffix}")

    assert page.context.cookies() == []  # nothing was ever set
    assert refused == []  # nothing was blocked by the Content-Security-Policy


@pytest.mark.one_database
def test_public_pages_are_accessible(live_server, phone, axe_script, catalog):
    for path in (
        "/thu-tuc/",
        "/thu-tuc/?q=giay+phep+lai+xe&online_level=full&four_on_spot=1",
        f"/thu-tuc/{DRIVING_NEW}",
        f"/thu-tuc/{BIRTH}",
        "/thu-tuc/9.999999",
    ):
        phone.goto(live_server + path)
        if path == "/thu-tuc/":
            phone.click(".public-filters summary")  # the filters too
        assert_accessible(phone, axe_script, path)
