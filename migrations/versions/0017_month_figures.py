"""dashboard: month figures kept computed (figure_month, figure_month_row)

Per month and agency, the dossiers received, closed, closed in time and the fees, computed once
per month and made stale by any change dated in it (issue 16, domain/month_figures.py). No
figures at first (the dashboard fills them); a version row for each month from the earliest
dossier or payment date to the latest, as month_figures.forget_all leaves them.

Revision ID: 0017_month_figures
Revises: 0016_report_days
Create Date: 2026-11-30 08:30:00

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0017_month_figures"
down_revision = "0016_report_days"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "figure_month",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_figure_month")),
    )
    op.create_table(
        "figure_month_row",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("figure", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "agency_id", "figure", name=op.f("pk_figure_month_row")),
    )
    bounds = [
        op.get_bind().execute(sa.text(f"SELECT {f}({column}) FROM {table}")).scalar()
        for table, column in (
            ("dossier", "accepted_at"),
            ("dossier", "resolved_at"),
            ("dossier", "closed_at"),
            ("payment", "paid_at"),
        )
        for f in ("min", "max")
    ]
    days = [
        v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
        for v in bounds
        if v is not None
    ]
    if not days:
        return
    months, year, month = [], min(days).year, min(days).month
    last = max(days)
    while (year, month) <= (last.year, last.month):
        months.append({"month": f"{year:04d}-{month:02d}", "version": 0})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    table = sa.table(
        "figure_month", sa.column("month", sa.String), sa.column("version", sa.Integer)
    )
    op.bulk_insert(table, months)


def downgrade():
    op.drop_table("figure_month_row")
    op.drop_table("figure_month")
