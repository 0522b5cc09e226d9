"""A dossier is found by its applicant's e-mail, a feedback by its contact's phone number
whatever the spacing (a clerk's review: neither was found). The records are made through their
forms posted as the browser sends them (CSRF on), then searched as the list's search box and
the payment form's dossier picker send it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Dossier, Feedback, db
from tests.browser_forms import send_form
from tests.factories import licence_procedure, user_agencies

EMAILS = {"Lê Văn Cường": "cuong.le@gmail.com", "Đỗ Thị Hoa": "hoa.do@langson.gov.vn"}
CONTACTS = {"Phạm Văn Đức": "0912 345 678", "Ngô Thị Lan": "lan.ngo@yahoo.com"}


@pytest.fixture
def clerk(csrf_app, csrf_login_as):
    """A clerk's client, after taking in one dossier per applicant of EMAILS at the counter and
    logging one feedback per sender of CONTACTS."""
    with csrf_app.app_context():
        agency, _ = user_agencies()
        procedure = licence_procedure(agency)
        db.session.add(procedure)
        db.session.commit()
        procedure_id, agency_id = procedure.id, agency.id
    client = csrf_login_as("staff")
    for name, email in EMAILS.items():
        send_form(client, "/dossier/new/", procedure=procedure_id, applicant_name=name, email=email)
    for sender, contact in CONTACTS.items():
        send_form(
            client,
            "/feedback/new/",
            sender=sender,
            contact=contact,
            subject="Hỏi thủ tục",
            content="Xin hỏi",
            agency=agency_id,
        )
    with csrf_app.app_context():
        assert sorted(db.session.scalars(select(Dossier.email))) == sorted(EMAILS.values())
        assert sorted(db.session.scalars(select(Feedback.contact))) == sorted(CONTACTS.values())
    return client


def _listed(client, url: str, search: str, names) -> set[str]:
    page = client.get(url, query_string={"search": search}).get_data(as_text=True)
    return {name for name in names if name in page}


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("cuong.le@gmail.com", {"Lê Văn Cường"}),
        ("Cuong.Le@Gmail.com", {"Lê Văn Cường"}),  # whatever the case
        ("cuong.le@", {"Lê Văn Cường"}),  # its start
        ("langson.gov.vn", {"Đỗ Thị Hoa"}),  # its domain
        ("hoa.do@gmail.com", set()),
    ],
)
def test_the_dossier_list_finds_an_email(clerk, search, found):
    assert _listed(clerk, "/dossier/", search, EMAILS) == found


def test_the_payment_forms_dossier_picker_finds_an_email(csrf_app, clerk):
    with csrf_app.app_context():
        dossier_id = db.session.scalar(
            select(Dossier.id).where(Dossier.email == "cuong.le@gmail.com")
        )
    found = clerk.get(
        "/payment/ajax/lookup/", query_string={"name": "dossier", "query": "cuong.le@gmail.com"}
    ).get_json()
    assert [row[0] for row in found] == [dossier_id]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("0912345678", {"Phạm Văn Đức"}),  # typed with spaces, searched without
        ("2345678", {"Phạm Văn Đức"}),  # across the spaces
        ("lan.ngo@yahoo.com", {"Ngô Thị Lan"}),
        ("0912345679", set()),
    ],
)
def test_the_feedback_list_finds_a_contacts_phone_whatever_the_spacing(clerk, search, found):
    assert _listed(clerk, "/feedback/", search, CONTACTS) == found
