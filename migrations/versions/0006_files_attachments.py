"""files attached to dossiers: stored once by SHA-256, attachments never deleted (issue 14)

Revision ID: 0006_files
Revises: 0005_legal
Create Date: 2026-11-30 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_files"
down_revision = "0005_legal"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name=op.f("ck_stored_file_media_type"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_stored_file_size")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_file_sha256")),
    )
    op.create_table(
        "dossier_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('scan', 'result')", name=op.f("ck_dossier_file_kind")),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL",
            name=op.f("ck_dossier_file_withdrawn_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["dossier_document.id"],
            name=op.f("fk_dossier_file_document_id_dossier_document"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_file_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["stored_file_id"],
            ["stored_file.id"],
            name=op.f("fk_dossier_file_stored_file_id_stored_file"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"], name=op.f("fk_dossier_file_uploaded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["user.id"], name=op.f("fk_dossier_file_withdrawn_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_file")),
    )
    with op.batch_alter_table("dossier_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_file_dossier_id"), ["dossier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dossier_file_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dossier_file_stored_file_id"), ["stored_file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dossier_file_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("dossier_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_file_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_dossier_file_stored_file_id"))
        batch_op.drop_index(batch_op.f("ix_dossier_file_document_id"))
        batch_op.drop_index(batch_op.f("ix_dossier_file_dossier_id"))

    op.drop_table("dossier_file")
    op.drop_table("stored_file")
