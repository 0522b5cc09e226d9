"""structured documents of a procedure; the free text of required_documents converted once
(issue 14). The old column stays, readable. Dossiers indexed by ID number (returning applicants).

Revision ID: 0009_intake
Revises: 0007_lookup
Create Date: 2026-11-30 03:10:00

"""

import sqlalchemy as sa
from alembic import op

from domain.procedure_documents import documents_from_text
from models import utcnow

# revision identifiers, used by Alembic.
revision = "0009_intake"
down_revision = "0007_lookup"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "procedure_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('original', 'copy', 'certified_copy')",
            name=op.f("ck_procedure_document_kind"),
        ),
        sa.CheckConstraint("copies >= 1", name=op.f("ck_procedure_document_copies")),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedure.id"],
            name=op.f("fk_procedure_document_procedure_id_procedure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_document")),
        sa.UniqueConstraint("procedure_id", "position", name="uq_procedure_document_position"),
    )
    with op.batch_alter_table("procedure_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_document_procedure_id"), ["procedure_id"], unique=False
        )
    # The intake page offers a returning applicant's details by ID number (issue 14 point 2).
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_id_number"), ["id_number"], unique=False)
    _convert_free_text()


def _convert_free_text():
    """Every procedure's required_documents, one row per line of the text (the same function the
    demo seed uses), kind and copies defaulted from the wording."""
    bind = op.get_bind()
    procedure = sa.table(
        "procedure", sa.column("id", sa.Integer), sa.column("required_documents", sa.Text)
    )
    document = sa.table(
        "procedure_document",
        *(
            sa.column(n)
            for n in (
                "procedure_id",
                "position",
                "name",
                "kind",
                "copies",
                "required",
                "created_at",
                "updated_at",
            )
        ),
    )
    now = utcnow()
    rows = bind.execute(
        sa.select(procedure.c.id, procedure.c.required_documents).where(
            procedure.c.required_documents.isnot(None)
        )
    ).all()
    for procedure_id, text in rows:
        for doc in documents_from_text(text):
            bind.execute(
                document.insert().values(
                    procedure_id=procedure_id, created_at=now, updated_at=now, **doc
                )
            )


def downgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_id_number"))
    with op.batch_alter_table("procedure_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_document_procedure_id"))
    op.drop_table("procedure_document")
