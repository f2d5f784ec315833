"""Django's SQLite backend, waiting for the write lock in finer steps than SQLite's own busy handler.

Every write transaction begins with ``BEGIN IMMEDIATE`` (settings: ``transaction_mode``),
so writers queue for SQLite's one write lock there. SQLite's busy handler sleeps 1, 2, 5,
10, 15, 20, 25 ... 100 ms between tries: an SMTP receiver whose commit arrives while the
worker writes a batch (tens of milliseconds) wakes up to 20 ms after the lock was free,
and the customer's mail server waits for that 250. Here ``BEGIN IMMEDIATE`` is tried
without SQLite's wait and retried every 0.2 ms at first, then at most every 2 ms, until
the same ``timeout`` as before runs out. Statements outside a transaction (autocommit
writes, and reads waiting out a checkpoint) keep SQLite's own handler and its back-off
(``busy_timeout``), which is set back after the BEGIN. Only SQLITE_BUSY ("database
is locked") is retried, as SQLite's handler would; a shared cache's table lock is not.

Measured in BENCHMARKS.md ("SQLite's write lock, waited for in finer steps"): with the
worker writing, SMTP acceptance rose by about a third and end to end by about a tenth.
``_start_transaction_under_autocommit`` is Django's private hook for that BEGIN
(``BaseDatabaseWrapper.set_autocommit``); test_sqlite_backend.py goes through it as
``atomic()`` does, so a Django upgrade that renames it fails there.
"""

from __future__ import annotations

from time import monotonic, sleep
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

FIRST_WAIT = 0.0002  # seconds
LONGEST_WAIT = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        # What sqlite3.connect(timeout=...) set: the wait to give back after each BEGIN.
        self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        # Django's hook for BEGIN (BaseDatabaseWrapper.set_autocommit, as atomic() calls it).
        if getattr(self, "transaction_mode", None) != "IMMEDIATE":
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        raw = self.connection
        try:
            raw.execute("PRAGMA busy_timeout = 0")
            deadline = monotonic() + self._busy_timeout_ms / 1000
            wait = FIRST_WAIT
            while True:
                try:
                    self.cursor().execute("BEGIN IMMEDIATE")
                    return
                except OperationalError as exc:
                    if str(exc) != "database is locked" or monotonic() >= deadline:
                        raise
                sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT)
        finally:
            try:
                raw.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            except Exception:
                # Left without SQLite's wait, every later statement would fail at once on a
                # lock: the connection is closed, and the next query opens a fresh one.
                self.close()
                raise
