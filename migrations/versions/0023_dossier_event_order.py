"""report: a dossier's last events read from one index in their order (dossier_id, at, id)

The report's late list names, for each late dossier, the officer of its last event and the
reason of its last pause (domain/reports.py): the last event by (at, id). The index on
(dossier_id, at) served the scan but not the tie on id, so PostgreSQL sorted each dossier's
events for its LIMIT 1: in a custom plan of the 2022 year (3,673 late dossiers, 1,000,000 in
all) 324 ms of the report, 113 ms with this index (issue 16). It replaces the index on
(dossier_id, at), whose every use it serves.

Revision ID: 0023_dossier_event_order
Revises: 0022_report_month
Create Date: 2026-12-01 08:20:00

"""

from alembic import op

revision = "0023_dossier_event_order"
down_revision = "0022_report_month"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_dossier_event_dossier_at_id", "dossier_event", ["dossier_id", "at", "id"])
    op.drop_index("ix_dossier_event_dossier_at", table_name="dossier_event")


def downgrade():
    op.create_index("ix_dossier_event_dossier_at", "dossier_event", ["dossier_id", "at"])
    op.drop_index("ix_dossier_event_dossier_at_id", table_name="dossier_event")
