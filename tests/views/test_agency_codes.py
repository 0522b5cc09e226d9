"""An agency code is unique whatever the case, and written in capitals: the agency form posted
as the browser sends it (CSRF on) refuses "stp" beside STP with a clear message, not a 500, and
saves "snv" as SNV (found by a clerk's review: "STP" and "stp" were two agencies)."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Agency, db
from tests.browser_forms import field_errors, open_form
from tests.factories import csrf_token

TAKEN_VI = "Đã có cơ quan mã STP (mã cơ quan không phân biệt chữ hoa, chữ thường)."
TAKEN_EN = "An agency with the code STP already exists (agency codes do not distinguish capital"


def _codes(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Agency.code)))


def _new_agency(client, code: str, name: str):
    form = open_form(client, "/agency/new/")
    form.set("code", code)
    form.set("name", name)
    return form.submit(client)


def test_the_agency_form_refuses_a_code_that_differs_only_by_case(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")  # agencies SGTVT and STP exist
    for typed in ("stp", "Stp", " STP ", "STP"):
        response = _new_agency(client, typed, "Sở Tư pháp (bản sao)")
        assert response.status_code == 200, typed
        assert field_errors(response) == TAKEN_VI, typed  # one message, not Flask-Admin's as well
    assert _codes(csrf_app) == ["SGTVT", "STP"]

    # A new code is saved in capitals; saving it again unchanged is not a clash with itself.
    assert _new_agency(client, " snv", "Sở Nội vụ").status_code == 302
    assert _codes(csrf_app) == ["SGTVT", "SNV", "STP"]
    with csrf_app.app_context():
        snv = db.session.scalar(select(Agency.id).where(Agency.code == "SNV"))
    form = open_form(client, f"/agency/edit/?id={snv}")
    assert form.get("code") == "SNV"
    form.set("code", "snv")
    assert form.submit(client).status_code == 302
    form = open_form(client, f"/agency/edit/?id={snv}")
    form.set("code", "sTp")
    response = form.submit(client)
    assert response.status_code == 200 and field_errors(response) == TAKEN_VI
    assert _codes(csrf_app) == ["SGTVT", "SNV", "STP"]

    client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    assert TAKEN_EN in field_errors(_new_agency(client, "stp", "Copy"))
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Agency)) == 3


def test_a_new_agency_is_offered_the_place_after_the_others(csrf_app, csrf_login_as):
    # A reviewer's new agency took sort order 0: the first row of the 06a report.
    client = csrf_login_as("admin")
    with csrf_app.app_context():
        last = db.session.scalar(select(func.max(Agency.sort_order))) or 0
    form = open_form(client, "/agency/new/")
    assert form.get("sort_order") == str(last + 1)
    form.set("code", "SNV")
    form.set("name", "Sở Nội vụ")
    assert form.submit(client).status_code == 302
    with csrf_app.app_context():
        saved = db.session.scalar(select(Agency).where(Agency.code == "SNV"))
        assert saved.sort_order == last + 1
        assert saved.sort_order == db.session.scalar(select(func.max(Agency.sort_order)))
