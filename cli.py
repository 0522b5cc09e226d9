"""Command-line interface (design §10), registered with the app by create_app."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import ROLES, Agency, User, db

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agency_codes", multiple=True, help="Agency code (staff); repeatable.")
@click.option("--full-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, agency_codes, full_name, password_stdin):
    """Create a user. Without --password-stdin the password is asked for twice."""
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"Tên đăng nhập đã tồn tại / username already exists: {username}")
    agencies = []
    for code in agency_codes:
        agency = db.session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise click.ClickException(f"Không có cơ quan / unknown agency: {code}")
        agencies.append(agency)
    if role == "staff" and not agencies:
        raise click.ClickException(
            "Cán bộ một cửa phải thuộc ít nhất một cơ quan / staff need at least one --agency")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException(
            "Mật khẩu cần ít nhất 8 ký tự / the password needs at least 8 characters")
    user = User(username=username, role=role, full_name=full_name or username, agencies=agencies)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {username}")


evaluation_cli = AppGroup("evaluation", help="Evaluation forms.")


@evaluation_cli.command("indicators")
def evaluation_indicators():
    """Add the missing evaluation indicators (9 national, 4 of the 2019 citizen form)."""
    from domain.evaluation import ensure_indicators

    added = ensure_indicators(db.session)
    db.session.commit()
    click.echo(f"Đã thêm {added} tiêu chí / {added} indicators added")


def register_cli(app) -> None:
    from seed import seed_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(evaluation_cli)
