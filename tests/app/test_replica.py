"""REPORTS_DATABASE_URL (replica.py, README "Scaling"): the periodic report, the dashboard and
the list exports read a read replica when it is set; everything else stays on the main database.
The "replica" here is an SQLite file with the schema and one dossier the main database lacks."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import create_engine, insert

from models import Agency, Dossier, Procedure, db
from replica import reports_session
from tests.factories import PASSWORD, create_user

CODE = "REPLICA-0001"


def _replica(path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    db.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Agency.__table__).values(id=1, code="SREP", name="Sở Bản sao"))
        conn.execute(
            insert(Procedure.__table__).values(
                id=1, code="9.000001", name="Thủ tục", agency_id=1, processing_days=3
            )
        )
        conn.execute(
            insert(Dossier.__table__).values(
                id=1,
                code=CODE,
                procedure_id=1,
                agency_id=1,
                applicant_name="Người bản sao",
                channel="online",
                status=2,
                accepted_at=dt.datetime(2019, 3, 4, 8, 30),
                due_date=dt.date(2019, 3, 7),
                search_text="replica",
                version=1,
                created_at=dt.datetime(2019, 3, 4),
                updated_at=dt.datetime(2019, 3, 4),
            )
        )
    engine.dispose()
    return url


def test_reports_dashboard_and_exports_read_the_replica(app_with, tmp_path):
    app = app_with(REPORTS_DATABASE_URL=_replica(tmp_path / "replica.db"))
    with app.app_context():
        assert reports_session() is not db.session
        assert str(reports_session().get_bind().url).endswith("replica.db")
        create_user("manager9", "manager")
        db.session.commit()
        assert db.session.query(Dossier).filter_by(code=CODE).count() == 0
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "manager9", "password": PASSWORD}).status_code
        == 302
    )
    report = client.get("/report/?preset=month&month=3&year=2019").get_data(as_text=True)
    assert "Sở Bản sao" in report
    home = client.get("/?until=2019-03").get_data(as_text=True)
    assert "Người bản sao" in home or "Sở Bản sao" in home
    export = client.get("/dossier/export.xlsx")
    assert export.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(export.data)).worksheets[0].values)
    assert [r[0] for r in rows[1:]] == [CODE]
    # The list itself stays on the main database.
    assert CODE not in client.get("/dossier/").get_data(as_text=True)


def test_without_a_replica_everything_reads_the_main_database(app):
    with app.app_context():
        assert reports_session() is db.session
