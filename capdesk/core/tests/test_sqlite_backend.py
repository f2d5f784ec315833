"""The SQLite backend's wait for the write lock: it waits, gets the lock once it is free, and
still gives up with "database is locked" when the lock outlasts the busy timeout.

On a file database of the test's own, with a second ``sqlite3`` connection holding the
lock as another process would (the suite's own database is in memory, with one writer).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections

from capdesk.core.sqlite_backend import base as backend
from capdesk.core.sqlite_backend.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's own behaviour")


@pytest.fixture
def desk_db(db: None, tmp_path: Path) -> Iterator[tuple[DatabaseWrapper, Path]]:
    path = tmp_path / "desk.sqlite3"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    settings = {
        **connection.settings_dict,
        "NAME": str(path),
        "OPTIONS": {"timeout": 1, "transaction_mode": "IMMEDIATE"},
    }
    wrapper = DatabaseWrapper(settings, alias="sqlite_backend_test")
    try:
        yield wrapper, path
    finally:
        wrapper.close()


def _holding(path: Path) -> sqlite3.Connection:
    """Another writer, inside its transaction: it holds SQLite's one write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def _busy_timeout(wrapper: DatabaseWrapper) -> int:
    return int(wrapper.connection.execute("PRAGMA busy_timeout").fetchone()[0])


def test_it_begins_at_once_when_nobody_holds_the_lock(desk_db) -> None:
    wrapper, _ = desk_db
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()
    assert wrapper.connection.in_transaction
    wrapper.connection.execute("ROLLBACK")
    assert _busy_timeout(wrapper) == 1000


def test_it_waits_for_the_lock_and_takes_it_once_the_other_writer_commits(desk_db, monkeypatch) -> None:
    wrapper, path = desk_db
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(backend, "sleep", sleep)
    wrapper.ensure_connection()
    other = _holding(path)
    released = threading.Event()

    def commit() -> None:
        other.execute("COMMIT")
        released.set()

    threading.Timer(0.2, commit).start()
    # As atomic() begins a transaction: it waits, since the other writer holds the lock for 0.2 s.
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert released.is_set() and wrapper.connection.in_transaction
    # In its own steps, not SQLite's handler (which would wait as long, but waking up to 100 ms late).
    assert waits and max(waits) == backend.LONGEST_WAIT
    wrapper.cursor().execute("CREATE TABLE t (x)")
    wrapper.commit()
    wrapper.set_autocommit(True)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (0,)
    other.close()
    # Statements outside a transaction keep SQLite's own wait.
    assert _busy_timeout(wrapper) == 1000


def test_it_gives_up_after_the_busy_timeout_as_sqlite_would(desk_db, monkeypatch) -> None:
    wrapper, path = desk_db
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(backend, "sleep", sleep)
    wrapper.ensure_connection()
    other = _holding(path)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            wrapper._start_transaction_under_autocommit()
        # It retried in its own steps for the whole timeout (1 s), not failing at the first BUSY.
        assert time.monotonic() - started >= 1 and len(waited) > 100
        assert not wrapper.connection.in_transaction
        assert _busy_timeout(wrapper) == 1000
    finally:
        other.close()


def test_a_connection_whose_wait_cannot_be_given_back_is_closed(desk_db, monkeypatch) -> None:
    wrapper, _ = desk_db
    wrapper.ensure_connection()
    raw = wrapper.connection

    class Failing:
        def execute(self, sql: str):
            if sql.startswith("PRAGMA busy_timeout = ") and sql != "PRAGMA busy_timeout = 0":
                raise sqlite3.OperationalError("disk I/O error")
            return raw.execute(sql)

        def __getattr__(self, name: str):
            return getattr(raw, name)

    wrapper.connection = Failing()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        wrapper._start_transaction_under_autocommit()
    # Not kept without SQLite's busy handler: the next query opens a fresh connection.
    assert wrapper.connection is None
    wrapper.ensure_connection()
    assert _busy_timeout(wrapper) == 1000


def test_the_desk_runs_on_it() -> None:
    assert isinstance(connections["default"], DatabaseWrapper)
