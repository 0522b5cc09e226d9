"""indexed search and list indexes: pg_trgm GIN index on dossier.search_text (PostgreSQL), FTS5
trigram table kept by triggers (SQLite), agency/status/date indexes of the dossier list (issue 16)

Revision ID: 0014_search_index
Revises: 0013_forms2025
"""

from alembic import op

from domain import search_index

revision = "0014_search_index"
down_revision = "0013_forms2025"
branch_labels = None
depends_on = None


LIST_INDEXES = (
    ("ix_dossier_agency_status_accepted", ["agency_id", "status", "accepted_at"]),
    ("ix_dossier_status_accepted", ["status", "accepted_at"]),
)


def upgrade():
    for name, columns in LIST_INDEXES:
        op.create_index(name, "dossier", columns, if_not_exists=True)
    dialect = op.get_bind().dialect.name
    for name in search_index.INDEXED_TABLES:
        for statement in search_index.create_statements(dialect, name):
            op.execute(statement)
    op.execute("ANALYZE")  # the planner learns of the new indexes


def downgrade():
    for name, _ in LIST_INDEXES:
        op.drop_index(name, "dossier", if_exists=True)
    dialect = op.get_bind().dialect.name
    for name in search_index.INDEXED_TABLES:
        for statement in search_index.drop_statements(dialect, name):
            op.execute(statement)
