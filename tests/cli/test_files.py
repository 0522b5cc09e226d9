"""`flask files check` (every stored file against its hash) and backups that carry the attached
files (`flask backup` / `flask restore`), on SQLite and PostgreSQL (issue 14, point 3)."""

import datetime as dt
import hashlib
import tarfile

import pytest
from sqlalchemy import inspect, select

from domain import backup, clock
from domain import files as df
from domain import lifecycle as lc
from models import Dossier, DossierFile, Procedure, StoredFile, db
from tests import file_samples as samples
from tests.factories import create_agency, create_user
from tests.support import make_app, spare_database

UNIT = "000.00.20.H37"


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _dossier_with_files(app, files_dir, contents):
    """A dossier with one attachment per content, stored as the web does it."""
    with app.app_context():
        agency = create_agency()
        clerk = create_user("clerk", "staff", [agency])
        proc = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        dossier = Dossier(procedure=proc, applicant_name="Nguyễn Văn Ánh")
        lc.accept_dossier(db.session, dossier, clerk, dt.datetime(2019, 3, 4, 9), UNIT)
        for i, content in enumerate(contents):
            df.attach(
                db.session,
                dossier,
                df.check_content(content, f"f{i}"),
                f"tep-{i}",
                files_dir,
                clerk,
                clock.now(),
            )
        db.session.commit()
        return dossier.id


def test_files_check_finds_a_changed_and_a_missing_file(app, tmp_path):
    files_dir = tmp_path / "files"
    app.config["FILES_DIR"] = str(files_dir)
    good, changed, missing = samples.pdf(1), samples.png(seed=1), samples.jpeg()
    _dossier_with_files(app, files_dir, [good, changed, missing])

    result = _cli(app, "files", "check")
    assert result.exit_code == 0, result.output
    assert "Đã kiểm tra 3 tệp: 0 thiếu, 0 bị thay đổi" in result.output

    changed_path = df.path_for(files_dir, hashlib.sha256(changed).hexdigest())
    changed_path.write_bytes(changed[:-1] + b"\x00")
    missing_path = df.path_for(files_dir, hashlib.sha256(missing).hexdigest())
    missing_path.unlink()
    stray = files_dir / "ab" / "cd" / ("ab" + "cd" + "0" * 60)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left by a failed save")

    result = _cli(app, "files", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("THIẾU / MISSING") and str(missing_path) in line for line in lines)
    assert any(
        line.startswith("ĐÃ BỊ THAY ĐỔI / CHANGED") and str(changed_path) in line for line in lines
    )
    assert any("not referenced" in line and str(stray) in line for line in lines)
    assert "Đã kiểm tra 3 tệp: 1 thiếu, 1 bị thay đổi" in result.output
    assert str(df.path_for(files_dir, hashlib.sha256(good).hexdigest())) not in result.output


def test_a_damaged_file_is_repaired_by_the_same_content_uploaded_again(app, tmp_path):
    files_dir = tmp_path / "files"
    app.config["FILES_DIR"] = str(files_dir)
    content = samples.png(seed=3)
    dossier_id = _dossier_with_files(app, files_dir, [content])
    path = df.path_for(files_dir, hashlib.sha256(content).hexdigest())
    path.write_bytes(b"damaged")
    assert _cli(app, "files", "check").exit_code == 1
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        dossier.resolved_at = clock.now()  # attached elsewhere: as the electronic result
        df.attach(
            db.session,
            dossier,
            df.check_content(content, "again"),
            "again.png",
            files_dir,
            None,
            clock.now(),
            kind="result",
        )
        db.session.commit()
    assert path.read_bytes() == content
    assert _cli(app, "files", "check").exit_code == 0


@pytest.fixture
def restore_url(app, tmp_path):
    """An empty database next to the test one (SQLite file, or a PostgreSQL database)."""
    yield from spare_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, "files_restore")


@pytest.mark.commits  # the backup reads the database through another connection (pg_dump)
def test_backup_and_restore_carry_the_files(app, tmp_path, restore_url):
    files_dir = tmp_path / "files"
    app.config["FILES_DIR"] = str(files_dir)
    contents = [samples.pdf(2), samples.png(seed=5), samples.jpeg()]
    _dossier_with_files(app, files_dir, contents)
    path = tmp_path / "motcua.backup"
    result = _cli(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert "3 tệp đính kèm" in result.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(path) as archive:
        names = archive.getnames()
    assert names[0] == "motcua-backup.json" and names[1].startswith("database.")
    assert sorted(n for n in names if n.startswith("files/")) == sorted(
        f"files/{h[:2]}/{h[2:4]}/{h}" for h in (hashlib.sha256(c).hexdigest() for c in contents)
    )

    restored_dir = tmp_path / "restored-files"
    target = make_app(restore_url, FILES_DIR=str(restored_dir))
    result = _cli(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "3 tệp đính kèm đã khôi phục" in result.output
    for content in contents:
        assert (
            df.path_for(restored_dir, hashlib.sha256(content).hexdigest()).read_bytes() == content
        )
    with target.app_context():
        assert sorted(db.session.scalars(select(DossierFile.original_name))) == [
            "tep-0",
            "tep-1",
            "tep-2",
        ]
        assert (
            db.session.scalars(
                select(StoredFile.pages).where(StoredFile.media_type == "application/pdf")
            ).one()
            == 2
        )
    check = _cli(target, "files", "check")
    assert check.exit_code == 0 and "Đã kiểm tra 3 tệp" in check.output
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.commits  # the backup reads the database through another connection (pg_dump)
def test_a_backup_with_a_damaged_file_is_not_restored(app, tmp_path, restore_url):
    files_dir = tmp_path / "files"
    app.config["FILES_DIR"] = str(files_dir)
    content = samples.pdf(1)
    _dossier_with_files(app, files_dir, [content])
    df.path_for(files_dir, hashlib.sha256(content).hexdigest()).write_bytes(b"not the pdf")
    path = tmp_path / "damaged.backup"
    assert _cli(app, "backup", str(path)).exit_code == 0
    target = make_app(restore_url, FILES_DIR=str(tmp_path / "restored-files"))
    result = _cli(target, "restore", str(path))
    assert result.exit_code != 0 and "bị hỏng" in result.output
    with target.app_context():
        assert "dossier" not in inspect(db.engine).get_table_names()  # database untouched
        db.engine.dispose()


@pytest.mark.commits  # the backup reads the database through another connection (pg_dump)
def test_a_backup_made_before_files_existed_still_restores(app, tmp_path, restore_url):
    """Older backups are the bare database copy (no archive): restore still takes them."""

    app.config["FILES_DIR"] = str(tmp_path / "files")
    dossier_id = _dossier_with_files(app, tmp_path / "files", [])
    path = tmp_path / "old.backup"
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            backup.sqlite_backup(url.database, path)
        else:
            backup.postgresql_backup(url.render_as_string(hide_password=False), path)
    assert not backup.is_archive(path)
    target = make_app(restore_url, FILES_DIR=str(tmp_path / "restored-files"))
    result = _cli(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert db.session.get(Dossier, dossier_id) is not None
        db.session.remove()
        db.engine.dispose()
