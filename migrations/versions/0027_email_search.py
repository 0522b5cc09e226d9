"""search: a dossier found by its applicant's e-mail, a feedback by its contact's phone digits;
the rows stored before written again

A clerk's review found that a dossier could not be found by the e-mail its applicant gave, and
a feedback not by its contact's phone typed another way. A dossier's search text now holds its
e-mail too (models.Dossier.__search_fields__), and a feedback's the digits of the phone numbers
in its contact (models.Feedback.__phone_fields__, as migration 0025 for the dossiers' phones).
This writes it for the rows concerned (an e-mail, a contact), in batches by id, only where it
changes; the search index follows (PostgreSQL's trigram index by itself, SQLite's FTS table
through its update trigger, migration 0014). The downgrade writes the texts as before.

Revision ID: 0027_email_search
Revises: 0026_username_case
Create Date: 2026-12-02 11:00:00

"""

import sqlalchemy as sa
from alembic import op

from domain.text import searchable_text

revision = "0027_email_search"
down_revision = "0026_username_case"
branch_labels = None
depends_on = None

BATCH = 5000

# The searched columns when this was written: (table, its columns before, the column added to
# the searched ones or None, the phone columns before, after).
DOSSIER = ("dossier", ("code", "applicant_name", "id_number", "phone", "postal_tracking_no"))
FEEDBACK = ("feedback", ("sender", "contact", "subject", "content"))


def _rewrite(name, fields, extra, phones, only_where, new: bool) -> None:
    """The search text of `name`'s rows where `only_where` is set, written as it is now
    (`new`: with `extra` searched and `phones` as digits) or as it was."""
    table = sa.table(
        name,
        sa.column("id", sa.Integer),
        sa.column("search_text", sa.Text),
        *map(sa.column, dict.fromkeys((*fields, only_where))),
    )
    searched = (*fields, extra) if new and extra else fields
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(search_text=sa.bindparam("text"))
    )
    bind, last = op.get_bind(), 0
    while True:
        rows = bind.execute(
            sa.select(table)
            .where(table.c.id > last, table.c[only_where].is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = []
        for row in rows:
            values = [getattr(row, f) for f in searched]
            phone_values = [getattr(row, f) for f in phones[new]]
            text = searchable_text(values, phone_values)
            if text != row.search_text:
                changed.append({"row_id": row.id, "text": text})
        if changed:
            bind.execute(update, changed)
        last = rows[-1].id


def _all(new: bool) -> None:
    _rewrite(*DOSSIER, "email", (("phone",), ("phone",)), "email", new)
    _rewrite(*FEEDBACK, None, ((), ("contact",)), "contact", new)


def upgrade():
    _all(new=True)


def downgrade():
    _all(new=False)
