"""Writing the audit trail: an ``Event`` at once, or with the rest of a write batch.

Inside ``core.appends.batched()`` (intake's write phase) the row is inserted with the
batch's other appended rows when the batch ends. It still announces itself through
``post_save`` then, and carries the ticket as it was when the event happened, so a
webhook's ticket summary is the same as if the row had been written at once.
"""

from __future__ import annotations

import copy

from django.contrib.auth.models import User

from capdesk.core import appends
from capdesk.directory.models import Person
from capdesk.tickets.models import Event, Ticket


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
    if appends.batching():
        # A copy: the ticket changes before the batch is written; the event describes it as it is now.
        ticket = copy.copy(ticket)
    event = Event(
        ticket=ticket, kind=kind, actor_user=user, actor_person=person, reason=reason, data=data or {}
    )
    return appends.save(event)
