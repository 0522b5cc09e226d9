"""The triggers that keep a count table current in the transaction of each change
(domain/report_months.py, domain/courier_count.py): what they share. No imports from the
project: models.py installs those triggers (create_all) and imports their modules."""

from __future__ import annotations


def drop_statements(
    dialect: str, pg_name: str, on_table: str, sqlite_names: tuple[str, ...]
) -> list[str]:
    """DROP of the triggers that keep a count table current: on PostgreSQL one trigger and
    its function (both `pg_name`) on `on_table`, on SQLite the triggers `sqlite_names`."""
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {pg_name} ON {on_table}",
            f"DROP FUNCTION IF EXISTS {pg_name}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in sqlite_names]
