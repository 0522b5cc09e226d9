"""SQLite's PRAGMA optimize when a connection closes (transactions.configure_sqlite) stays cheap
whatever the size of the dossier table. The partial index of results dated before acceptance
holds no rows, so it never gets statistics and optimize analyzes the dossier table at every
close: unbounded, that read every index entry while holding the write lock (seconds at 1M
dossiers, and the clerks of other workers got the busy page)."""

import sqlite3

from sqlalchemy import text

from domain.sql import gather_statistics
from models import Procedure, db
from tests.factories import create_agency
from tests.support import make_app, reset_schema

ROWS = 20_000
LIST = "SELECT id FROM dossier WHERE agency_id = ? AND status = 2 ORDER BY accepted_at DESC LIMIT 5"
STEP = 1000  # SQLite VM instructions between two calls of the progress handler

FILL = f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO dossier (procedure_id, agency_id, applicant_name, applicant_kind, channel, status,
  version, created_at, updated_at, search_text, code, accepted_at, due_date)
SELECT :procedure, :agency, 'Nguyễn Văn ' || i, 'citizen', 'direct', 2 + i % 5, 1,
  '2024-01-01 08:00:00', '2024-01-01 08:00:00', '', 'H37-' || i,
  datetime('2024-01-01 08:00:00', '+' || i || ' minutes'), date('2024-01-01', '+' || (i % 300) || ' days')
FROM n"""


def _steps(connection, statement: str | None = None) -> list[int]:
    """A counter of the connection's VM work (in STEP instructions), and run `statement`."""
    counted = [0]

    def count():
        counted[0] += 1

    connection.set_progress_handler(count, STEP)
    if statement:
        connection.execute(statement)
    return counted


def test_optimize_at_close_samples_instead_of_reading_the_whole_table(tmp_path):
    path = tmp_path / "motcua.db"
    app = make_app(f"sqlite:///{path}")
    reset_schema(app)
    with app.app_context():
        agency = create_agency()
        procedure = Procedure(code="1.000001", name="Cấp phép", agency=agency, processing_days=5)
        db.session.add(procedure)
        db.session.flush()
        agency_id = agency.id
        db.session.execute(text(FILL), {"procedure": procedure.id, "agency": agency_id})
        gather_statistics(db.session)  # as after a seed or an import
        db.session.commit()
        db.session.close()
        db.engine.dispose()

        with db.engine.connect() as connection:  # a request's list: the planner reads the stats
            rows = connection.exec_driver_sql(LIST, (agency_id,)).all()
            assert len(rows) == 5
            at_close = _steps(connection.connection.dbapi_connection)
        db.engine.dispose()  # the pool closes the connection: PRAGMA optimize

    probe = sqlite3.connect(path)
    try:
        # optimize still finds the dossier table worth analyzing (the empty partial index)...
        probe.execute(LIST, (agency_id,)).fetchall()
        wanted = probe.execute("PRAGMA optimize(0xfffff)").fetchall()  # 0x1: only list
        assert ('ANALYZE "main"."dossier"',) in wanted
        # ...and a whole ANALYZE of it, the cost of an unbounded optimize, is many times more.
        whole = _steps(probe, 'ANALYZE "dossier"')
    finally:
        probe.close()
    assert at_close[0] > 0, "optimize ran no ANALYZE at close"
    assert at_close[0] * 5 < whole[0], (at_close[0], whole[0])
