"""Command-line interface (design §10), registered with the app by create_app."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale, gettext
from sqlalchemy import select

from domain import backup, clock, open_snapshots, periods, report_days
from domain.catalog_codes import agency_code
from domain.catalog_io import export_catalog_xlsx, export_catalog_zip, import_catalog
from domain.deadlines import DESIGN, METHODS
from domain.dossier_import import import_dossiers
from domain.evaluation import ensure_indicators
from domain.files import path_for, verify
from domain.notify_send import configured_channels, send_due
from domain.report_workbook import write_report_workbook
from domain.reports import build_details, build_report
from domain.spreadsheet_reader import SpreadsheetError, read_tables
from domain.usernames import normalize_username
from models import ROLES, Agency, User, db
from seed import seed_cli
from transactions import reads_only, write_aside

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agency_codes", multiple=True, help="Agency code (staff); repeatable.")
@click.option("--full-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, agency_codes, full_name, password_stdin):
    """Create a user. Without --password-stdin the password is asked for twice. The username
    is stored in lower case and is unique whatever the case (domain/usernames.py)."""
    username = normalize_username(username)
    if not username:
        raise click.ClickException("Thiếu tên đăng nhập / the username is empty")
    owner = User.username_owner(username)
    if owner is not None:
        raise click.ClickException(
            f"Đã có tài khoản {owner} (tên đăng nhập không phân biệt chữ hoa, chữ thường)"
            f" / username already exists: {owner} (usernames do not distinguish capital letters)"
        )
    agencies = []
    for code in agency_codes:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code(code)))
        if agency is None:
            raise click.ClickException(f"Không có cơ quan / unknown agency: {code}")
        agencies.append(agency)
    if role == "staff" and not agencies:
        raise click.ClickException(
            "Cán bộ một cửa phải thuộc ít nhất một cơ quan / staff need at least one --agency"
        )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException(
            "Mật khẩu cần ít nhất 8 ký tự / the password needs at least 8 characters"
        )
    user = User(username=username, role=role, full_name=full_name or username, agencies=agencies)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {username}")


evaluation_cli = AppGroup("evaluation", help="Evaluation forms.")


@evaluation_cli.command("indicators")
def evaluation_indicators():
    """Add the missing evaluation indicators (9 national, 4 of the 2019 citizen form)."""
    added = ensure_indicators(db.session)
    db.session.commit()
    click.echo(f"Đã thêm {added} tiêu chí / {added} indicators added")


catalog_cli = AppGroup("catalog", help="Import and export the catalog (.xlsx, .csv, .zip of .csv).")
dossiers_cli = AppGroup("dossiers", help="Dossiers from a previous system.")


def _read_file(path: str):
    """The tables of FILE, or exit 1 with the reason in Vietnamese and English."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(current_app.settings.import_limits.max_bytes + 1)
    except OSError as exc:
        raise click.ClickException(f"Không mở được tệp / cannot open the file: {exc}") from exc
    try:
        return read_tables(data, path, current_app.settings.import_limits)
    except SpreadsheetError as exc:
        click.echo(f"Lỗi / error: {exc.issue.bilingual()}", err=True)
        raise SystemExit(1) from None


def _report_issues(plan) -> None:
    issues = plan.all_issues()
    click.echo(
        f"Tệp bị từ chối, không ghi gì vào cơ sở dữ liệu ({len(issues)} lỗi) / "
        f"file rejected, nothing written ({len(issues)} errors):",
        err=True,
    )
    for issue in issues:
        click.echo(f"  {issue.bilingual()}", err=True)


# ---- imports: all or nothing ------------------------------------------------------------------


@contextlib.contextmanager
def _rolled_back_on_error():
    """Any error (a ClickException too) leaves nothing written; exits pass through."""
    try:
        yield
    except Exception:
        db.session.rollback()
        raise


def _stop_if_rejected(plan) -> None:
    """A plan with issues writes nothing: the issues are listed and the command exits 1."""
    if not plan.ok:
        db.session.rollback()
        _report_issues(plan)
        raise SystemExit(1)


def _commit_unless_dry_run(dry_run: bool, dry_message: str, done_message: str) -> None:
    if dry_run:
        db.session.rollback()
        click.echo(dry_message)
    else:
        db.session.commit()
        click.echo(done_message)


def _show(value) -> str:
    return "" if value is None else str(value)


