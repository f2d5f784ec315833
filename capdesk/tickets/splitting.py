"""Splitting a customer message (and optionally what followed it) out into a ticket of its own.

The new ticket has the same requester, organization, project and copied people, and is decided again
by the same pipeline a new request goes through (``intake.deciding.decide_request`` then
``apply_decision``), so its queue, severity, SLA and outcome are those of a new request.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from capdesk.intake.deciding import decide_request
from capdesk.policy.types import Identity
from capdesk.sla import actions as sla_actions
from capdesk.tickets import copies
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.models import Event, Message, Ticket


class SplitRefused(ValueError):
    """A split that would move no customer message or leave the original with none."""


# Channels on which the requester proved who they are by signing in (C1, E3).
_SIGNED_IN_CHANNELS = ("portal", "dashboard", "api")


def _identity(ticket: Ticket) -> Identity:
    """How sure the desk was of the sender when it last decided this ticket; for a ticket never
    decided, what its channel proves about a registered requester."""
    last = ticket.decisions.exclude(identity="").order_by("-created_at", "-id").first()
    if last is not None and last.identity in Identity.__members__.values():
        return Identity(last.identity)
    if ticket.requester_id is None:
        return Identity.UNKNOWN
    return Identity.VERIFIED if ticket.channel in _SIGNED_IN_CHANNELS else Identity.UNVERIFIED


@transaction.atomic
def split_ticket(
    ticket: Ticket,
    message: Message,
    *,
    agent: User,
    following: bool = False,
    subject: str = "",
    send_reply: bool = False,
) -> Ticket:
    """Move ``message`` (and, with ``following``, every later message) to a new ticket, linked both ways.

    ``send_reply`` sends the new decision's standard reply; off by default, because the
    customer did not file anything new and an agent usually answers the split part by hand.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if message.ticket_id != ticket.pk or message.author_kind != Message.Author.CUSTOMER:
        raise SplitRefused(f"Only a customer message of {ticket.reference} can be split out.")
    if message.held:
        # It may be forged (E3): as its own ticket it would become a request nobody confirmed.
        raise SplitRefused("A held reply waits for its sender to confirm it; it cannot be split out.")
    moving = Message.objects.filter(pk=message.pk)
    if following:
        moving = ticket.messages.filter(
            Q(created_at__gt=message.created_at) | Q(created_at=message.created_at, pk__gte=message.pk)
        )
    moving_pks = list(moving.values_list("pk", flat=True))
    left = ticket.messages.exclude(pk__in=moving_pks).filter(author_kind=Message.Author.CUSTOMER)
    if not left.exists():
        raise SplitRefused(f"{ticket.reference} would have no customer message left; nothing to split.")
    now = timezone.now()
    new = Ticket.objects.create(
        subject=(subject.strip() or ticket.subject)[:300],
        organization=ticket.organization,
        project=ticket.project,
        requester=ticket.requester,
        requester_email=ticket.requester_email,
        channel=ticket.channel,
        severity=ticket.severity,
        queue=ticket.queue,
        language=ticket.language,
        split_from=ticket,
        created_at=now,
        updated_at=now,
    )
    Message.objects.filter(pk__in=moving_pks).update(ticket=new)
    Event.objects.create(
        ticket=new,
        kind="ticket.created",
        actor_user=agent,
        data={"channel": ticket.channel, "split_from": ticket.reference, "messages": len(moving_pks)},
    )
    Event.objects.create(
        ticket=ticket,
        kind="ticket.split",
        actor_user=agent,
        data={"new": new.reference, "messages": len(moving_pks)},
    )
    # The same requester and the same conversation: the people copied on it follow both parts.
    copies.add(new, copies.addresses(ticket), how="split", user=agent, strict=False)
    # As for a new request: the first-response clock starts when the split message arrived.
    sla_actions.on_ticket_opened(new)
    decided = decide_request(
        channel=ticket.channel,
        identity=_identity(ticket),
        person=ticket.requester,
        project=ticket.project,
        subject=new.subject,
        body=message.body_text,
    )
    apply_decision(
        new, decided.decision, identity=decided.identity, language=decided.language, send_reply=send_reply
    )
    return new
