"""The full-text index behind console search, kept by the database itself.

SQLite: FTS5 tables with external content (the text stays in tickets_ticket and
tickets_message; the index holds only tokens), kept in step by triggers. PostgreSQL:
a GIN index on the subject's to_tsvector expression, which the search query repeats
verbatim so the planner uses it, and on the messages' stored ``search_vector`` column. The 'simple' configuration, not 'english': requests come in English
and Indonesian, and stemming one language's words by the other's rules loses hits.

Made on post_migrate rather than in a migration because Django rebuilds a SQLite table
(create, copy, drop, rename) for most ALTERs, which silently drops its triggers: any
later migration of the tickets app would stop the index from following new messages.
Every statement is idempotent, and a rebuild runs whenever a trigger had to be made.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# (index table, source table, indexed column)
SQLITE_TABLES = (
    ("console_ticket_fts", "tickets_ticket", "subject"),
    ("console_message_fts", "tickets_message", "body_text"),
)

POSTGRES_INDEXES = (
    "CREATE INDEX IF NOT EXISTS console_ticket_subject_fts ON tickets_ticket "
    "USING gin (to_tsvector('simple', subject))",
    # Messages keep their vector in a stored generated column: a search for common words walks
    # the newest messages testing each, and recomputing to_tsvector for each of them cost
    # 25-100 µs a row (the two-word search on the 1M bench: 4,000 messages, 120-160 ms). The
    # database fills it in on every insert and update; Django never names it. PostgreSQL refuses
    # to change body_text's type while it exists: such a migration must drop it first.
    "ALTER TABLE tickets_message ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body_text)) STORED",
    "CREATE INDEX IF NOT EXISTS console_message_vector_fts ON tickets_message USING gin (search_vector)",
    # The expression index the column replaced.
    "DROP INDEX IF EXISTS console_message_body_fts",
)


def _sqlite_statements(fts: str, source: str, column: str) -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER statement) for the three changes that move the index."""
    # Identifiers come from SQLITE_TABLES above, never from input.
    delete = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"  # noqa: S608
    insert = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});"  # noqa: S608
    return [
        (f"{fts}_ai", f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {insert} END"),
        (f"{fts}_ad", f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {delete} END"),
        (
            f"{fts}_au",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {source} BEGIN {delete} {insert} END",
        ),
    ]


def ensure_search_index(connection: BaseDatabaseWrapper) -> None:
    """Create whatever part of the index is missing on this database; rebuild it if it may be stale."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for fts, source, column in SQLITE_TABLES:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{source}', "
                    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
                )
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                existing = {row[0] for row in cursor.fetchall()}
                missing = [
                    (name, sql)
                    for name, sql in _sqlite_statements(fts, source, column)
                    if name not in existing
                ]
                for _name, sql in missing:
                    cursor.execute(sql)
                if missing:
                    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'tickets_message' AND column_name = 'search_vector'"
            )
            added = cursor.fetchone() is None
            for sql in POSTGRES_INDEXES:
                cursor.execute(sql)
            if added:
                # Without statistics on the new column the planner takes every word for common and
                # walks all messages backwards for a rare one (5 s a search at five million); a
                # sample of the column is seconds, and autovacuum may not analyze for hours.
                cursor.execute("ANALYZE tickets_message (search_vector)")


def on_post_migrate(using: str = "default", **kwargs: Any) -> None:
    ensure_search_index(connections[using])
