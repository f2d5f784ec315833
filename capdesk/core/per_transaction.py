"""A value read from the database at most once per write transaction.

Intake writes many tickets, messages and audit events in one transaction, and each asked
again for the same rows (the default queue, the active webhook endpoints). The value is
held while the connection keeps the same list of on-commit callbacks, which Django
replaces on every commit, rollback and savepoint rollback: it never outlives the
transaction, nor a rolled-back part of it. Outside a transaction every call reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import transaction

T = TypeVar("T")


class PerTransaction(Generic[T]):
    """``read()``'s value, kept for the rest of the current transaction."""

    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._held: tuple[object, T] | None = None

    def get(self) -> T:
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            return self._read()
        held = self._held
        if held is not None and held[0] is connection.run_on_commit:
            return held[1]
        value = self._read()
        self._held = (connection.run_on_commit, value)
        return value

    def forget(self) -> None:
        """Read again next time (what it holds was changed in this process)."""
        self._held = None
