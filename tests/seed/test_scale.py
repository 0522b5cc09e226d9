"""`flask seed scale` as a bulk load (seed/common.py bulk_load): the secondary indexes are
dropped for the load and built again, the events written by the database match the dossiers,
and the planner has statistics afterwards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from models import Agency, Dossier, DossierEvent, Procedure, db
from seed.common import secondary_indexes
from seed.scale import TABLES
from tests.domain.test_report_days import assert_current


def _statistics(session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SELECT count(*) FROM pg_stats WHERE tablename = 'dossier'"))
    return session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'dossier'"))


def test_scale_rebuilds_indexes_and_analyzes(app, users):
    with app.app_context():
        db.session.add(
            Procedure(
                code="1.000001",
                name="Thủ tục",
                processing_days=5,
                agency=db.session.scalar(select(Agency).where(Agency.code == "SGTVT")),
            )
        )
        db.session.commit()
        before = {t.name: secondary_indexes(db.session, t) for t, _ in TABLES}
        assert before["dossier"] and before["dossier_event"]
        result = app.test_cli_runner().invoke(
            args=["seed", "scale", "--dossiers", "300", "--batch", "100"]
        )
        assert result.exit_code == 0, result.output
        after = {t.name: secondary_indexes(db.session, t) for t, _ in TABLES}
        assert after == before
        assert _statistics(db.session) > 0
        # The bulk load went past the flush hook: the report's per-day counts were recounted.
        assert_current(db.session)
        # Four events a dossier, in order, from acceptance to return, ids following each other.
        rows = db.session.execute(
            select(
                DossierEvent.id,
                DossierEvent.dossier_id,
                DossierEvent.to_status,
                DossierEvent.at,
                DossierEvent.user_id,
                DossierEvent.created_at,
            ).order_by(DossierEvent.id)
        ).all()
        assert len(rows) == 1200
        assert [r.id for r in rows] == list(range(rows[0].id, rows[0].id + 1200))
        dossiers = {
            d.id: d
            for d in db.session.execute(
                select(
                    Dossier.id,
                    Dossier.accepted_at,
                    Dossier.resolved_at,
                    Dossier.returned_at,
                    Dossier.received_by_id,
                )
            )
        }
        for k in range(0, 1200, 4):
            group = rows[k : k + 4]
            d = dossiers[group[0].dossier_id]
            assert {r.dossier_id for r in group} == {d.id}
            assert [r.to_status for r in group] == [2, 4, 9, 10]
            assert [r.at for r in group] == [
                d.accepted_at,
                d.accepted_at + dt.timedelta(minutes=45),
                d.resolved_at,
                d.returned_at,
            ]
            assert [r.user_id for r in group] == [d.received_by_id, None, None, d.received_by_id]
            assert group[2].created_at == d.resolved_at - dt.timedelta(hours=7)
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 300
