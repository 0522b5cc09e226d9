"""Backup and restore (issue 11, item 10): `flask backup PATH` while the center keeps working, and
`flask restore PATH` into a fresh database, on SQLite (the online backup API, which also copies
what is still in the WAL) and PostgreSQL (pg_dump -Fc / pg_restore)."""

import os
import shutil
import sqlite3
import tarfile
import threading
import time

import pytest
from sqlalchemy import func, make_url, select

from domain import backup, clock
from domain import lifecycle as lc
from models import AuditLog, Dossier, Payment, Procedure, db
from tests.factories import create_agency, create_user
from tests.support import make_app, spare_database

# The backup reads the database through another connection (and pg_dump): real commits.
pytestmark = pytest.mark.commits

UNIT = "000.00.20.H37"


@pytest.fixture
def restore_url(app, tmp_path):
    """An empty database next to the test one: a new SQLite file, or a new PostgreSQL database
    (created here and dropped after)."""
    yield from spare_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, "restore")


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _setup(app):
    with app.app_context():
        agency = create_agency()
        proc = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        db.session.add(proc)
        clerk = create_user("clerk", "staff", [agency])
        db.session.commit()
        return proc.id, clerk.id


def _intake(app, proc_id, clerk_id, name):
    """One intake with its payment, as the counter does it: one transaction, audited."""
    db.session.info["actor"] = (clerk_id, "10.0.0.1")
    dossier = Dossier(procedure_id=proc_id, applicant_name=name)
    lc.accept_dossier(db.session, dossier, None, clock.now(), UNIT)
    db.session.flush()
    payment = Payment(dossier=dossier, amount_vnd=135000, method="cash", paid_at=clock.now())
    db.session.add(payment)
    db.session.commit()
    return dossier.id, payment.id


