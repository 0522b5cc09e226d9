"""An empty required field says so in the page's language (a reviewer's finding: Chromium's
own bubble said "Please fill out this field." on the Vietnamese intake form, as the browser's
own language is)."""

import pytest

from models import db
from tests.factories import create_agency, create_user
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser

# What the bubble shows: the field's message while its "invalid" event is handled.
SEEN = """() => { window.seen = [];
  document.querySelector('#applicant_name').addEventListener('invalid',
    e => window.seen.push(e.target.validationMessage)); }"""


def test_an_empty_required_field_says_so_in_vietnamese(app, live_server, page):
    with app.app_context():
        create_user("staff1", "staff", [create_agency()])
        db.session.commit()
    log_in(page, live_server, "staff1", "/dossier/new/")
    page.evaluate(SEEN)
    page.locator(
        "form.admin-form button[type=submit], form.admin-form input[type=submit]"
    ).first.click()
    assert page.url.endswith("/dossier/new/")  # the browser kept the form back
    assert page.evaluate("() => window.seen") == ["Vui lòng điền vào trường này."]
    # Not left invalid by the message (a field a script fills sends no input event).
    valid = "() => document.querySelector('#applicant_name').validity.customError"
    assert page.evaluate(valid) is False
    page.fill("#applicant_name", "Lê Văn Cường")
    assert page.evaluate("() => document.querySelector('#applicant_name').checkValidity()")
