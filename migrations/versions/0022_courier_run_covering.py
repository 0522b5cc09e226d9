"""report: a period's courier runs read from one covering index (ix_courier_run_report)

The report's courier figures sum the period's runs by direction (their kept item_count,
0021). At 1,000,000 dossiers a quarter's 2,151 runs lay on 704 pages, each read for its
direction and count: the largest part of the report's service figures on PostgreSQL. The index
(run_date, direction, item_count) holds all three (an index-only scan); it replaces the index on
run_date alone, whose reads it serves (issue 16).

Revision ID: 0022_courier_run_covering
Revises: 0021_courier_item_count
Create Date: 2026-12-01 03:30:00

"""

from alembic import op

revision = "0022_courier_run_covering"
down_revision = "0021_courier_item_count"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_courier_run_report", "courier_run", ["run_date", "direction", "item_count"])
    op.drop_index("ix_courier_run_run_date", table_name="courier_run")


def downgrade():
    op.create_index("ix_courier_run_run_date", "courier_run", ["run_date"])
    op.drop_index("ix_courier_run_report", table_name="courier_run")
