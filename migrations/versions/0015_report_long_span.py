"""report: partial index of the dossiers resolved more than a month after their acceptance

The reports read a period through bounded ranges; the few dossiers that span a whole period
(accepted before it, resolved after it) come from this index (issue 16, domain/reports.py).

Revision ID: 0015_report
Revises: 0014_search_index
Create Date: 2026-11-30 05:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_report"
down_revision = "0014_search_index"
branch_labels = None
depends_on = None

# As in models.py at this revision (LONG_SPAN, LONG_SPAN_DAYS = 31).
SQLITE_WHERE = "resolved_at > datetime(accepted_at, '+31 days')"
POSTGRESQL_WHERE = "resolved_at > accepted_at + interval '31 days'"


def upgrade():
    op.create_index(
        "ix_dossier_long_span",
        "dossier",
        ["resolved_at", "accepted_at"],
        unique=False,
        sqlite_where=sa.text(SQLITE_WHERE),
        postgresql_where=sa.text(POSTGRESQL_WHERE),
    )


def downgrade():
    op.drop_index("ix_dossier_long_span", table_name="dossier")
