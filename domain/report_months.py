"""The report's per-day counts summed by month (table report_month; issue 16): a period's whole
months are read from one row per month, agency and procedure instead of one per day (a quarter
of 2019 at 1,000,000 dossiers: 930 rows instead of 4,692), its other days from report_day
(domain/report_days.py period_query).

Kept by the database itself: triggers on report_day add each row's counts to its month's row
(inserted), take them away (deleted), or add the difference (updated), whatever writes report_day (the
recounts and additions of each flush, in the same transaction), so a month row always equals
the sum of its days' rows (the tests compare them after every kind of change). A row whose
days are all gone stays at zero (no foreign keys: report_day's rows hold them). A full recount
(report_days.rebuild) drops the triggers, fills the table from report_day in one statement
(FILL) and makes them again.

Made by migration 0022 and, for a schema made by `db.create_all()`, by report_day's create
event (models.py). No model imports here: models.py imports this module."""

from __future__ import annotations

from domain import triggers

# The counts of a day (report_day) and of a month (report_month), in this order.
COUNTS = (
    "received_online",
    "received_direct",
    "received_postal",
    "received_scanned",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "results",
    "results_electronic",
    "returned_by_post",
    "fees_paid",
    "fees_vnd",
)
TABLE = "report_month"
SQLITE_TRIGGERS = (
    "report_day_added",
    "report_day_removed",
    "report_day_changed",
    "report_day_moved",
)
_KEYS = "month, agency_id, procedure_id"


def month_of(dialect: str, day: str) -> str:
    """SQL: the first day of the month of the date `day` (an SQL expression)."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS DATE)"
    return f"date({day}, 'start of month')"


def _upsert(dialect: str, row: str, values: list[str]) -> str:
    """SQL: `values` (one per count) added to the month's row of report_day's `row` (NEW or
    OLD)."""
    names = ", ".join(COUNTS)
    added = ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in COUNTS)
    month = month_of(dialect, f"{row}.day")
    return (
        f"INSERT INTO {TABLE} ({_KEYS}, {names})"
        f" VALUES ({month}, {row}.agency_id, {row}.procedure_id, {', '.join(values)})"
        f" ON CONFLICT ({_KEYS}) DO UPDATE SET {added};"
    )


def create_statements(dialect: str, table: str = TABLE) -> list[str]:
    """The triggers on report_day that keep report_month (`table`: report_day, the name is the
    create event's): a row's counts added to its month (inserted), taken away (deleted), or the
    difference added (updated in place, as the upserts of domain/report_days.py do)."""
    add = _upsert(dialect, "NEW", [f"NEW.{c}" for c in COUNTS])
    take = _upsert(dialect, "OLD", [f"-OLD.{c}" for c in COUNTS])
    change = _upsert(dialect, "NEW", [f"NEW.{c} - OLD.{c}" for c in COUNTS])
    same = "NEW.day = OLD.day AND NEW.agency_id = OLD.agency_id AND NEW.procedure_id = OLD.procedure_id"
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION report_month_count() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN IF TG_OP = 'UPDATE' AND {same} THEN {change}"
            f" ELSE IF TG_OP IN ('DELETE', 'UPDATE') THEN {take} END IF;"
            f" IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF; END IF; RETURN NULL; END $$",
            "CREATE TRIGGER report_month_count AFTER INSERT OR DELETE OR UPDATE ON report_day"
            " FOR EACH ROW EXECUTE FUNCTION report_month_count()",
        ]
    added, removed, changed, moved = SQLITE_TRIGGERS
    return [
        f"CREATE TRIGGER IF NOT EXISTS {added} AFTER INSERT ON report_day BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {removed} AFTER DELETE ON report_day BEGIN {take} END",
        f"CREATE TRIGGER IF NOT EXISTS {changed} AFTER UPDATE ON report_day WHEN {same}"
        f" BEGIN {change} END",
        f"CREATE TRIGGER IF NOT EXISTS {moved} AFTER UPDATE ON report_day WHEN NOT ({same})"
        f" BEGIN {take} {add} END",
    ]


def drop_statements(dialect: str, table: str = TABLE) -> list[str]:
    return triggers.drop_statements(dialect, "report_month_count", "report_day", SQLITE_TRIGGERS)


def fill_statement(dialect: str) -> str:
    """SQL: report_month filled from report_day (an empty report_month, the triggers off), in
    the order of its key: a month's rows then lie in adjacent pages (inserted as they were
    grouped, the 310 rows of a month of 2019 lay on 212 pages at 1,000,000 dossiers)."""
    names = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    month = month_of(dialect, "day")
    return (
        f"INSERT INTO {TABLE} ({_KEYS}, {names})"
        f" SELECT {month}, agency_id, procedure_id, {sums} FROM report_day"
        f" GROUP BY {month}, agency_id, procedure_id"
        f" ORDER BY {month}, agency_id, procedure_id"
    )
