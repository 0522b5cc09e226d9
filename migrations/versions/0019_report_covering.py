"""report: covering partial indexes of the payments and ratings not cancelled

The report's fees collected and staff ratings of a period (domain/payments.py fees_collected,
domain/ratings.py level_counts) read the payments / ratings not cancelled in a time range: these
indexes hold exactly those rows with the columns summed or counted, so a period is one index
range without a table lookup per row (issue 16). cancelled_at, NULL in every row, is a column
too: SQLite counts an index as covering only when it holds every column the query names.

Revision ID: 0019_report_covering
Revises: 0018_open_snapshots
Create Date: 2026-11-30 16:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_report_covering"
down_revision = "0018_open_snapshots"
branch_labels = None
depends_on = None

NOT_CANCELLED = "cancelled_at IS NULL"


def upgrade():
    op.create_index(
        "ix_payment_collected",
        "payment",
        ["paid_at", "amount_vnd", "cancelled_at"],
        unique=False,
        sqlite_where=sa.text(NOT_CANCELLED),
        postgresql_where=sa.text(NOT_CANCELLED),
    )
    op.create_index(
        "ix_staff_rating_counted",
        "staff_rating",
        ["rated_at", "level", "cancelled_at"],
        unique=False,
        sqlite_where=sa.text(NOT_CANCELLED),
        postgresql_where=sa.text(NOT_CANCELLED),
    )


def downgrade():
    op.drop_index("ix_staff_rating_counted", table_name="staff_rating")
    op.drop_index("ix_payment_collected", table_name="payment")
