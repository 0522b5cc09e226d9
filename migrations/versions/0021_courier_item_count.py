"""report: the dossiers each courier run carries, kept counted (courier_run.item_count); the
catalog's grouping columns indexed (ix_procedure_report_group)

The report's courier figures joined every courier_item to the period's runs: at 1,000,000
dossiers the largest part of a month's report on PostgreSQL (a scan of every item, 2.8 ms of
the server's 7). Each run now carries its count, kept by triggers on courier_item
(domain/courier_count.py), so the period's runs are summed alone. The per-day counts are
grouped by the procedure's field and level: an index on the three columns lets that join read
the catalog from the index (issue 16).

Revision ID: 0021_courier_item_count
Revises: 0020_report_day_fees
Create Date: 2026-12-01 01:40:00

"""

import sqlalchemy as sa
from alembic import op

from domain import courier_count

revision = "0021_courier_item_count"
down_revision = "0020_report_day_fees"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courier_run") as batch:
        batch.add_column(sa.Column("item_count", sa.Integer(), nullable=False, server_default="0"))
    op.execute(courier_count.COUNT_AGAIN)
    for statement in courier_count.create_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.create_index("ix_procedure_report_group", "procedure", ["id", "field_id", "level"])


def downgrade():
    op.drop_index("ix_procedure_report_group", table_name="procedure")
    for statement in courier_count.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("courier_run") as batch:
        batch.drop_column("item_count")
