"""Merging one ticket into another: the conversation moves, the merged one closes and points on.

The surviving ticket keeps its own SLA clocks; the merged one's clocks stop when it is
closed. Mail and portal visits that still name the merged ticket are sent on to the
survivor (``Ticket.surviving``), so its Message-IDs and reply address keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from capdesk.directory.models import EmailAddress
from capdesk.notify.actions import queue_email, render_email
from capdesk.policy.types import Outcome
from capdesk.tickets import actions, copies
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import OPEN_STATUSES, Event, Message, Status, Ticket
from capdesk.tickets.reply_address import threading_headers
from capdesk.tickets.scoping import customer_tickets


class MergeRefused(ValueError):
    """A merge that would mix organizations, loop, or merge a ticket twice."""


def check_merge(source: Ticket, target: Ticket) -> None:
    """Raise MergeRefused, with a reason an agent can read, when ``source`` may not go into ``target``."""
    if source.pk == target.pk:
        raise MergeRefused(f"{source.reference} cannot be merged into itself.")
    if source.merged_into_id is not None:
        raise MergeRefused(f"{source.reference} was already merged into another ticket.")
    if target.merged_into_id is not None:
        raise MergeRefused(
            f"{target.reference} was merged into {target.surviving().reference}; merge into that one."
        )
    # Never across organizations: the survivor's requester and admins would read the other
    # organization's conversation. Without an organization the requester must be the same person.
    if source.organization_id != target.organization_id:
        raise MergeRefused(
            f"{source.reference} and {target.reference} belong to different organizations; "
            "tickets are only merged within one organization."
        )
    # A request held until its sender confirms (E3) may be forged: merged into a ticket its
    # requester reads, its words would show there as hers; merged into, hers would vanish
    # from her portal. It is confirmed (then merged) or discarded first.
    for ticket in (source, target):
        if ticket.outcome == Outcome.VERIFY_SENDER:
            raise MergeRefused(
                f"{ticket.reference} waits for its sender to confirm it (E3): merge it once it is "
                "confirmed, or close it if it is forged."
            )
    if source.organization_id is None and source.requester_email.lower() != target.requester_email.lower():
        raise MergeRefused(
            f"{source.reference} and {target.reference} have no organization and different requesters."
        )


def may_reply(ticket: Ticket, address: str, *, authenticated: bool = False) -> bool:
    """Whether mail from ``address`` may join ``ticket``: its requester's, the requester's of a
    ticket merged into it, or, when the mail proved its From, an address copied on it.

    An unproven requester is held or trusted by intake's own rules (E3); an unproven copied
    address is not trusted at all: the addresses copied are listed in every reply, so a
    forger would know whom to be.
    """
    address = address.lower()
    if ticket.requester_email.lower() == address:
        return True
    if authenticated and copies.is_copied(ticket, address):
        return True
    return any(e.lower() == address for e in ticket.merged_tickets.values_list("requester_email", flat=True))


@transaction.atomic
def merge_tickets(source: Ticket, target: Ticket, *, agent: User, notify_requester: bool = False) -> int:
    """Merge ``source`` into ``target``: messages (with files and cited Message-IDs) move, the
    linked incident is carried over, ``source`` is closed as merged. Returns the messages moved."""
    # Both rows locked in id order, so two agents merging the same pair cannot deadlock or
    # both succeed; the fresh rows are the ones checked.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    check_merge(source, target)
    was_open = source.is_open
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    carried = copies.carry(source, target, user=agent)
    if source.incident and not target.incident:
        link_incident(target, source.incident, agent=agent)
    source.merged_into = target
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    # Closing stops (cancels) the merged ticket's SLA clocks; the survivor's run on.
    actions.change_status(source, Status.CLOSED, agent=agent, reason=f"merged into {target.reference}")
    Event.objects.create(
        ticket=source,
        kind="ticket.merged_into",
        actor_user=agent,
        data={"target": target.reference, "messages": moved},
    )
    Event.objects.create(
        ticket=target,
        kind="ticket.merged",
        actor_user=agent,
        data={"source": source.reference, "source_subject": source.subject, "messages": moved},
    )
    if was_open and target.status not in OPEN_STATUSES:
        # The merged request was still waiting for an answer; it now waits on the survivor.
        actions.change_status(target, Status.OPEN, agent=agent, reason=f"{source.reference} merged in")
    target.updated_at = timezone.now()
    target.save(update_fields=["updated_at"])
    if notify_requester and source.requester_email:
        _notify_merged(source, target, copied=carried)
    return moved


@transaction.atomic
def merge_many(sources: Iterable[Ticket], target: Ticket, *, agent: User) -> int:
    """Merge each ticket into ``target`` (skipping the target itself); all or none."""
    done = 0
    for source in sources:
        if source.pk != target.pk:
            merge_tickets(source, target, agent=agent)
            done += 1
    return done


def _notify_merged(source: Ticket, target: Ticket, *, copied: Sequence[str]) -> None:
    """Tell the merged ticket's requester, and who of its copied people now follows the
    survivor (``copied``), where the conversation goes on: one email each."""
    language = source.mail_language
    recipients = [source.requester_email, *copied]
    # The portal link only for who can open the survivor there: an address of a Capgo
    # account (copied people were carried to it), and the requester when it is theirs too,
    # not when it is another requester's ticket.
    registered = set(EmailAddress.objects.filter(email__in=copied).values_list("email", flat=True))
    if source.requester is not None and customer_tickets(source.requester).filter(pk=target.pk).exists():
        registered.add(source.requester_email)
    others = actions.others_named(recipients)
    threading = threading_headers(target)
    for to in recipients:
        context = {
            "source": source,
            "target": target,
            "portal_url": f"{settings.BASE_URL}/portal/requests/{target.reference}/",
            "portal": to in registered,
            "copied": to != source.requester_email,
            "also_to": others[to],
        }
        subject, body = render_email("tickets/email/merged", context, language=language)
        # Threaded on the survivor, so the answer lands there.
        queue_email(
            to=to,
            subject=subject,
            body_text=body,
            kind="merged",
            ticket_id=target.pk,
            headers={"Auto-Submitted": "auto-generated", **threading},
        )
