"""Intake sends each query once (issue 16): the accepted dossier is not read back after its
commit, nor the clerk's account, the working calendar is read once per process, not per
dossier, and the day's code number comes from one statement."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from models import Agency, Procedure, db


def _form_token(client) -> str:
    page = client.get("/dossier/new/").get_data(as_text=True)
    return re.search(r'name="form_token"[^>]*value="([^"]+)"', page).group(1)


def _intake(client, procedure_id, i, token):
    return client.post(
        "/dossier/new/",
        data={
            "procedure": procedure_id,
            "id_number": f"02030400{i:04d}",
            "applicant_name": f"Lê Văn {i}",
            "applicant_kind": "citizen",
            "channel": "direct",
            "return_channel": "counter",
            "form_token": token,
        },
    )


def test_intake_reads_nothing_twice(app, client, login_as, users):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(code="1.000005", name="Thủ tục thử", agency=agency, processing_days=5)
        db.session.add(procedure)
        db.session.commit()
        procedure_id, engine = procedure.id, db.engine
    login_as("staff")
    assert _intake(client, procedure_id, 0, _form_token(client)).status_code == 302  # warm
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        token = _form_token(client)
        seen.clear()
        response = _intake(client, procedure_id, 1, token)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    selects = [s for s in seen if s.upper().startswith("SELECT")]
    assert len(selects) == len(set(selects)), selects  # no query repeated
    assert not [s for s in selects if "calendar_day" in s]  # the calendar is kept
    # The day's code number: one statement bumps the counter and returns it.
    assert len([s for s in seen if "dossier_counter" in s]) == 1, seen
    last_insert = max(i for i, s in enumerate(seen) if s.upper().startswith("INSERT"))
    after = [s for s in seen[last_insert:] if s.upper().startswith("SELECT")]
    assert not after, after  # nothing read back after the dossier is written
