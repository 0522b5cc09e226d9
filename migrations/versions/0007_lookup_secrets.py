"""look-up secrets of dossiers, printed on the receipt, kept hashed (issue 15)

Revision ID: 0007_lookup
Revises: 0006_files
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_lookup"
down_revision = "0006_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dossier_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issue_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_dossier_lookup_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_lookup")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_dossier_lookup_dossier_id")),
    )


def downgrade():
    op.drop_table("dossier_lookup")
