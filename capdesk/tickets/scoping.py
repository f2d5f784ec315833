"""Tickets as each kind of asker may see them. Views fetch tickets only through these."""

from __future__ import annotations

from typing import TypeVar, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from capdesk.directory.models import EmailAddress, Person, RoleBinding
from capdesk.directory.roles import ORG_ROLES_GRANTING_APPS, normalise_role
from capdesk.policy.types import Outcome
from capdesk.tickets.models import Copied, Message, QueueMembership, QueueRestriction, Ticket


def shown_to_customers() -> QuerySet[Ticket]:
    """Every ticket a customer could see, before asking whose: all but a request held until
    its sender confirms (E3).

    That request came in a registered person's name without proof, so its text and files
    may be a forger's: shown in her portal they would read as her own. Like a held reply,
    nobody but agents sees it; the link emailed to the address is the way forward, and
    once confirmed it is decided again and shows as usual.
    """
    return Ticket.objects.exclude(outcome=Outcome.VERIFY_SENDER)


def owned_tickets(person: Person) -> QuerySet[Ticket]:
    """A customer's own requests, and their organization's when they administer it: the
    tickets they may manage (who is copied on them), not only read."""
    admin_orgs = [
        b.organization_id
        for b in RoleBinding.objects.filter(person=person, project__isnull=True)
        if normalise_role(b.role, on_app=False) in ORG_ROLES_GRANTING_APPS
    ]
    return shown_to_customers().filter(Q(requester=person) | Q(organization_id__in=admin_orgs))


def customer_tickets(person: Person) -> QuerySet[Ticket]:
    """What a customer sees: ``owned_tickets``, and the tickets an address of theirs is copied on."""
    mine = EmailAddress.objects.filter(person=person).values("email")
    copied = Copied.objects.filter(email__in=mine).values("ticket_id")
    return owned_tickets(person) | shown_to_customers().filter(pk__in=copied)


def manages_copies(person: Person, ticket: Ticket) -> bool:
    """Whether ``person`` manages who is copied on ``ticket`` (not only reads it as a copied address)."""
    return owned_tickets(person).filter(pk=ticket.pk).exists()


def with_managed(tickets: QuerySet[Ticket], person: Person) -> QuerySet[Ticket]:
    """``tickets``, each with ``managed``: whether ``person`` manages it (``manages_copies``), in
    the same query; one they see only because they are copied is not theirs to judge."""
    return tickets.annotate(managed=Exists(owned_tickets(person).filter(pk=OuterRef("pk"))))


def conversation_for(person: Person, ticket: Ticket) -> QuerySet[Message]:
    """The messages of ``ticket`` that ``person`` reads: the public ones, without the desk's
    own that were for the requester when they see it only because they are copied. Those
    (standard replies) speak of the requester's plan, projects and access, and are emailed
    to the requester alone; a copied person reads the people's conversation and the notices
    they were emailed too (``Message.to_copied``)."""
    messages = ticket.messages.filter(public=True)
    if not manages_copies(person, ticket):
        messages = messages.exclude(author_kind=Message.Author.SYSTEM, to_copied=False)
    return messages


def get_ticket_for_customer(person: Person, reference: str) -> Ticket:
    pk = Ticket.pk_from_reference(reference)
    ticket = customer_tickets(person).filter(pk=pk or 0).select_related("project", "organization").first()
    if ticket is None:
        raise Http404("No such request")
    return ticket


def is_agent(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_staff", False))


# Whether a user is restricted to queues, read in the query that loads them for a request
# (tickets.backends, api.actions.token_for) as an EXISTS over an indexed table: an
# unrestricted agent, nearly every agent, then costs no query and no join more than before.
RESTRICTED = "queue_restricted"
_M = TypeVar("_M", bound=Model)
_QUEUE_IDS = "_capdesk_queue_ids"  # the restricted agent's queues, read once per loaded user

# Who works which queue is decided here alone, in two spellings of one rule: for the
# asking agent (``agent_queue_ids``, the tickets they see) and for every agent at once
# (``working``, who may be given a queue's tickets). A superuser works every queue; so does
# an agent who is not restricted (``QueueRestriction``); a restricted agent works the queues
# of their memberships, and none when they have none.


def restricted(rows: QuerySet[_M], user_field: str = "pk") -> QuerySet[_M]:
    """``rows`` (users, or rows with a user: ``user_field`` names it) with ``RESTRICTED`` annotated."""
    restriction = QueueRestriction.objects.filter(user_id=OuterRef(user_field))
    return cast("QuerySet[_M]", rows.annotate(**{RESTRICTED: Exists(restriction)}))


def agent_queue_ids(user: AbstractBaseUser | AnonymousUser) -> list[int] | None:
    """The queues ``user`` is restricted to (maybe none), or None when they see every queue."""
    if getattr(user, "is_superuser", False):
        return None
    known: list[int] | bool | None = getattr(user, _QUEUE_IDS, False)
    if known is not False:
        return cast("list[int] | None", known)
    is_restricted = getattr(user, RESTRICTED, None)
    if is_restricted is None:  # loaded elsewhere than tickets.backends or api.actions.token_for: ask
        is_restricted = QueueRestriction.objects.filter(user_id=cast(int, user.pk)).exists()
    ids: list[int] | None = None
    if is_restricted:
        found = QueueMembership.objects.filter(user_id=cast(int, user.pk)).values_list("queue_id", flat=True)
        ids = sorted(found)
    setattr(user, _QUEUE_IDS, ids)
    return ids


def works_queue(user: AbstractBaseUser | AnonymousUser, queue_id: int) -> bool:
    """Whether ``user``'s queues include ``queue_id`` (an unrestricted agent's include them all)."""
    ids = agent_queue_ids(user)
    return ids is None or queue_id in ids


def working(queue_id: int) -> QuerySet[User]:
    """The active agents (staff) who work queue ``queue_id``, by the rule ``agent_queue_ids`` reads."""
    restriction = QueueRestriction.objects.filter(user_id=OuterRef("pk"))
    member = QueueMembership.objects.filter(user_id=OuterRef("pk"), queue_id=queue_id)
    return User.objects.filter(is_staff=True, is_active=True).filter(
        Q(is_superuser=True) | ~Exists(restriction) | Exists(member)
    )


def agent_tickets(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Ticket]:
    """Agents (staff) see every ticket, or when restricted those of their queues (none without
    a queue); anyone else sees none through the console."""
    if not is_agent(user):
        return Ticket.objects.none()
    ids = agent_queue_ids(user)
    if ids is None:
        return Ticket.objects.all()
    # queue_id first in ticket_queue_deadline_idx: the console's list reads each queue's part.
    return Ticket.objects.filter(queue_id__in=ids)


def agent_messages(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Message]:
    """The messages of ``agent_tickets``; for an unrestricted agent without a subquery over every
    ticket (they see all of them)."""
    if not is_agent(user):
        return Message.objects.none()
    ids = agent_queue_ids(user)
    if ids is None:
        return Message.objects.all()
    return Message.objects.filter(ticket__queue_id__in=ids)


def get_ticket_for_agent(user: AbstractBaseUser | AnonymousUser, reference: str) -> Ticket:
    pk = Ticket.pk_from_reference(reference)
    ticket = agent_tickets(user).filter(pk=pk or 0).first()
    if ticket is None:
        raise Http404("No such ticket")
    return ticket
