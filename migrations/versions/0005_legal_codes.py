"""2025 legal framework: longer dossier codes (agency eid code + sequence of 4 digits or more),
yearly calendar review marks

Revision ID: 0005_legal
Revises: 0004
Create Date: 2026-11-30 02:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_legal"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.alter_column(
            "code",
            existing_type=sa.String(length=40),
            type_=sa.String(length=64),
            existing_nullable=True,
        )

    op.create_table(
        "calendar_year_review",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_calendar_year_review_reviewed_by_id_user"),
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year_review")),
    )
    with op.batch_alter_table("calendar_year_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_year_review_reviewed_by_id"), ["reviewed_by_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("calendar_year_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_year_review_reviewed_by_id"))
    op.drop_table("calendar_year_review")

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.alter_column(
            "code",
            existing_type=sa.String(length=64),
            type_=sa.String(length=40),
            existing_nullable=True,
        )
