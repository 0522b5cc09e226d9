"""Command-line interface (design §10), registered with the app by create_app."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
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


def report_period(date_from, date_to, month, quarter, year):
    """The period of `flask report` from exactly one of the four ways to give it."""
    from domain import reports

    given = [bool(date_from or date_to), bool(month), bool(quarter), bool(year)]
    if sum(given) != 1:
        raise click.UsageError(
            "Chọn đúng một kỳ báo cáo: --from/--to, --month, --quarter hoặc --year / "
            "give exactly one period: --from and --to, --month, --quarter or --year")
    try:
        if month:
            return reports.parse_month(month)
        if quarter:
            return reports.parse_quarter(quarter)
        if year:
            return reports.parse_year(year)
        if not (date_from and date_to):
            raise ValueError("--from and --to go together")
        start, end = reports.parse_date(date_from), reports.parse_date(date_to)
        if end < start:
            raise ValueError("--to is before --from")
        return start, end
    except ValueError as exc:
        raise click.UsageError(f"Kỳ báo cáo không hợp lệ / invalid period: {exc}") from None


@click.command("report")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day (with --to).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last day, inclusive.")
@click.option("--month", metavar="YYYY-MM")
@click.option("--quarter", metavar="YYYY-Qn")
@click.option("--year", metavar="YYYY")
@click.option("--by-field", is_flag=True, help="Break each agency down by field.")
@click.option("--format", "fmt", type=click.Choice(("json", "xlsx")), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Output file (JSON goes to standard output without it).")
@with_appcontext
def report_command(date_from, date_to, month, quarter, year, by_field, fmt, out):
    """The periodic report of design §6 (form 06a)."""
    import json

    from domain.report_workbook import write_report_workbook
    from domain.reports import build_details, build_report

    start, end = report_period(date_from, date_to, month, quarter, year)
    report = build_report(db.session, start, end, by_field=by_field)
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
    write_report_workbook(out, report, build_details(db.session, start, end),
                          current_app.config.get("REPORTING_UNIT_NAME",
                                                 "Trung tâm Phục vụ hành chính công"))
    click.echo(f"{out}", err=True)


def register_cli(app) -> None:
    from seed import seed_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(report_command)
