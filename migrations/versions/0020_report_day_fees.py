"""report: the fees paid each day in the per-day counts (report_day.fees_paid, fees_vnd)

The dashboard's fees of a month were a GROUP BY of the month's payments joined one by one to
their dossiers for the agency: the dominant cost of a month counted again at 1,000,000 dossiers
(issue 16). The payments not cancelled are now counted with the dossier's day, agency and
procedure (domain/report_days.py), so a month of fees is a sum of its days' rows.

Revision ID: 0020_report_day_fees
Revises: 0019_report_covering
Create Date: 2026-12-01 19:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_report_day_fees"
down_revision = "0019_report_covering"
branch_labels = None
depends_on = None

# report_day's columns at this revision (0016's and the two added here).
COUNTS = (
    "received_online",
    "received_direct",
    "received_postal",
    "received_scanned",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "results",
    "results_electronic",
    "returned_by_post",
    "fees_paid",
    "fees_vnd",
)


def upgrade():
    with op.batch_alter_table("report_day") as batch:
        batch.add_column(sa.Column("fees_paid", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("fees_vnd", sa.BigInteger(), nullable=False, server_default="0"))
    # Counted again by the application's own rules (as 0016 fills the table) while the table
    # is the one of this revision; a later revision that changes it counts the rows itself.
    from sqlalchemy.orm import Session

    from domain import report_days
    from models import ReportDay

    if set(ReportDay.__table__.c.keys()) == {"day", "agency_id", "procedure_id", *COUNTS}:
        report_days.rebuild(Session(bind=op.get_bind()))


def downgrade():
    with op.batch_alter_table("report_day") as batch:
        batch.drop_column("fees_vnd")
        batch.drop_column("fees_paid")
