"""`flask seed ...`: the demo data set and synthetic data for benchmarks."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from domain.sql import gather_statistics
from models import Agency, Dossier, db

seed_cli = AppGroup("seed", help="Load demo or synthetic data.")


def database_is_empty() -> bool:
    return not (
        db.session.scalar(select(func.count()).select_from(Agency))
        or db.session.scalar(select(func.count()).select_from(Dossier))
    )


def reset_database() -> None:
    """Empty every table (the schema stays) in one transaction."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())


@seed_cli.command("demo")
@click.option("--reset", is_flag=True, help="Empty a non-empty database first.")
def seed_demo(reset):
    """The demo data set (design §9)."""
    # Here, not at the top: every start of the app imports this module (the `flask seed`
    # commands), the demo's data modules only when a seed command runs.
    from seed.demo import load_demo

    if not database_is_empty():
        if not reset:
            raise click.ClickException(
                "Cơ sở dữ liệu đã có dữ liệu; dùng --reset để xoá và nạp lại / "
                "the database is not empty; use --reset to replace it"
            )
        reset_database()
    started = time.perf_counter()
    logins = load_demo(db.session)
    db.session.commit()
    gather_statistics(db.session)  # the planner's view of the new rows (domain/sql.py)
    db.session.commit()
    click.echo(
        f"Demo data loaded in {time.perf_counter() - started:.1f} s "
        "(Lạng Sơn center, 17/01/2019 – 31/12/2019). Demo logins (demo only):"
    )
    for username, role, password in logins:
        click.echo(f"  {role:8} {username} / {password}")


@seed_cli.command("scale")
@click.option(
    "--dossiers",
    "count",
    type=click.IntRange(min=1),
    required=True,
    help="How many synthetic dossiers to add (accepted from 2020 on).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=100),
    default=20000,
    show_default=True,
    help="Dossiers per insert batch and commit.",
)
def seed_scale(count, batch):
    """N more synthetic dossiers with events, payments, ratings and scans, for benchmarks."""
    from seed.scale import CatalogMissing, generate  # as in seed_demo

    with click.progressbar(length=count, label="Hồ sơ / dossiers") as bar:
        try:
            stats = generate(
                db.session,
                count,
                current_app.settings.receiving_unit_code,
                batch=batch,
                progress=bar.update,
                files_dir=current_app.config["FILES_DIR"],
            )
        except CatalogMissing as exc:
            raise click.ClickException(
                "Chưa có danh mục thủ tục; chạy flask seed demo trước / " + str(exc)
            ) from exc
    # No ANALYZE here: generate() ends with one (seed/common.py bulk_load).
    click.echo(
        f"{stats['dossiers']} dossiers ({stats['first_day']:%d/%m/%Y} – "
        f"{stats['last_day']:%d/%m/%Y}), {stats['events']} events, {stats['payments']} payments, "
        f"{stats['ratings']} ratings, {stats['documents']} documents, {stats['files']} files: "
        f"{stats['rows']} rows in {stats['seconds']:.1f} s, "
        f"{stats['rows_per_second']:,.0f} rows/s"
    )
