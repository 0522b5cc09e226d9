"""domain/courier_count.py: each courier run's item_count equals a count of its items after
every way they are written (added by the ORM, by plain SQL, removed, moved to another run, the
run deleted), on a schema made by the migrations and on one made by create_all."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from domain import courier
from models import CourierItem, CourierRun, Dossier, db

RUN_DATE = dt.date(2019, 6, 10)  # no run of the March data set that day


def assert_counts_current(session) -> None:
    kept = dict(session.execute(select(CourierRun.id, CourierRun.item_count)).all())
    counted = dict(
        session.execute(select(CourierItem.run_id, func.count()).group_by(CourierItem.run_id)).all()
    )
    assert kept == {run_id: counted.get(run_id, 0) for run_id in kept}


def _exercise(session, dossiers, agency) -> None:
    first = CourierRun(run_date=RUN_DATE, slot="10:30", direction="to_agency", agency=agency)
    second = CourierRun(run_date=RUN_DATE, slot="16:00", direction="to_agency", agency=agency)
    session.add_all([first, second])
    session.flush()
    assert_counts_current(session)
    # Added through the screens' rule (ORM), then by plain SQL (an import, a bulk load).
    courier.add_codes_to_run(session, first, "\n".join(d.code for d in dossiers[:3]))
    session.flush()
    session.execute(insert(CourierItem), [{"run_id": second.id, "dossier_id": dossiers[3].id}])
    assert_counts_current(session)
    assert session.scalar(select(CourierRun.item_count).where(CourierRun.id == first.id)) == 3
    # Moved to the other run, removed, the run deleted with what it carried.
    moved = session.scalars(select(CourierItem).where(CourierItem.run_id == first.id)).first()
    session.execute(update(CourierItem).where(CourierItem.id == moved.id).values(run_id=second.id))
    assert_counts_current(session)
    session.execute(delete(CourierItem).where(CourierItem.dossier_id == dossiers[3].id))
    assert_counts_current(session)
    assert session.scalar(select(CourierRun.item_count).where(CourierRun.id == second.id)) == 1
    session.expire_all()
    session.delete(session.get(CourierRun, first.id))
    session.flush()
    assert_counts_current(session)
    rows = session.execute(courier.run_counts([CourierRun.run_date == RUN_DATE])).all()
    assert [(r.direction, r.runs, r.dossiers) for r in rows] == [("to_agency", 1, 1)]


def test_the_runs_count_their_items_whatever_writes_them(march):
    with march.app_context():
        first = db.session.scalars(select(Dossier).order_by(Dossier.id)).first()
        dossiers = db.session.scalars(
            select(Dossier)
            .where(Dossier.agency_id == first.agency_id)
            .order_by(Dossier.id)
            .limit(4)
        ).all()
        for number, dossier in enumerate(dossiers):  # codes to type at the counter
            dossier.code = f"COURIER-{number}"
        _exercise(db.session, dossiers, first.agency)
        db.session.rollback()


def test_a_schema_made_by_create_all_counts_too():
    """Some tests (the report's reference test) build their schema with create_all: the
    triggers come with courier_item's table there too, and go with it."""
    engine = create_engine("sqlite://")  # foreign keys not enforced: bare rows suffice
    db.metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(
            insert(CourierRun.__table__),
            [
                {
                    "id": 1,
                    "run_date": RUN_DATE,
                    "slot": "10:30",
                    "direction": "to_agency",
                    "agency_id": 1,
                    "created_at": dt.datetime(2019, 3, 5),
                    "updated_at": dt.datetime(2019, 3, 5),
                }
            ],
        )
        session.execute(
            insert(CourierItem.__table__),
            [{"run_id": 1, "dossier_id": n, "added_at": dt.datetime(2019, 3, 5)} for n in (1, 2)],
        )
        assert session.scalar(select(CourierRun.item_count)) == 2
        assert_counts_current(session)
    db.metadata.drop_all(engine)
    with engine.connect() as connection:
        assert (
            connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'courier%'"
            ).scalar()
            == 0
        )
