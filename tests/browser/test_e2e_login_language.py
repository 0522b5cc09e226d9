"""In a real headless Chromium: English chosen under the login form is the language of the
session the login opens, on every page after it (found by a review: after logging in the
interface was Vietnamese again)."""

import pytest

from tests.journeys.browsing import landed, submit_login

pytestmark = pytest.mark.browser


def test_the_language_chosen_on_the_login_page_carries_over(live_server, page, users):
    page.goto(f"{live_server}/dossier/")
    assert "/login" in page.url
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("#login-button") == "Log in"

    submit_login(page, "Manager1")  # (typed in another case: the same account)
    landed(page, f"{live_server}/dossier/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("#logout-button") == "Log out"
    page.goto(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "en"
