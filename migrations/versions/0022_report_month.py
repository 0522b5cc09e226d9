"""report: the per-day counts summed by month (report_month, kept by triggers on report_day); a
period's courier runs read from one covering index (ix_courier_run_report)

A period's flows were sums of its days' rows: a quarter of 2019 at 1,000,000 dossiers summed
4,692 rows of twelve counts, the largest statement of its report on PostgreSQL. Its whole months
are now read from one row per month, agency and procedure (930 rows), kept equal to the sums of
report_day by triggers on it (domain/report_months.py), filled here from report_day.

The report's courier figures sum the period's runs by direction (their kept item_count, 0021): a
quarter's 2,151 runs lay on 704 pages, each read for its direction and count. The index
(run_date, direction, item_count) holds all three (an index-only scan); it replaces the index on
run_date alone, whose reads it serves (issue 16).

Revision ID: 0022_report_month
Revises: 0021_courier_item_count
Create Date: 2026-12-01 03:30:00

"""

import sqlalchemy as sa
from alembic import op

from domain import report_months

revision = "0022_report_month"
down_revision = "0021_courier_item_count"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_courier_run_report", "courier_run", ["run_date", "direction", "item_count"])
    op.drop_index("ix_courier_run_run_date", table_name="courier_run")
    counts = [
        sa.Column(name, sa.BigInteger() if name == "fees_vnd" else sa.Integer(), nullable=False)
        for name in report_months.COUNTS
    ]
    op.create_table(
        "report_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        *counts,
        sa.PrimaryKeyConstraint("month", "agency_id", "procedure_id", name=op.f("pk_report_month")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(report_months.fill_statement(dialect))
    for statement in report_months.create_statements(dialect):
        op.execute(statement)


def downgrade():
    for statement in report_months.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("report_month")
    op.create_index("ix_courier_run_run_date", "courier_run", ["run_date"])
    op.drop_index("ix_courier_run_report", table_name="courier_run")
