"""dossier: the index on procedure_id becomes (procedure_id, accepted_at)

The intake's duplicate check (domain/intake_duplicates.py) reads a procedure's dossiers of the
last 30 minutes. With an index on procedure_id alone, SQLite's planner took it and sorted every
dossier of the procedure: 80 ms per intake for a procedure with a tenth of a million dossiers,
holding the write lock. The index on both columns finds those minutes directly, and serves
whatever the single-column index served (its first column), so the number of indexes a dossier
write keeps is unchanged.

Revision ID: 0028_procedure_accepted_index
Revises: 0027_email_search
Create Date: 2026-12-02 14:45:00

"""

from alembic import op

revision = "0028_procedure_accepted_index"
down_revision = "0027_email_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_dossier_procedure_accepted", "dossier", ["procedure_id", "accepted_at"])
    op.drop_index("ix_dossier_procedure_id", table_name="dossier")


def downgrade():
    op.create_index("ix_dossier_procedure_id", "dossier", ["procedure_id"])
    op.drop_index("ix_dossier_procedure_accepted", table_name="dossier")
