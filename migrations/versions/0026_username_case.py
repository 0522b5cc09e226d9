"""users: usernames in lower case and unique whatever the case (a unique index on
lower(username)); the usernames stored with capitals written in lower case

A review found "Canbo.TuPhap2" and "canbo.tuphap2" both accepted as two accounts, and the login
"canbo.tuphap2" refused the first one's password. The user screen, the login, its limiter and
`flask users create` now read a username in lower case (domain/usernames.py); this index is the
database's guard. Two stored usernames that differ only by case cannot both stay: the upgrade
stops and names them (rename or remove one in Quản trị → Người dùng with the previous version,
then upgrade again). The downgrade drops the index; the usernames stay in lower case.

Revision ID: 0026_username_case
Revises: 0025_phone_search
Create Date: 2026-12-02 11:00:00

"""

import sqlalchemy as sa
from alembic import op

from domain.usernames import normalize_username

revision = "0026_username_case"
down_revision = "0025_phone_search"
branch_labels = None
depends_on = None

INDEX = "uq_user_username_any_case"
user = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String))


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(user.c.id, user.c.username).order_by(user.c.id)).all()
    names: dict[str, list[str]] = {}
    for _, name in rows:
        names.setdefault(normalize_username(name), []).append(name)
    clashes = sorted(" / ".join(found) for found in names.values() if len(found) > 1)
    if clashes:
        raise RuntimeError(
            "Usernames that differ only by case (tên đăng nhập chỉ khác chữ hoa, chữ thường): "
            + "; ".join(clashes)
            + ". Rename one of each, then run the upgrade again."
        )
    for id_, name in rows:
        if normalize_username(name) != name:
            bind.execute(
                user.update().where(user.c.id == id_).values(username=normalize_username(name))
            )
    op.create_index(INDEX, "user", [sa.text("lower(username)")], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="user")
