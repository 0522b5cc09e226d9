"""`flask seed scale` as a bulk load (seed/common.py bulk_load): the secondary indexes are
dropped for the load and built again (on PostgreSQL the foreign keys too, on SQLite the search
triggers, the new rows indexed at the end), the events written by the database match the dossiers,
and the planner has statistics afterwards."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select, text

from domain import search_index
from domain.text import normalize_search
from models import (
    Agency,
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    DossierFile,
    Payment,
    Procedure,
    StaffRating,
    db,
)
from seed.common import (
    SQLITE_LOAD_PRAGMAS,
    Writer,
    fast_randint,
    foreign_keys,
    secondary_indexes,
)
from seed.scale import COLUMNS, CONSTANTS, TABLES, generate
from tests.support import assert_report_days_current as assert_current


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
        keys = {t.name: foreign_keys(db.session, t) for t, _ in TABLES}
        postgresql = db.session.get_bind().dialect.name == "postgresql"
        assert bool(keys["dossier"] and keys["dossier_file"]) == postgresql
        result = app.test_cli_runner().invoke(
            args=["seed", "scale", "--dossiers", "300", "--batch", "100"]
        )
        assert result.exit_code == 0, result.output
        after = {t.name: secondary_indexes(db.session, t) for t, _ in TABLES}
        assert after == before
        assert {t.name: foreign_keys(db.session, t) for t, _ in TABLES} == keys
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


def _fts_triggers(session):
    return search_index.triggers(session.connection(), "dossier")


def _pragmas(session) -> dict:
    if session.get_bind().dialect.name != "sqlite":
        return {}
    connection = session.connection()
    return {
        name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in (*SQLITE_LOAD_PRAGMAS, "foreign_keys")
    }


def _found(words, indexed: bool) -> list[int]:
    dialect = db.session.get_bind().dialect.name
    query = select(Dossier.id).order_by(Dossier.id)
    for word in words:
        query = query.where(
            search_index.contains_word(dialect, Dossier.search_text, word)
            if indexed
            else Dossier.search_text.contains(word, autoescape=True)
        )
    return list(db.session.scalars(query))


@pytest.mark.parametrize("count", [300, 1])  # larger than what is there (indexes rebuilt), smaller
def test_scale_keeps_the_search_index_in_step(app, users, count):
    """The load runs without the SQLite search triggers (seed/common.py bulk_load): afterwards
    the triggers are back, the FTS table holds exactly the table's rows, and the seeded rows are
    found through the index as LIKE finds them; on PostgreSQL the trigram index is back."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(code="1.000001", name="Thủ tục", processing_days=5, agency=agency)
        db.session.add(procedure)
        for code, name in (("OLD-1", "Trần Văn Cũ"), ("OLD-2", "Lê Thị Trước")):
            db.session.add(
                Dossier(procedure=procedure, agency_id=agency.id, code=code, applicant_name=name)
            )
        db.session.commit()
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        triggers = _fts_triggers(db.session)
        assert len(triggers) == (3 if sqlite else 0)
        pragmas = _pragmas(db.session)
        result = app.test_cli_runner().invoke(
            args=["seed", "scale", "--dossiers", str(count), "--batch", "100"]
        )
        assert result.exit_code == 0, result.output
        assert _fts_triggers(db.session) == triggers
        assert _pragmas(db.session) == pragmas  # the load's PRAGMAs restored
        if sqlite:
            fts = search_index.fts_table("dossier")
            # FTS5's own check of the index against its content table (raises when they differ).
            db.session.execute(
                text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
            )
            indexed = db.session.scalar(text(f"SELECT count(*) FROM {fts}_docsize"))
            assert indexed == count + 2
        else:
            names = {name for name, _ in secondary_indexes(db.session, Dossier.__table__)}
            assert search_index.trigram_index("dossier") in names
        seeded = db.session.execute(
            select(Dossier.code, Dossier.applicant_name, Dossier.phone).where(
                Dossier.code.not_like("OLD-%")
            )
        ).all()
        assert len(seeded) == count
        words = {"tran van cu", "truoc"}
        for code, name, phone in seeded[:20]:
            name = normalize_search(name)
            words |= {code.lower(), name, name.split()[-1], phone[-6:]}
        for word in words:
            expected = _found([word], indexed=False)
            assert expected and _found([word], indexed=True) == expected, word
        # Rows written after the seed are indexed by the triggers again.
        db.session.add(
            Dossier(procedure=procedure, agency_id=agency.id, code="NEW-1", applicant_name="Vũ Hậu")
        )
        db.session.flush()
        assert _found(["vu hau"], indexed=True) == [
            db.session.scalar(select(Dossier.id).where(Dossier.code == "NEW-1"))
        ]


