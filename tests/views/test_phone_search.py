"""A dossier is found by its applicant's phone number whatever spacing was typed on either side
(found by a clerk's review: a phone typed "0912 345 678" was not found by "0912345678"). The
dossiers are taken in through the intake form posted as the browser sends it (CSRF on), then
searched as the list's search box and the payment form's dossier picker send it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Dossier, db
from tests.browser_forms import send_form
from tests.factories import licence_procedure, user_agencies

PHONES = {"Lê Văn Cường": "0912 345 678", "Đỗ Thị Hoa": "0205.3871.234", "Vũ Minh": "+84987654321"}


@pytest.fixture
def taken_in(csrf_app, csrf_login_as):
    """A clerk's client, after taking in one dossier per applicant of PHONES at the counter."""
    with csrf_app.app_context():
        agency, _ = user_agencies()
        procedure = licence_procedure(agency)
        db.session.add(procedure)
        db.session.commit()
        procedure_id = procedure.id
    client = csrf_login_as("staff")
    for name, phone in PHONES.items():
        send_form(client, "/dossier/new/", procedure=procedure_id, applicant_name=name, phone=phone)
    with csrf_app.app_context():
        assert sorted(db.session.scalars(select(Dossier.phone))) == sorted(PHONES.values())
    return client


def _listed(client, search: str) -> set[str]:
    page = client.get("/dossier/", query_string={"search": search}).get_data(as_text=True)
    return {name for name in PHONES if name in page}


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("0912345678", {"Lê Văn Cường"}),  # typed with spaces, searched without
        ("0912 345 678", {"Lê Văn Cường"}),
        ("0912.345.678", {"Lê Văn Cường"}),
        ("0912-345-678", {"Lê Văn Cường"}),
        ("+84 912 345 678", {"Lê Văn Cường"}),
        ("345678", {"Lê Văn Cường"}),  # the end of the number
        ("cuong 0912.345.678", {"Lê Văn Cường"}),  # with a name
        ("02053871234", {"Đỗ Thị Hoa"}),  # typed with dots
        ("0205 3871 234", {"Đỗ Thị Hoa"}),
        ("(0205) 3871-234", {"Đỗ Thị Hoa"}),
        ("0987654321", {"Vũ Minh"}),  # typed +84
        ("0987 654 321", {"Vũ Minh"}),
        ("+84 987 654 321", {"Vũ Minh"}),
        ("0912 345 679", set()),
        ("hoa 0912345678", set()),
    ],
)
def test_the_dossier_list_finds_a_phone_number_whatever_the_spacing(taken_in, search, found):
    assert _listed(taken_in, search) == found


def test_the_payment_forms_dossier_picker_finds_it_too(csrf_app, taken_in):
    with csrf_app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.phone == "0912 345 678"))
    for query in ("0912345678", "0912.345.678", "+84 912 345 678"):
        found = taken_in.get(
            "/payment/ajax/lookup/", query_string={"name": "dossier", "query": query}
        ).get_json()
        assert [row[0] for row in found] == [dossier_id], query
