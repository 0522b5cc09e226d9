"""`flask seed ...`: the demo data set and synthetic data for benchmarks."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from models import Agency, Dossier, db

seed_cli = AppGroup("seed", help="Load demo or synthetic data.")


def database_is_empty() -> bool:
    return not (db.session.scalar(select(func.count()).select_from(Agency))
                or db.session.scalar(select(func.count()).select_from(Dossier)))


def reset_database() -> None:
    """Empty every table (the schema stays) in one transaction."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())


@seed_cli.command("demo")
@click.option("--reset", is_flag=True, help="Empty a non-empty database first.")
def seed_demo(reset):
    """The demo data set (design §9)."""
    from seed.demo import load_demo

    if not database_is_empty():
        if not reset:
            raise click.ClickException(
                "Cơ sở dữ liệu đã có dữ liệu; dùng --reset để xoá và nạp lại / "
                "the database is not empty; use --reset to replace it")
        reset_database()
    logins = load_demo(db.session)
    db.session.commit()
    click.echo("Demo data loaded. Demo logins (demo only):")
    for username, role, password in logins:
        click.echo(f"  {role:8} {username} / {password}")