SEEDED = (
    DossierFile,
    DossierDocument,
    StaffRating,
    Payment,
    DossierEvent,
    DossierCounter,
    Dossier,
)


def _seeded_rows(session) -> dict[str, list[tuple]]:
    rows = {}
    for model in SEEDED:
        table = model.__table__
        order = [table.c.unit_code, table.c.day] if model is DossierCounter else [table.c.id]
        rows[table.name] = [tuple(r) for r in session.execute(select(table).order_by(*order))]
    return rows


def _load_schema(session):
    return [
        (secondary_indexes(session, t), foreign_keys(session, t), _fts_triggers(session))
        for t, _ in TABLES
    ]


@pytest.mark.commits  # the app's own session, as in `flask seed scale`, not the tests' connection
def test_scale_rows_do_not_depend_on_batches(app, users, tmp_path):
    """The same seed gives the same rows whatever the batch size: the rows are made in one
    thread, written in another (seed/common.py Writer), ids and counters fixed before writing."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        db.session.add(Procedure(code="1.000001", name="Thủ tục", processing_days=5, agency=agency))
        db.session.commit()
        schema = _load_schema(db.session)
        runs = []
        for batch in (100, 1000):
            generate(db.session, 250, "H01.01", batch=batch, files_dir=tmp_path)
            # Indexes (on PostgreSQL built two tables at a time, on connections of their own),
            # foreign keys and search triggers all back.
            assert _load_schema(db.session) == schema
            runs.append(_seeded_rows(db.session))
            for model in SEEDED:
                db.session.execute(model.__table__.delete())
            db.session.commit()
        assert runs[0]["dossier"] and runs[0]["dossier_file"] and runs[0]["payment"] == []
        assert runs[0] == runs[1]


def test_seeded_rows_give_every_column():
    """The rows are tuples of COLUMNS and CONSTANTS (seed/common.py bulk_rows): together every
    column of their table, once, so that a new column is not left to the database's default."""
    for table, key in TABLES:
        if key in ("event", "counter"):  # written by SQL / as dicts
            continue
        given = [*COLUMNS[key], *CONSTANTS[key]]
        assert sorted(given) == sorted(c.name for c in table.c), table.name


def test_writer_runs_jobs_in_order_and_raises_their_failure():
    done = []
    with Writer() as writer:
        for k in range(5):
            writer.submit(done.append, k)
    assert done == [0, 1, 2, 3, 4]

    def fail():
        raise ValueError("write failed")

    with pytest.raises(ValueError, match="write failed"):
        with Writer() as writer:
            writer.submit(fail)
    with pytest.raises(ValueError, match="write failed"):
        with Writer() as writer:
            writer.submit(fail)
            writer.submit(done.append, 5)  # the failure comes out here, before this job runs
    assert done == [0, 1, 2, 3, 4]


def test_fast_randint_draws_what_randint_draws():
    fast, plain = random.Random(7), random.Random(7)
    randint = fast_randint(fast)
    bounds = [(0, 0), (0, 1), (1, 5), (450, 685), (0, 999999), (10**7, 10**8 - 1), (-3, 3)]
    for _ in range(2000):
        a, b = bounds[plain.randrange(len(bounds))]
        fast.randrange(len(bounds))  # the two generators kept in the same state
        assert randint(a, b) == plain.randint(a, b)
        assert fast.random() == plain.random()  # interleaved with other draws, as in the seed
