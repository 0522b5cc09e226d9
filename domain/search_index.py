"""Indexed accent-free search (issue 16): a word is found inside the normalised `search_text`
of a big table without reading the whole table.

PostgreSQL: a pg_trgm GIN index on search_text serves `search_text LIKE '%word%'` as it is.
SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34) holds the same text, kept in
step by triggers; a word of 3 characters or more is looked up there by its trigrams, then LIKE
keeps the rows that hold the word itself; a shorter one (no trigram in it) is LIKE alone.

Both are made by migration 0014 and, for a schema made by `db.create_all()`, by the table's
create event (models.py). The same results as the plain LIKE: tests/domain/test_search_index.py."""

from __future__ import annotations

from sqlalchemy import and_, literal_column, or_, select, table

# The tables whose search_text is indexed (the big ones).
INDEXED_TABLES = ("dossier",)
MIN_INDEXED_LENGTH = 3  # a trigram
TRIGGERS = ("insert", "delete", "update")  # of the SQLite FTS table


def fts_table(name: str) -> str:
    return f"{name}_search"


def trigger_name(name: str, what: str) -> str:
    return f"{fts_table(name)}_{what}"


def trigram_index(name: str) -> str:
    return f"ix_{name}_search_trgm"


def create_statements(dialect: str, name: str) -> list[str]:
    """The DDL that indexes `name`.search_text on this database (rows already there included)."""
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS {trigram_index(name)} ON {name} "
            "USING gin (search_text gin_trgm_ops)",
        ]
    if dialect != "sqlite":
        return []
    fts = fts_table(name)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{name}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {trigger_name(name, 'insert')} AFTER INSERT ON {name} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {trigger_name(name, 'delete')} AFTER DELETE ON {name} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "END",
        f"CREATE TRIGGER IF NOT EXISTS {trigger_name(name, 'update')} AFTER UPDATE OF search_text, id ON {name} "
        f"BEGIN INSERT INTO {fts}({fts}, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def drop_statements(dialect: str, name: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {trigram_index(name)}"]
    if dialect != "sqlite":
        return []
    fts = fts_table(name)
    return [
        *(f"DROP TRIGGER IF EXISTS {trigger_name(name, what)}" for what in TRIGGERS),
        f"DROP TABLE IF EXISTS {fts}",
    ]


def is_index_object(name: str | None) -> bool:
    """A table or index made here, not in models.py (the migrations' comparison leaves it)."""
    if not name:
        return False
    return any(
        name == trigram_index(t) or name == fts_table(t) or name.startswith(fts_table(t) + "_")
        for t in INDEXED_TABLES
    )


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: the comparison of models and database leaves these out."""
    return not is_index_object(name)


def contains_word(dialect: str, column, word: str):
    """`column` (a search_text) contains the normalised `word`: the criterion the index serves."""
    return contains_any(dialect, column, ((word,),))


def contains_any(dialect: str, column, alternatives):
    """`column` (a search_text) contains every word of one of the `alternatives` (each a tuple
    of normalised words): a phone number typed "0912 345 678" is its three words, or its
    digits (domain/dossier_search.py). PostgreSQL's index serves the LIKEs as they are (one
    bitmap per alternative); on SQLite one look-up in the FTS table, the alternatives'
    trigrams OR-ed, then LIKE. An alternative of short words only (no trigram) is LIKE alone,
    as a short word is."""
    like = or_(*(and_(*(column.contains(w, autoescape=True) for w in alt)) for alt in alternatives))
    name = getattr(column.table, "name", None)
    if dialect != "sqlite" or name not in INDEXED_TABLES:
        return like
    queries = []
    for alt in alternatives:
        indexed = [trigram_query(w) for w in alt if len(w) >= MIN_INDEXED_LENGTH]
        if not indexed:
            return like
        queries.append(" AND ".join(indexed))
    match = queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)
    fts = fts_table(name)
    rows = (
        select(literal_column("rowid"))
        .select_from(table(fts))
        .where(literal_column(fts).op("MATCH")(match))
    )
    # The index finds the rows holding the words' trigrams; LIKE keeps those holding the words.
    return and_(column.table.c.id.in_(rows), like)


def trigram_query(word: str) -> str:
    """An FTS5 query for the rows holding every trigram of a cover of `word` ("0200987093"
    -> "020" AND "098" AND "709" AND "093"): a few posting lists intersected, without the
    positions a phrase query compares (ten times faster on the digits of ID numbers, whose
    trigrams are in every other row). A superset of the rows containing the word."""
    starts = list(range(0, len(word) - MIN_INDEXED_LENGTH + 1, MIN_INDEXED_LENGTH))
    if starts[-1] + MIN_INDEXED_LENGTH < len(word):
        starts.append(len(word) - MIN_INDEXED_LENGTH)
    grams = dict.fromkeys(word[i : i + MIN_INDEXED_LENGTH] for i in starts)
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def triggers(connection, name: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the triggers that keep the SQLite FTS table of `name` in step,
    read from the database; none on PostgreSQL (its index is kept by the database itself)."""
    if connection.dialect.name != "sqlite" or name not in INDEXED_TABLES:
        return []
    names = [trigger_name(name, what) for what in TRIGGERS]
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
        f" AND name IN ({', '.join('?' * len(names))}) ORDER BY name",
        (name, *names),
    )
    return [tuple(row) for row in rows]


def index_rows_after(connection, name: str, after_id: int) -> int:
    """The rows of `name` with an id above `after_id` added to its FTS table; returns the largest
    id now indexed. What the insert trigger does row by row, for a bulk load made with the
    triggers dropped (seed/common.py bulk_load): one INSERT ... SELECT costs a small part of what
    the trigger costs (100k dossiers: about 1 s against 20 s). FTS5 merges its segments as they
    come (automerge), as after the triggers: an 'optimize' into one segment would cost more than
    all the inserts (27 s CPU at 1M dossiers). Nothing to do on PostgreSQL."""
    if connection.dialect.name != "sqlite" or name not in INDEXED_TABLES:
        return after_id
    fts = fts_table(name)
    connection.exec_driver_sql(
        f"INSERT INTO {fts}(rowid, search_text) SELECT id, search_text FROM {name} WHERE id > ?",
        (after_id,),
    )
    last = connection.exec_driver_sql(f"SELECT max(id) FROM {name}").scalar()
    return max(after_id, last or 0)
