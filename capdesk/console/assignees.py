"""Who a ticket may be given to: the agents who can work its queue, its rotation's members first.

The agents who work its queue (``tickets.scoping.working``, the rule that also decides which
tickets an agent sees) are who is eligible, so a ticket is never given to an agent who could
not open it. A queue's rotation only says who takes its tickets in turn; its members are
offered first, not exclusively. Eligibility is decided here alone (the assign select, the
bulk form and the rotations).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet

from capdesk.console.models import Away, QueueRotation
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import working


@dataclass(frozen=True)
class Candidate:
    """An agent the ticket may be given to, as the assign select shows them."""

    pk: int
    name: str
    in_rotation: bool
    away: bool


def eligible(ticket: Ticket) -> QuerySet[User]:
    """The accounts that may be assigned ``ticket``: the active agents who work its queue."""
    return working(ticket.queue_id)


def is_eligible(ticket: Ticket, user: User) -> bool:
    return eligible(ticket).filter(pk=user.pk).exists()


def candidates(ticket: Ticket) -> list[Candidate]:
    """Every eligible agent, the queue's rotation members first, each group by name; one query."""
    members = QueueRotation.members.through.objects.filter(
        queuerotation__queue_id=ticket.queue_id, user_id=OuterRef("pk")
    )
    rows = (
        eligible(ticket)
        .annotate(in_rotation=Exists(members), is_away=Exists(Away.objects.filter(user_id=OuterRef("pk"))))
        .values_list("pk", User.USERNAME_FIELD, "in_rotation", "is_away")
    )
    found = [Candidate(pk=pk, name=name, in_rotation=rot, away=away) for pk, name, rot, away in rows]
    return sorted(found, key=lambda c: (not c.in_rotation, c.name.lower()))
