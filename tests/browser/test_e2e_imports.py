"""End to end in headless Chromium: an admin uploads a dossier file, checks the preview and
confirms; the dossier is in the database with its computed due date."""

import datetime as dt

import pytest
from sqlalchemy import select

from models import Dossier, db
from tests.factories import licence_procedure
from tests.import_helpers import csv_bytes
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


def test_admin_imports_dossiers_in_the_browser(app, live_server, page, users, tmp_path):
    with app.app_context():
        agency_id = db.session.execute(db.text("SELECT id FROM agency WHERE code='SGTVT'")).scalar()
        db.session.add(licence_procedure(agency_id=agency_id))
        db.session.commit()
    upload = tmp_path / "ho-so.csv"
    upload.write_bytes(
        csv_bytes(
            [
                ["code", "procedure_code", "applicant_name", "channel", "accepted_at", "status"],
                ["CU-9", "1.002809", "Vũ Thị Hằng", "direct", "26/01/2019 09:00", "2"],
            ],
            bom=False,
        )
    )

    log_in(page, live_server, "admin1", "/imports/")
    page.check("input[name=kind][value=dossiers]")
    page.set_input_files("#file", str(upload))
    page.click("#upload-button")
    page.wait_for_url(f"{live_server}/imports/preview/*")
    assert "Vũ Thị Hằng" in page.content() and "11/02/2019" in page.content()
    with app.app_context():
        assert db.session.scalar(select(Dossier)) is None  # nothing before the confirmation
    page.click("#confirm-button")
    page.wait_for_selector("#import-result")
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert (dossier.code, dossier.due_date) == ("CU-9", dt.date(2019, 2, 11))
