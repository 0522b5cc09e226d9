"""The intake's note has a limit, as a step's reason (a reviewer's finding: a 10,200-character
note was taken and printed in full on both copies of the receipt, six A4 pages)."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Dossier, db
from tests.browser_forms import field_errors, open_form
from tests.factories import licence_procedure, user_agencies


def test_a_note_longer_than_2000_characters_is_refused_and_nothing_is_saved(
    csrf_app, csrf_login_as
):
    with csrf_app.app_context():
        agency, _ = user_agencies()
        procedure = licence_procedure(agency)
        db.session.add(procedure)
        db.session.commit()
        procedure_id = procedure.id
    client = csrf_login_as("staff")
    for name, note, saved in (
        ("Lê Văn Cường", "Ghi chú " * 300, False),
        ("Đỗ Hoa", "ồ" * 2000, True),
    ):
        form = open_form(client, "/dossier/new/")
        form.set("procedure", procedure_id)
        form.set("applicant_name", name)
        form.set("note", note)
        response = form.submit(client)
        if saved:
            assert response.status_code == 302, field_errors(response)
        else:
            assert response.status_code == 200
            assert "Không được dài quá 2000 ký tự." in field_errors(response)
            assert name in response.get_data(as_text=True)  # what was typed is kept
    with csrf_app.app_context():
        assert db.session.scalars(select(Dossier.applicant_name)).all() == ["Đỗ Hoa"]
        assert db.session.scalar(select(func.length(Dossier.note))) == 2000
