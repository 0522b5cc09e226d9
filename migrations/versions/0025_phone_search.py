"""dossier search: a phone number also held as its digits in the search text, so that it is
found whatever spacing was typed ("0912 345 678" by 0912345678, "+84 912 345 678" by
0912345678); the dossiers stored before written again

A clerk's review found a dossier whose phone was typed "0912 345 678" not found by
"0912345678". The search text of a dossier now ends with the digits of its phone numbers that
are not a word of it already (domain/text.searchable_text, models.Dossier.__phone_fields__);
this writes it for the dossiers with a phone, in batches by id, only where it changes. The
search index follows: PostgreSQL's trigram index by itself, SQLite's FTS table through its
update trigger (migration 0014). The downgrade writes the texts without the digits.

Revision ID: 0025_phone_search
Revises: 0024_agency_code_case
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from domain.text import searchable_text

revision = "0025_phone_search"
down_revision = "0024_agency_code_case"
branch_labels = None
depends_on = None

BATCH = 5000
# The dossier's searched columns when this was written (models.Dossier.__search_fields__).
FIELDS = ("code", "applicant_name", "id_number", "phone", "postal_tracking_no")
dossier = sa.table(
    "dossier",
    sa.column("id", sa.Integer),
    sa.column("search_text", sa.Text),
    *map(sa.column, FIELDS),
)


def _rewrite(with_phones: bool) -> None:
    bind = op.get_bind()
    columns = [dossier.c[f] for f in FIELDS]
    update = (
        dossier.update()
        .where(dossier.c.id == sa.bindparam("row_id"))
        .values(search_text=sa.bindparam("text"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(dossier.c.id, dossier.c.search_text, *columns)
            .where(dossier.c.id > last, dossier.c.phone.is_not(None))
            .order_by(dossier.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = []
        for row in rows:
            values = [getattr(row, f) for f in FIELDS]
            text = searchable_text(values, [row.phone] if with_phones else [])
            if text != row.search_text:
                changed.append({"row_id": row.id, "text": text})
        if changed:
            bind.execute(update, changed)
        last = rows[-1].id


def upgrade():
    _rewrite(with_phones=True)


def downgrade():
    _rewrite(with_phones=False)