def test_backup_and_restore_under_concurrent_intakes(app, tmp_path, restore_url, monkeypatch):
    proc_id, clerk_id = _setup(app)
    committed = []  # (dossier id, payment id), appended once the commit has returned
    errors = []
    stop = threading.Event()
    copy_sqlite = backup.sqlite_backup

    def copy_once_an_intake_went_on(database, target):
        # SQLite's copy of this small database takes a few milliseconds, less than an intake
        # on a quiet machine: the command waits (10 s at most) for an intake committed after
        # it began, so that "intakes went on while the backup ran" never depends on timing.
        started = len(committed)
        deadline = time.monotonic() + 10
        while len(committed) == started and not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        copy_sqlite(database, target)

    monkeypatch.setattr(backup, "sqlite_backup", copy_once_an_intake_went_on)

    def counter(n):
        with app.app_context():
            i = 0
            while not stop.is_set():
                try:
                    committed.append(_intake(app, proc_id, clerk_id, f"Người {n}-{i}"))
                except Exception as exc:  # noqa: BLE001 - reported below
                    db.session.rollback()
                    errors.append(repr(exc))
                i += 1
            db.session.remove()

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        while len(committed) < 30 and not errors:
            time.sleep(0.05)
        before = list(committed)  # every one of these was committed before the backup began
        path = tmp_path / "motcua.backup"
        result = _cli(app, "backup", str(path))
        during = len(committed) - len(before)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors[:3]
    assert result.exit_code == 0, result.output
    assert during > 0, "intakes went on while the backup ran"
    assert path.stat().st_size > 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # personal data: owner only

    with app.app_context():
        dossier_ids = [d for d, _ in before]
        audit_before = set(
            db.session.scalars(
                select(AuditLog.id).where(
                    AuditLog.table_name == "dossier", AuditLog.row_id.in_(dossier_ids)
                )
            )
        )
        codes = dict(
            db.session.execute(
                select(Dossier.id, Dossier.code).where(Dossier.id.in_(dossier_ids))
            ).all()
        )
    assert len(audit_before) >= len(before)

    restored = make_app(restore_url)
    result = _cli(restored, "restore", str(path))
    assert result.exit_code == 0, result.output
    with restored.app_context():
        got = dict(db.session.execute(select(Dossier.id, Dossier.code)).all())
        assert {d: codes[d] for d in dossier_ids} == {d: got.get(d) for d in dossier_ids}
        payments = set(db.session.scalars(select(Payment.id)))
        assert {p for _, p in before} <= payments
        audit = set(
            db.session.scalars(
                select(AuditLog.id).where(
                    AuditLog.table_name == "dossier", AuditLog.row_id.in_(dossier_ids)
                )
            )
        )
        assert audit_before <= audit
        # A consistent snapshot: every dossier in the copy has its payment and its audit rows.
        assert db.session.scalar(select(func.count()).select_from(Payment)) == db.session.scalar(
            select(func.count()).select_from(Dossier)
        )
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(app, tmp_path, restore_url):
    proc_id, clerk_id = _setup(app)
    with app.app_context():
        first = _intake(app, proc_id, clerk_id, "Trước sao lưu")
    path = tmp_path / "a.backup"
    assert _cli(app, "backup", str(path)).exit_code == 0

    target = make_app(restore_url)
    assert _cli(target, "restore", str(path)).exit_code == 0  # empty: no --force needed
    with target.app_context():
        late = Dossier(procedure_id=proc_id, applicant_name="Sau sao lưu")
        lc.accept_dossier(db.session, late, None, clock.now(), UNIT)
        db.session.commit()
        db.session.remove()
    refused = _cli(target, "restore", str(path))
    assert refused.exit_code != 0
    assert "--force" in refused.output and "không trống" in refused.output
    with target.app_context():
        names = set(db.session.scalars(select(Dossier.applicant_name)))
        assert names == {"Trước sao lưu", "Sau sao lưu"}  # nothing was touched
        db.session.remove()
    forced = _cli(target, "restore", "--force", str(path))
    assert forced.exit_code == 0, forced.output
    with target.app_context():
        assert set(db.session.scalars(select(Dossier.applicant_name))) == {"Trước sao lưu"}
        assert db.session.get(Dossier, first[0]) is not None
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path, restore_url):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database backup\n" * 100)
    target = make_app(restore_url)
    result = _cli(target, "restore", str(junk))
    assert result.exit_code != 0
    assert "sao lưu" in result.output  # the reason, in Vietnamese (and English)
    missing = _cli(target, "restore", str(tmp_path / "nothing-here.backup"))
    assert missing.exit_code != 0
    with target.app_context():
        db.engine.dispose()


def test_backup_without_pg_dump_says_so(app, tmp_path):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        # SQLite needs no external tool.
        result = _cli(app, "backup", str(tmp_path / "x.db"))
        assert result.exit_code == 0, result.output
        return
    app.config["PG_DUMP"] = str(tmp_path / "no" / "pg_dump")
    result = _cli(app, "backup", str(tmp_path / "x.backup"))
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "x.backup").exists()


def test_a_plain_copy_of_the_live_file_is_not_a_backup_but_flask_backup_is(app, tmp_path):
    """Why the command exists: rows still in the WAL are missing from a copy of the .db file."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return  # PostgreSQL has no single file to copy
    proc_id, clerk_id = _setup(app)
    with app.app_context():
        checkpoint = sqlite3.connect(url.database)  # what follows stays in the WAL file
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        for i in range(3):
            _intake(app, proc_id, clerk_id, f"Trong WAL {i}")
        path = tmp_path / "b.db"
        assert _cli(app, "backup", str(path)).exit_code == 0

        shutil.copyfile(url.database, tmp_path / "plain.db")
        plain = sqlite3.connect(tmp_path / "plain.db")
        # The backup is an archive (the database and the attached files): its database copy.
        with tarfile.open(path) as archive:
            (tmp_path / "copied.db").write_bytes(archive.extractfile("database.sqlite3").read())
        copied = sqlite3.connect(tmp_path / "copied.db")
        try:
            assert plain.execute("SELECT count(*) FROM dossier").fetchone()[0] < 3
            assert copied.execute("SELECT count(*) FROM dossier").fetchone()[0] == 3
            assert copied.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        finally:
            plain.close()
            copied.close()
    assert not os.path.exists(f"{path}-wal")
