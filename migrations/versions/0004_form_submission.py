"""one-time form tokens (double submits)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("result_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submission")),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_submission_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_submission_created_at"))

    op.drop_table("form_submission")
