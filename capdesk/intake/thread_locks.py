"""Concurrent intake batches wait for each other where their mail is related (PostgreSQL).

Two workers may write two batches at once. A reply in one and the message it answers in
the other cannot see each other's rows until both commit, so each opened a ticket of its
own; two batches with mail from one sender could each count the automatic replies already
sent and both answer past the limit (RFC 3834 rate limit). Before its first write, a batch
takes a transaction-level advisory lock for every Message-ID its mail has or cites and for
every sender: a second batch sharing one waits until the first commits, and then, at READ
COMMITTED, its reads see the first one's rows. Locks are taken in one statement, in key
order, so two batches cannot each hold what the other waits for.

SQLite needs none of this: its write transactions run one at a time, and each begins with
the write lock (``transaction_mode`` IMMEDIATE), so it reads everything committed before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection

# A namespace of our own in the 64-bit advisory key space (the first 4 bytes of every key),
# so another user of advisory locks on the same database does not share keys with ours.
_NAMESPACE = b"cdth"


def key(value: str) -> int:
    """The signed 64-bit advisory key for a Message-ID or an address."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogateescape"), digest_size=4).digest()
    return int.from_bytes(_NAMESPACE + digest, "big", signed=True)


def lock(values: Iterable[str]) -> None:
    """Wait for, then hold until the transaction ends, the advisory lock of each value."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({key(v) for v in values if v})
    if not keys:
        return
    with connection.cursor() as cursor:
        # unnest yields the array in order, and the locks are taken row by row as it does.
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])
