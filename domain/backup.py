"""Backup and restore of the whole database, while the center keeps working.

SQLite: the online backup API copies a consistent snapshot, including what is still in the WAL
file (a plain copy of motcua.db misses those rows), into a single self-contained file.
PostgreSQL: pg_dump -Fc (one consistent snapshot) and pg_restore, in one transaction.

The backup file is an archive of that copy and of the attached files (FILES_DIR); restore also
takes the bare database copies written before files existed.

Messages are bilingual (Vietnamese / English): they are read in a terminal."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from sqlalchemy import inspect, make_url, text

from domain import clock
from domain.files import Checked, path_for, store, stored_paths

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
BUSY_TIMEOUT_MS = 30000


class BackupError(Exception):
    """A refusal or failure, with its reason in Vietnamese and English."""


# ---- shared -----------------------------------------------------------------------------------


def _temporary_next_to(target: Path) -> Path:
    """An owner-only file in the target's folder: the backup holds personal data and password
    hashes, and is renamed into place only when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    return Path(name)


def _magic(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise BackupError(
            f"Không mở được tệp sao lưu / cannot open the backup file: {exc}"
        ) from exc


def database_has_data(engine, tables) -> bool:
    """Whether any of the application's tables exists and holds a row."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in tables:
            if (
                table.name in existing
                and conn.execute(text(f'SELECT 1 FROM "{table.name}" LIMIT 1')).first() is not None
            ):
                return True
    return False


NOT_EMPTY = (
    "Cơ sở dữ liệu đích không trống: khôi phục sẽ ghi đè toàn bộ dữ liệu hiện có. "
    "Dùng --force nếu thật sự muốn vậy / the target database is not empty: restoring "
    "replaces all of its data; add --force to do it anyway."
)


# ---- SQLite -----------------------------------------------------------------------------------


def sqlite_backup(database: str, target: Path) -> None:
    """Copy the live database into `target` (replaced atomically when complete)."""
    if not database or database == ":memory:":
        raise BackupError(
            "Cơ sở dữ liệu trong bộ nhớ không sao lưu được / an in-memory "
            "database cannot be backed up"
        )
    if not Path(database).exists():
        raise BackupError(f"Không thấy cơ sở dữ liệu / database not found: {database}")
    temporary = _temporary_next_to(target)
    try:
        source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(temporary)
        try:
            # One step (pages=-1): a single read transaction, i.e. one consistent snapshot; in
            # WAL mode it does not block the writers meanwhile.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("Bản sao lưu bị lỗi / the backup copy failed its check")
        finally:
            copy.close()
            source.close()
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise BackupError(f"Sao lưu thất bại / backup failed: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def _check_sqlite_backup(source: Path) -> None:
    if _magic(source, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        raise BackupError(
            f"{source} không phải bản sao lưu SQLite của motcua / is not a motcua SQLite backup"
        )
    connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        names = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        ok = connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.Error as exc:
        raise BackupError(
            f"{source} không đọc được như bản sao lưu / cannot be read as a backup: {exc}"
        ) from exc
    finally:
        connection.close()
    if not ok or not {"alembic_version", "dossier"} <= names:
        raise BackupError(
            f"{source} không phải bản sao lưu của motcua hoặc bị hỏng / is not a "
            "motcua backup, or is damaged"
        )


def sqlite_restore(source: Path, database: str, has_data: bool, force: bool) -> None:
    """Replace the database's content by the backup's (the backup API, page by page, under
    the write lock: other connections see either the old or the new database)."""
    _check_sqlite_backup(source)
    if has_data and not force:
        raise BackupError(NOT_EMPTY)
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        backup.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"Khôi phục thất bại / restore failed: {exc}") from exc
    finally:
        live.close()
        backup.close()


# ---- PostgreSQL -------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection URI without the password, and the environment carrying it (never on
    the command line, where `ps` shows it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(configured: str | None, name: str) -> str:
    path = shutil.which(configured or name)
    if path is None:
        raise BackupError(
            f"Không tìm thấy {name} ({configured or name}): cài gói postgresql-client cùng phiên "
            f"bản với máy chủ, hoặc đặt {name.upper()} là đường dẫn tới nó / {name} not found: "
            f"install postgresql-client (the server's version) or set {name.upper()} to its path"
        )
    return path


def _run(command: list[str], env: dict, what: str) -> None:
    result = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(
            f"{what} thất bại / {what} failed ({result.returncode}): {result.stderr.strip()}"
        )


def postgresql_backup(url: str, target: Path, pg_dump: str | None = None) -> None:
    """pg_dump -Fc into `target` (replaced atomically when complete)."""
    tool = _tool(pg_dump, "pg_dump")
    dsn, env = _libpq(url)
    temporary = _temporary_next_to(target)
    try:
        # -w: never wait for a password prompt (cron); the file stays owner-only (mkstemp).
        _run([tool, "-Fc", "-w", "--file", str(temporary), "--dbname", dsn], env, "pg_dump")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def postgresql_restore(
    url: str, source: Path, has_data: bool, force: bool, pg_restore: str | None = None
) -> None:
    """pg_restore in one transaction: all of the backup, or nothing. Objects of the backup are
    dropped first (--clean), so an empty database made by `flask db upgrade` takes it too."""
    if _magic(source, len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
        raise BackupError(
            f"{source} không phải bản sao lưu PostgreSQL (pg_dump -Fc) của motcua "
            "/ is not a motcua PostgreSQL backup (pg_dump -Fc)"
        )
    if has_data and not force:
        raise BackupError(NOT_EMPTY)
    tool = _tool(pg_restore, "pg_restore")
    dsn, env = _libpq(url)
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "-w",
            "--dbname",
            dsn,
            str(source),
        ],
        env,
        "pg_restore",
    )


# ---- the archive: the database and the attached files in one file ----------------------------
# A backup is an uncompressed tar (PDFs and images are compressed already) holding a manifest,
# the database copy made above, and every content file under FILES_DIR as files/ab/cd/<sha256>.
# The database is copied first: a file named by a row of that copy was written before the row
# was committed (domain/files.py), so it is in FILES_DIR when the files are copied next.

MANIFEST = "motcua-backup.json"
ARCHIVE_FORMAT = 1
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_FILE_MEMBER = re.compile(r"^files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})$")


def write_archive(target: Path, backend: str, make_database_copy, files_dir) -> int:
    """Write the archive to `target` (replaced atomically when complete): the database copy
    made by make_database_copy(path), then the files. Returns the number of files."""
    temporary = _temporary_next_to(target)
    database = _temporary_next_to(target)
    try:
        make_database_copy(database)
        files = stored_paths(files_dir)
        created_at = clock.utcnow().replace(tzinfo=dt.UTC)
        manifest = json.dumps(
            {
                "format": ARCHIVE_FORMAT,
                "backend": backend,
                "database": DATABASE_MEMBERS[backend],
                "files": len(files),
                "created_at": created_at.isoformat(),
            }
        ).encode()
        with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(manifest), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(manifest))
            archive.add(database, arcname=DATABASE_MEMBERS[backend], recursive=False)
            for sha256, path in files:
                archive.add(
                    path, arcname=f"files/{sha256[:2]}/{sha256[2:4]}/{sha256}", recursive=False
                )
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return len(files)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Sao lưu thất bại / backup failed: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
        database.unlink(missing_ok=True)


def is_archive(source: Path) -> bool:
    """Whether `source` is a backup archive (older backups are a bare database copy)."""
    try:
        if not tarfile.is_tarfile(source):
            return False
        with tarfile.open(source, "r:") as archive:
            return archive.getmember(MANIFEST).isfile()
    except (OSError, KeyError, tarfile.TarError):
        return False


def read_manifest(source: Path) -> dict:
    try:
        with tarfile.open(source, "r:") as archive:
            manifest = json.loads(archive.extractfile(MANIFEST).read())
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise BackupError(
            f"{source} không phải bản sao lưu của motcua hoặc bị hỏng / is not a "
            "motcua backup, or is damaged"
        ) from exc
    if manifest.get("format") != ARCHIVE_FORMAT or manifest.get("backend") not in DATABASE_MEMBERS:
        raise BackupError(f"{source}: bản sao lưu của phiên bản khác / a backup of another version")
    return manifest


def extract_database(source: Path, manifest: dict, folder: Path) -> Path:
    """The database copy of the archive, written to a file in `folder` (never to a name
    taken from the archive)."""
    target = Path(folder) / "database"
    try:
        with tarfile.open(source, "r:") as archive:
            member = archive.getmember(DATABASE_MEMBERS[manifest["backend"]])
            if not member.isfile():
                raise KeyError(member.name)
            with archive.extractfile(member) as data, open(target, "wb") as out:
                shutil.copyfileobj(data, out, 1024 * 1024)
    except (OSError, KeyError, tarfile.TarError) as exc:
        raise BackupError(
            f"{source}: không đọc được cơ sở dữ liệu trong bản sao lưu / cannot "
            f"read the database in the backup: {exc}"
        ) from exc
    return target


def restore_files(source: Path, files_dir) -> int:
    """Put the archive's files back under FILES_DIR, each checked against its hash first; a
    file whose content does not match its name stops the restore (the database is restored
    after the files, so it is then left untouched). Returns the number of files."""
    count = 0
    try:
        with tarfile.open(source, "r:") as archive:
            for member in archive:
                match = _FILE_MEMBER.match(member.name)
                if not match or not member.isfile():
                    continue  # the manifest, the database, or anything else: never a path
                sha256 = match.group(3)
                if match.group(1) != sha256[:2] or match.group(2) != sha256[2:4]:
                    continue
                with archive.extractfile(member) as handle:
                    data = handle.read()
                if hashlib.sha256(data).hexdigest() != sha256:
                    raise BackupError(
                        f"Tệp {member.name} trong bản sao lưu bị hỏng / damaged in the backup"
                    )
                path_for(files_dir, sha256)  # a valid name, checked once more
                store(files_dir, Checked(data=data, sha256=sha256, media_type="", pages=None))
                count += 1
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Khôi phục tệp thất bại / restoring the files failed: {exc}") from exc
    return count
