"""The dossiers each courier run carries (courier_run.item_count), counted by the database
itself: triggers on courier_item add and take away one at each insert, delete or move of an
item, whatever writes it (the screens, an import, the seed's bulk inserts). The report sums the
period's runs (domain/courier.run_counts) instead of joining every item (issue 16).

Made by migration 0021 and, for a schema made by `db.create_all()`, by courier_item's create
event (models.py). No model imports here: models.py imports this module."""

from __future__ import annotations

from domain import triggers

TABLE = "courier_item"
SQLITE_TRIGGERS = ("courier_item_added", "courier_item_removed", "courier_item_moved")
_ADD = "UPDATE courier_run SET item_count = item_count + 1 WHERE id = NEW.run_id;"
_TAKE = "UPDATE courier_run SET item_count = item_count - 1 WHERE id = OLD.run_id;"

COUNT_AGAIN = (
    "UPDATE courier_run SET item_count = "
    "(SELECT count(*) FROM courier_item WHERE courier_item.run_id = courier_run.id)"
)


def create_statements(dialect: str, table: str = TABLE) -> list[str]:
    """The triggers on `table` (courier_item: the name is the create event's)."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION courier_item_count() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN {_TAKE} END IF;"
            f" IF TG_OP IN ('INSERT', 'UPDATE') THEN {_ADD} END IF; RETURN NULL; END $$",
            "CREATE TRIGGER courier_item_count AFTER INSERT OR DELETE OR UPDATE OF run_id "
            "ON courier_item FOR EACH ROW EXECUTE FUNCTION courier_item_count()",
        ]
    added, removed, moved = SQLITE_TRIGGERS
    return [
        f"CREATE TRIGGER IF NOT EXISTS {added} AFTER INSERT ON courier_item BEGIN {_ADD} END",
        f"CREATE TRIGGER IF NOT EXISTS {removed} AFTER DELETE ON courier_item BEGIN {_TAKE} END",
        f"CREATE TRIGGER IF NOT EXISTS {moved} AFTER UPDATE OF run_id ON courier_item "
        f"BEGIN {_TAKE} {_ADD} END",
    ]


def drop_statements(dialect: str, table: str = TABLE) -> list[str]:
    return triggers.drop_statements(dialect, "courier_item_count", "courier_item", SQLITE_TRIGGERS)
