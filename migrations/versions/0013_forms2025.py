"""forms of Thông tư 03/2025: number of sets, what a supplement request asks for

Revision ID: 0013_forms2025
Revises: 0012_hours
Create Date: 2026-11-30 05:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_forms2025"
down_revision = "0012_hours"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("set_count", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("dossier_pause", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_items", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("dossier_pause", schema=None) as batch_op:
        batch_op.drop_column("requested_items")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("set_count")
