"""report: per-day counts of the report (report_day), filled from the dossiers; partial indexes
of the results that may be late and of those recorded before their acceptance

A period's received and resolved figures, digitisation and returned by post become sums of its
days (issue 16, domain/report_days.py, which keeps the rows current at each flush); the list of
late dossiers reads the few results that may be late instead of every result of the period.

Revision ID: 0016_report_days
Revises: 0015_report
Create Date: 2026-11-30 08:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_report_days"
down_revision = "0015_report"
branch_labels = None
depends_on = None

# As in models.py at this revision (LATE_RESULT, RESULT_BEFORE_ACCEPTANCE).
LATE_SQLITE = "due_date < substr(resolved_at, 1, 10) OR (due_in_hours AND resolved_at > due_at)"
LATE_POSTGRESQL = "due_date < CAST(resolved_at AS DATE) OR (due_in_hours AND resolved_at > due_at)"
BEFORE_ACCEPTANCE = "resolved_at < accepted_at"
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
)


def upgrade():
    op.create_table(
        "report_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_report_day_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedure.id"], name=op.f("fk_report_day_procedure_id_procedure")
        ),
        sa.PrimaryKeyConstraint("day", "agency_id", "procedure_id", name=op.f("pk_report_day")),
    )
    op.create_index(
        "ix_dossier_late_result",
        "dossier",
        ["resolved_at"],
        unique=False,
        sqlite_where=sa.text(LATE_SQLITE),
        postgresql_where=sa.text(LATE_POSTGRESQL),
    )
    op.create_index(
        "ix_dossier_result_before_acceptance",
        "dossier",
        ["accepted_at"],
        unique=False,
        sqlite_where=sa.text(BEFORE_ACCEPTANCE),
        postgresql_where=sa.text(BEFORE_ACCEPTANCE),
    )
    # Filled by the application's own counting (domain/report_days.py, one home for each rule)
    # while its table is the one created here; a later revision that changes the table counts
    # the rows again itself.
    from sqlalchemy.orm import Session

    from domain import report_days
    from models import ReportDay

    if set(ReportDay.__table__.c.keys()) == {"day", "agency_id", "procedure_id", *COUNTS}:
        report_days.rebuild(Session(bind=op.get_bind()))


def downgrade():
    op.drop_index("ix_dossier_result_before_acceptance", table_name="dossier")
    op.drop_index("ix_dossier_late_result", table_name="dossier")
    op.drop_table("report_day")
