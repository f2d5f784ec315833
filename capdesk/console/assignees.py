"""Who a ticket may be given to: the agents who can work its queue, its rotation's members first.

The desk has no per-queue permission: every active staff account sees and works every
queue (``tickets.scoping.agent_tickets``), so that is who is eligible. A queue's rotation
only says who takes its tickets in turn; its members are offered first, not exclusively.
Eligibility is decided here alone, so a future per-queue permission changes one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet

from capdesk.console.models import Away, QueueRotation
from capdesk.tickets.models import Ticket


@dataclass(frozen=True)
class Candidate:
    """An agent the ticket may be given to, as the assign select shows them."""

    pk: int
    name: str
    in_rotation: bool
    away: bool


def eligible(ticket: Ticket) -> QuerySet[User]:
    """The accounts that may be assigned ``ticket``: active agents (staff), as for every console page."""
    return User.objects.filter(is_staff=True, is_active=True)


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
