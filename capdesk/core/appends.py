"""Rows a write batch only appends, inserted together when the batch ends.

Intake writes a batch of emails in one transaction. Per new ticket it appended an audit
row for each step, the decision, the desk's reply on the ticket and that reply in the
outbox, each its own INSERT through the ORM: the largest part of the worker's time per
message. Inside ``batched()`` such rows are kept and inserted with one INSERT per model
when the outermost block ends, still inside the caller's transaction, and ``post_save``
is sent for each as ``save()`` would. A nested block that raises drops the rows it kept,
as its savepoint drops the rest of its work.

Only rows nothing later in the batch reads back by query belong here, or whose readers
also look in ``pending``: intake's threading finds a batch's new messages and their
citations there, and the outbox's count of automatic replies per address adds the
pending ones when it has to read again. Outside a batch, ``save`` inserts at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import router
from django.db.models import Model
from django.db.models.signals import post_save

M = TypeVar("M", bound=Model)


class _Blocks(threading.local):
    def __init__(self) -> None:
        # The rows of each open ``batched()`` block, innermost last; None for a block that
        # inserts at once (``batched(defer=False)``).
        self.rows: list[list[Model] | None] = []


_blocks = _Blocks()


def batching() -> bool:
    return bool(_blocks.rows) and _blocks.rows[-1] is not None


def save(row: M) -> M:
    """Insert ``row`` now, or with the rest of the open batch; its pk is set once inserted."""
    block = _blocks.rows[-1] if _blocks.rows else None
    if block is None:
        row.save(force_insert=True)
    else:
        block.append(row)
    return row


def pending(model: type[M]) -> list[M]:
    """The rows of ``model`` kept by the open blocks, not yet inserted."""
    return [row for block in _blocks.rows if block for row in block if isinstance(row, model)]


@contextmanager
def batched(*, defer: bool = True) -> Iterator[None]:
    """Keep the rows saved inside, and insert them when the outermost block ends.

    Open it inside the transaction the rows belong to (or a savepoint of it): the rows
    of a block that raises are dropped with it. ``defer=False`` makes the block, and
    every block inside it, insert each row at once: for a caller writing again, one
    savepoint per part, after the database refused a row of the whole.
    """
    blocks = _blocks.rows
    inside_at_once = bool(blocks) and blocks[-1] is None
    blocks.append([] if defer and not inside_at_once else None)
    try:
        yield
    except BaseException:
        blocks.pop()
        raise
    rows = blocks.pop()
    if not rows:
        return
    if blocks and blocks[-1] is not None:
        blocks[-1].extend(rows)
    else:
        _insert(rows)


def _insert(rows: list[Model]) -> None:
    # One INSERT per model, in the order each model first appeared: a row that refers to
    # another kept row (a cited Message-ID to its message) is always kept after it, so its
    # model comes later, and bulk_create reads the id the earlier INSERT set.
    by_model: dict[type[Model], list[Model]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, same in by_model.items():
        using = router.db_for_write(model)
        model._default_manager.using(using).bulk_create(same)
        for row in same:
            post_save.send(
                sender=model, instance=row, created=True, update_fields=None, raw=False, using=using
            )
