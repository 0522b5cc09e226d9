"""Cut-off hour and limits in working hours (issue 13 point 4): Procedure.cutoff_time and
processing_hours (processing_days becomes NULL for such a procedure), Dossier.due_at and
due_in_hours

Revision ID: 0012_hours
Revises: 0011_queue
Create Date: 2026-11-30 05:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_hours"
down_revision = "0011_queue"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cutoff_time", sa.Time(), nullable=True))
        batch_op.alter_column("processing_days", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_procedure_processing_hours"), "processing_hours > 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_procedure_processing_limit"),
            "(processing_days IS NULL) <> (processing_hours IS NULL)",
        )

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("due_in_hours", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_dossier_due_at"), "NOT due_in_hours OR due_at IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_dossier_due_at"), type_="check")
        batch_op.drop_column("due_in_hours")
        batch_op.drop_column("due_at")

    # A procedure counted in hours gets its limit back in days (8 working hours a day, rounded up).
    op.execute(
        "UPDATE procedure SET processing_days = (processing_hours + 7) / 8 "
        "WHERE processing_days IS NULL"
    )
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_procedure_processing_limit"), type_="check")
        batch_op.drop_constraint(op.f("ck_procedure_processing_hours"), type_="check")
        batch_op.alter_column("processing_days", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("cutoff_time")
        batch_op.drop_column("processing_hours")
