"""catalog: agency codes in capitals and unique whatever the case (a unique index on
upper(code)); the codes stored in lower or mixed case written in capitals

A clerk's review found "STP" and "stp" both accepted as two agencies. The form, the import and
every write now put a code in capitals (domain/catalog_codes.py); this index is the database's
guard. Two stored codes that differ only by case cannot both stay: the upgrade stops and names
them (rename one in Danh mục → Cơ quan with the previous version, then upgrade again).
The downgrade drops the index; the codes stay in capitals.

Revision ID: 0024_agency_code_case
Revises: 0023_dossier_event_order
Create Date: 2026-12-02 09:00:00

"""

import sqlalchemy as sa
from alembic import op

from domain.catalog_codes import agency_code

revision = "0024_agency_code_case"
down_revision = "0023_dossier_event_order"
branch_labels = None
depends_on = None

INDEX = "uq_agency_code_any_case"
agency = sa.table("agency", sa.column("id", sa.Integer), sa.column("code", sa.String))


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(agency.c.id, agency.c.code).order_by(agency.c.id)).all()
    codes: dict[str, list[str]] = {}
    for _, code in rows:
        codes.setdefault(agency_code(code), []).append(code)
    clashes = sorted(" / ".join(found) for found in codes.values() if len(found) > 1)
    if clashes:
        raise RuntimeError(
            "Agency codes that differ only by case (mã cơ quan chỉ khác chữ hoa, chữ thường): "
            + "; ".join(clashes)
            + ". Rename one of each, then run the upgrade again."
        )
    for id_, code in rows:
        if agency_code(code) != code:
            bind.execute(agency.update().where(agency.c.id == id_).values(code=agency_code(code)))
    op.create_index(INDEX, "agency", [sa.text("upper(code)")], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="agency")
