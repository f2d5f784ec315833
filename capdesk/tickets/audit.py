"""Writing the audit trail: an ``Event`` at once, or a write batch's events in one INSERT.

Intake writes a batch of emails in one transaction, and each new ticket made three audit
rows (created, sender identified, decision made), each its own INSERT through the ORM: a
fifth of the worker's time per message. Inside ``batched()`` the rows are kept and
written together when the outermost block ends, still inside the caller's transaction.
A nested block that fails drops its own rows (its savepoint drops the rest of its work),
so a request quarantined in the middle of a batch leaves no audit row behind.

Rows written together still announce themselves: ``post_save`` is sent for each, as
``save()`` would, and each carries the ticket as it was when the event happened, so a
webhook's ticket summary is the same as if the row had been written at once.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import User
from django.db import router
from django.db.models.signals import post_save

from capdesk.directory.models import Person
from capdesk.tickets.models import Event, Ticket


class _Pending(threading.local):
    def __init__(self) -> None:
        # One list per open ``batched()`` block, innermost last.
        self.blocks: list[list[Event]] = []


_pending = _Pending()


def record(
    ticket: Ticket,
    kind: str,
    *,
    user: User | None = None,
    person: Person | None = None,
    reason: str = "",
    data: dict[str, object] | None = None,
) -> Event:
    """Add ``kind`` to the ticket's audit trail: now, or with the rest of the open batch."""
    blocks = _pending.blocks
    if not blocks:
        return Event.objects.create(
            ticket=ticket, kind=kind, actor_user=user, actor_person=person, reason=reason, data=data or {}
        )
    # A copy: the ticket changes before the batch is written, and the event describes it as it is now.
    event = Event(
        ticket=copy.copy(ticket),
        kind=kind,
        actor_user=user,
        actor_person=person,
        reason=reason,
        data=data or {},
    )
    blocks[-1].append(event)
    return event


@contextmanager
def batched() -> Iterator[None]:
    """Keep the audit rows recorded inside, and write them when the outermost block ends.

    Use it inside the transaction the rows belong to: the rows of a block that raises are
    dropped with it, as its savepoint drops the rest of its work.
    """
    blocks = _pending.blocks
    blocks.append([])
    try:
        yield
    except BaseException:
        blocks.pop()
        raise
    events = blocks.pop()
    if blocks:
        blocks[-1].extend(events)
    elif events:
        _write(events)


def _write(events: list[Event]) -> None:
    using = router.db_for_write(Event)
    Event.objects.using(using).bulk_create(events)
    for event in events:
        post_save.send(sender=Event, instance=event, created=True, update_fields=None, raw=False, using=using)