@catalog_cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and show the changes; write nothing.")
def catalog_import(path, dry_run):
    """Upsert agencies, fields, procedures and fee items by code, all or nothing."""
    tables = _read_file(path)
    strict = path.lower().endswith((".csv", ".zip"))
    with _rolled_back_on_error():
        plan = import_catalog(db.session, tables, apply=not dry_run, strict_names=strict)
        _stop_if_rejected(plan)
        for row in plan.rows:
            if row.action == "new":
                click.echo(f"  mới / new        {row.entity} {row.key}")
            elif row.action == "changed":
                changes = "; ".join(
                    f"{k}: {_show(o)} → {_show(n)}" for k, (o, n) in row.changes.items()
                )
                click.echo(f"  sửa / changed    {row.entity} {row.key}: {changes}")
        counts = plan.counts()
        summary = (
            f"{counts['new']} mới / new, {counts['changed']} sửa / changed, "
            f"{counts['unchanged']} không đổi / unchanged"
        )
        _commit_unless_dry_run(
            dry_run,
            f"Chạy thử, chưa ghi / dry run, nothing written: {summary}",
            f"Đã nhập / imported: {summary}",
        )


@catalog_cli.command("export")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def catalog_export(path):
    """Write the catalog to FILE: .xlsx (one sheet per table) or .zip (one .csv per table)."""
    if path.lower().endswith(".xlsx"):
        with reads_only():
            export_catalog_xlsx(db.session, path)
    elif path.lower().endswith(".zip"):
        with reads_only():
            export_catalog_zip(db.session, path)
    else:
        raise click.ClickException(
            "Tên tệp phải kết thúc bằng .xlsx hoặc .zip (các tệp .csv) / "
            "FILE must end in .xlsx or .zip (of .csv files)"
        )
    click.echo(f"Đã xuất / exported: {path}")


@dossiers_cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
def dossiers_import(path, dry_run):
    """Dossiers from a previous system (design §10), all or nothing."""
    tables = _read_file(path)
    with _rolled_back_on_error():
        plan = import_dossiers(
            db.session,
            tables,
            apply=not dry_run,
            unit_code=current_app.settings.receiving_unit_code,
            hours=current_app.settings.working_hours_parsed,
        )
        _stop_if_rejected(plan)
        count = len(plan.rows)
        _commit_unless_dry_run(
            dry_run,
            f"Chạy thử: {count} hồ sơ hợp lệ, chưa ghi / dry run: "
            f"{count} valid dossiers, nothing written",
            f"Đã nhập {count} hồ sơ / imported {count} dossiers",
        )


def report_period(date_from, date_to, month, quarter, half, year, statutory):
    """The period of `flask report` from exactly one of the ways to give it (domain/periods.py);
    a refused period is a usage error with the Vietnamese and the English message."""
    try:
        return periods.from_options(date_from, date_to, month, quarter, half, year, statutory)
    except periods.PeriodError as exc:
        with force_locale("vi"):
            message = gettext(exc.msgid, **exc.params)
        raise click.UsageError(
            f"Kỳ báo cáo không hợp lệ: {message} / invalid period: {exc}"
        ) from None


@click.command("report")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day (with --to).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last day, inclusive.")
@click.option("--month", metavar="YYYY-MM")
@click.option("--quarter", metavar="YYYY-Qn")
@click.option("--half", metavar="YYYY-Hn", help="Six months: 2019-H1 or 2019-H2.")
@click.option("--year", metavar="YYYY")
@click.option(
    "--statutory",
    is_flag=True,
    help="The statutory cut-off of the month, quarter, six months or year: from the "
    "15th of the month before to the 14th of its last month.",
)
@click.option("--by-field", is_flag=True, help="Break each agency down by field.")
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=DESIGN,
    show_default=True,
    help="How dossiers are counted early / on time / late: design, the center's counting (a "
    "withdrawn or stopped dossier counts on time); national, the national portal's method "
    "(unconfirmed, docs/legal.md).",
)
@click.option("--format", "fmt", type=click.Choice(("json", "xlsx")), required=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Output file (JSON goes to standard output without it).",
)
@with_appcontext
def report_command(
    date_from, date_to, month, quarter, half, year, statutory, by_field, method, fmt, out
):
    """The periodic report of design §6 (form 06a)."""
    period = report_period(date_from, date_to, month, quarter, half, year, statutory)
    start, end = period.start, period.end
    with reads_only():  # SQLite: a long report must not hold the write lock
        report = build_report(
            db.session,
            start,
            end,
            by_field=by_field,
            method=method,
            keep=lambda pending: write_aside(
                db.session.session_factory, lambda s: open_snapshots.keep(s, pending)
            ),
        )
        details = build_details(db.session, start, end) if fmt == "xlsx" and out else None
    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2)
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            click.echo(text)
        return
    if not out:
        raise click.UsageError("--format xlsx cần --out / --format xlsx needs --out PATH")
    settings = current_app.settings
    write_report_workbook(
        out,
        report,
        details,
        settings.reporting_unit_name,
        recipient=settings.report_recipient,
        form_label=settings.report_form_label,
    )
    click.echo(f"{out}", err=True)


def _backend() -> str:
    name = db.engine.url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Không hỗ trợ / unsupported database: {name}")
    return name


