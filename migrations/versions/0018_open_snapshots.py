"""report: what was open at the period boundaries, kept computed (open_snapshot, _row, _overdue)

Per instant (00:00 of the 1st and the 15th of each month), agency and procedure: the dossiers
open then and the overdue ones, and the ids of those overdue; counted once per instant and made
stale by any change to a dossier that changes them (issue 16, domain/open_snapshots.py). No counts at first (the report
fills them); a version row for each instant from the earliest acceptance to today, as
open_snapshots.forget_all leaves them.

Revision ID: 0018_open_snapshots
Revises: 0017_month_figures
Create Date: 2026-11-30 12:00:00

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0018_open_snapshots"
down_revision = "0017_month_figures"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open_snapshot",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_open_snapshot")),
    )
    op.create_table(
        "open_snapshot_row",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("procedure_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "agency_id", "procedure_id", name=op.f("pk_open_snapshot_row")
        ),
    )
    op.create_table(
        "open_snapshot_overdue",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("day", "dossier_id", name=op.f("pk_open_snapshot_overdue")),
    )
    first = op.get_bind().execute(sa.text("SELECT min(accepted_at) FROM dossier")).scalar()
    if first is None:
        return
    if not isinstance(first, dt.datetime):
        first = dt.datetime.fromisoformat(str(first))
    days, month = [], first.date().replace(day=1)
    today = dt.date.today()
    while month <= today:
        days += [month.replace(day=n) for n in (1, 15) if first.date() <= month.replace(day=n)]
        month = (month + dt.timedelta(days=32)).replace(day=1)
    table = sa.table("open_snapshot", sa.column("day", sa.Date), sa.column("version", sa.Integer))
    op.bulk_insert(table, [{"day": d, "version": 0} for d in days if d <= today])


def downgrade():
    op.drop_table("open_snapshot_overdue")
    op.drop_table("open_snapshot_row")
    op.drop_table("open_snapshot")