@click.command("backup")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Back up the whole database to PATH while the app keeps running (SQLite: the online
    backup API; PostgreSQL: pg_dump -Fc). PATH is replaced only when the copy is complete."""
    url = db.engine.url
    if _backend() == "sqlite":

        def database_copy(target):
            backup.sqlite_backup(url.database, target)
    else:

        def database_copy(target):
            backup.postgresql_backup(
                url.render_as_string(hide_password=False), target, current_app.settings.pg_dump
            )

    try:
        files = backup.write_archive(
            path, _backend(), database_copy, current_app.settings.files_dir
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Đã sao lưu / backed up: {path} ({path.stat().st_size:,} bytes, "
        f"{files} tệp đính kèm / attached files)"
    )


@click.command("restore")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(path, force):
    """Restore a backup made by `flask backup` (stop the app first). A database that already
    holds data is refused unless --force is given."""
    if not path.is_file():
        raise click.ClickException(f"Không thấy tệp sao lưu / backup file not found: {path}")
    backend = _backend()
    url = db.engine.url
    has_data = backup.database_has_data(db.engine, db.metadata.sorted_tables)
    # None of our connections may stay open on the database being replaced.
    db.session.remove()
    db.engine.dispose()
    files = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            source = path
            if backup.is_archive(path):
                manifest = backup.read_manifest(path)
                if manifest["backend"] != backend:
                    raise backup.BackupError(
                        f"Bản sao lưu của {manifest['backend']}, cơ sở dữ liệu đích là "
                        f"{backend} / a {manifest['backend']} backup cannot be restored into "
                        f"{backend}"
                    )
                if has_data and not force:
                    raise backup.BackupError(backup.NOT_EMPTY)
                source = backup.extract_database(path, manifest, Path(folder))
                # The files first: a damaged one stops the restore before the database changes.
                files = backup.restore_files(path, current_app.settings.files_dir)
            if backend == "sqlite":
                backup.sqlite_restore(source, url.database, has_data, force)
            else:
                backup.postgresql_restore(
                    url.render_as_string(hide_password=False),
                    source,
                    has_data,
                    force,
                    current_app.settings.pg_restore,
                )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.engine.dispose()
    if files is not None:
        click.echo(f"{files} tệp đính kèm đã khôi phục / attached files restored")
    click.echo(
        f"Đã khôi phục từ / restored from: {path}. Nếu phần mềm mới hơn bản sao lưu, chạy "
        "`flask db upgrade` / if this motcua is newer than the backup, run "
        "`flask db upgrade`."
    )


files_cli = AppGroup("files", help="Files attached to dossiers.")


@files_cli.command("check")
def files_check():
    """Read every stored file back and compare it with its SHA-256; exit 1 when one is missing
    or changed. Files that no row names (left by a save that failed) are listed, not errors."""
    folder = current_app.settings.files_dir
    with reads_only():
        report = verify(db.session, folder)
    for row in report.missing:
        click.echo(
            f"THIẾU / MISSING  {path_for(folder, row.sha256)} "
            f"({row.media_type}, {row.size:,} bytes)"
        )
    for row, actual in report.changed:
        click.echo(
            f"ĐÃ BỊ THAY ĐỔI / CHANGED  {path_for(folder, row.sha256)} (sha256 now {actual})"
        )
    for extra in report.unreferenced:
        click.echo(f"không thuộc hồ sơ nào / not referenced  {extra}")
    click.echo(
        f"Đã kiểm tra {report.checked} tệp: {len(report.missing)} thiếu, "
        f"{len(report.changed)} bị thay đổi / checked {report.checked} files: "
        f"{len(report.missing)} missing, {len(report.changed)} changed"
    )
    if not report.ok:
        sys.exit(1)


notify_cli = AppGroup("notify", help="Notices to applicants (the outbox).")


@notify_cli.command("send")
@click.option("--limit", default=50, show_default=True, help="At most this many notices.")
def notify_send(limit):
    """Send the due notices of the outbox (run every minute by cron or a systemd timer; safe on
    several hosts at once). Without SMTP_HOST / SMS_API_URL / ZALO_API_URL the notices of that
    channel are marked "no channel configured"."""
    channels = configured_channels(current_app.config)
    counts = send_due(db.session, current_app.config, clock.now, limit)
    click.echo(
        f"kênh / channels: {', '.join(channels) or '-'}; "
        f"đã gửi / sent {counts['sent']}, lỗi sẽ thử lại / failed {counts['failed']}, "
        f"bỏ / dead {counts['dead']}, không có kênh / skipped {counts['skipped']}"
    )


@seed_cli.result_callback()
def _recount_report_days(*_args, **_kwargs) -> None:
    """The seed writes by bulk inserts, past the flush hook that keeps the report's per-day
    counts (domain/report_days.py): once its data is in, they are counted again."""
    report_days.rebuild(db.session)
    db.session.commit()


def register_cli(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(evaluation_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(dossiers_cli)
    app.cli.add_command(report_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(files_cli)
    app.cli.add_command(notify_cli)
