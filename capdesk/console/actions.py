"""Every change the console makes on its own rows, an agent's assignment, and the bulk forms of ticket changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capdesk.console import assignees
from capdesk.console.models import Away, Macro, Presence, QueueRotation, SavedView
from capdesk.core.translations import Translations, checked, merged
from capdesk.notify import actions as notify_actions
from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import audit, copies
from capdesk.tickets.models import Event, Queue, Status, Ticket
from capdesk.tickets.scoping import working

# A presence row older than this means the agent has left (closed the tab, lost the network);
# the page polls at a third of it, so one lost poll does not make a colleague vanish.
PRESENCE_TTL = timedelta(seconds=45)


@transaction.atomic
def save_view(owner: User, name: str, query: str) -> SavedView:
    """Save (or replace) an agent's named list."""
    view, _ = SavedView.objects.update_or_create(
        owner=owner, name=name.strip()[:80], defaults={"query": query}
    )
    return view


def delete_view(owner: User, pk: int) -> None:
    SavedView.objects.filter(owner=owner, pk=pk).delete()


def _bulk_event(ticket: Ticket, agent: User, action: str, count: int) -> None:
    Event.objects.create(
        ticket=ticket, kind="bulk.applied", actor_user=agent, data={"action": action, "tickets": count}
    )


@transaction.atomic
def bulk_assign(tickets: Iterable[Ticket], assignee: User | None, *, agent: User) -> int:
    """Assign many tickets at once; each gets its own 'assigned' event plus a note that it was a bulk change.

    All or none: one ticket ``assignee`` may not be given (``NotAssignable``) leaves them all as they were.
    """
    items = list(tickets)
    if assignee is not None:
        for ticket in items:
            _check_assignable(ticket, assignee)
    for ticket in items:
        ticket_actions.assign(ticket, assignee, agent=agent)
        _bulk_event(ticket, agent, "assign", len(items))
    return len(items)


class NotAssignable(ValueError):
    """The ticket cannot be given to that account: it is not an agent who works the ticket's queue."""


def _check_assignable(ticket: Ticket, assignee: User) -> None:
    if assignees.is_eligible(ticket, assignee):
        return
    if assignee.is_active and assignee.is_staff:
        # An agent restricted to other queues would be given a ticket they cannot open.
        raise NotAssignable(
            _("%(name)s cannot be given %(ticket)s: they work only their own queues, not %(queue)s.")
            % {"name": assignee.get_username(), "ticket": ticket.reference, "queue": ticket.queue}
        )
    raise NotAssignable(
        _("%(name)s cannot be given this ticket: only active agents work the %(queue)s queue.")
        % {"name": assignee.get_username(), "queue": ticket.queue}
    )


@transaction.atomic
def assign_ticket(ticket: Ticket, assignee: User | None, *, agent: User) -> bool:
    """An agent gives the ticket to an eligible colleague, to themself or to nobody; False if nothing changed.

    The ticket's row is locked first, so the "was" its History records is who really had it
    when two agents assign at once; giving it to whoever already has it records nothing.
    """
    if assignee is not None:
        _check_assignable(ticket, assignee)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return False
    ticket_actions.assign(locked, assignee, agent=agent)
    return True


def _recipient(ticket: Ticket, address: str) -> bool:
    """Whether the ticket's replies go to ``address``: its requester's, or one copied on it."""
    address = address.strip().lower()
    return address == ticket.requester_email.lower() or copies.is_copied(ticket, address)


@transaction.atomic
def email_again(ticket: Ticket, address: str, *, agent: User) -> bool:
    """Take ``address`` (the requester's, or one copied on the ticket) off the suppression list;
    whether it was on it.

    For an agent who learnt the mailbox works again (the customer said so on the phone,
    or fixed a full mailbox): the ticket's replies are emailed from now on. The History
    says who did it; replies not emailed meanwhile are not sent after the fact.
    """
    if not _recipient(ticket, address):
        return False
    address = address.strip().lower()
    lifted = suppressions.lift(address, why="an agent on the ticket page")
    if lifted:
        audit.record(ticket, "email.unsuppressed", user=agent, data={"address": address})
    return lifted


@transaction.atomic
def send_email_again(ticket: Ticket, email: OutboundEmail, *, agent: User) -> bool:
    """An email of the ticket that did not arrive goes once more, to an address the ticket's
    replies still go to; whether it could (the History says who)."""
    if not _recipient(ticket, email.to) or not notify_actions.send_again(email):
        return False
    audit.record(ticket, "email.sent_again", user=agent, data={"email": email.pk, "address": email.to})
    return True


@transaction.atomic
def bulk_status(tickets: Iterable[Ticket], status: str, *, agent: User) -> int:
    items = list(tickets)
    for ticket in items:
        ticket_actions.change_status(ticket, status, agent=agent, reason="bulk change")
        _bulk_event(ticket, agent, "status", len(items))
    return len(items)


@transaction.atomic
def bulk_round_robin(tickets: Iterable[Ticket], *, agent: User) -> int:
    """Hand each ticket to the next agent of its queue's rotation; tickets of a queue with none stay as they are."""
    done = 0
    items = list(tickets)
    for ticket in items:
        if assign_round_robin(ticket, agent=agent) is not None:
            _bulk_event(ticket, agent, "round_robin", len(items))
            done += 1
    return done


@transaction.atomic
def set_rotation_membership(queue: Queue, user: User, *, member: bool) -> None:
    """Join or leave ``queue``'s rotation; joining one's queues do not include is ``NotAssignable``."""
    if member and not working(queue.pk).filter(pk=user.pk).exists():
        raise NotAssignable(
            _("You cannot join the %(queue)s rotation: you work only your own queues.") % {"queue": queue}
        )
    rotation, _created = QueueRotation.objects.get_or_create(queue=queue)
    if member:
        rotation.members.add(user)
    else:
        rotation.members.remove(user)


def _take_turn(rotation: QueueRotation) -> User | None:
    """The rotation's next member (by id, after the last one given a ticket), who now has the turn.

    The caller holds the rotation row locked, so two arrivals cannot take the same turn.
    Inactive accounts, former staff and agents who said they are away are skipped; they
    keep their membership for when they return.
    """
    # Only who works the queue: an agent restricted to other queues since joining is passed over too.
    members = list(
        rotation.members.filter(away__isnull=True, pk__in=working(rotation.queue_id).values("pk")).order_by(
            "pk"
        )
    )
    if not members:
        return None
    last = rotation.last_assigned_id or 0
    chosen = next((m for m in members if m.pk > last), members[0])
    rotation.last_assigned = chosen
    rotation.save(update_fields=["last_assigned"])
    return chosen


@transaction.atomic
def assign_round_robin(ticket: Ticket, *, agent: User) -> User | None:
    """The queue's next agent in turn (by id, after the last one given a ticket) takes the ticket."""
    # Locked, so two agents distributing at once cannot hand out the same turn twice.
    rotation = QueueRotation.objects.select_for_update().filter(queue_id=ticket.queue_id).first()
    chosen = _take_turn(rotation) if rotation is not None else None
    if chosen is not None:
        ticket_actions.assign(ticket, chosen, agent=agent)
    return chosen


def assign_on_arrival(ticket: Ticket) -> User | None:
    """A new ticket decided into a queue that assigns automatically goes to the member whose turn it is.

    Registered with ``tickets.actions.on_arrival``; the assignment is audited with no actor
    (the desk did it) and a ``round_robin.arrival`` event.
    """
    # Checked before the savepoint: most arrivals (answered, held, waiting) end here, and
    # an empty SAVEPOINT/RELEASE pair cost every email two statements for nothing.
    if ticket.assignee_id is not None or ticket.status not in (Status.NEW, Status.OPEN):
        return None
    return _assign_in_turn(ticket)


@transaction.atomic
def _assign_in_turn(ticket: Ticket) -> User | None:
    # The rotation row is the queue's cursor: SELECT ... FOR UPDATE on PostgreSQL; on SQLite
    # the IMMEDIATE transaction already holds the one write lock (settings._SQLITE_OPTIONS).
    rotation = (
        QueueRotation.objects.select_for_update().filter(queue_id=ticket.queue_id, auto_assign=True).first()
    )
    chosen = _take_turn(rotation) if rotation is not None else None
    if chosen is None:
        return None
    ticket_actions.assign(ticket, chosen, agent=None)
    Event.objects.create(ticket=ticket, kind="round_robin.arrival", data={"queue": ticket.queue_id})
    return chosen


@transaction.atomic
def set_away(user: User, *, away: bool) -> None:
    """The agent leaves (or rejoins) every rotation's turns without leaving the rotations."""
    if away:
        Away.objects.get_or_create(user=user)
    else:
        Away.objects.filter(user=user).delete()


@transaction.atomic
def set_auto_assign(queue: Queue, *, enabled: bool) -> None:
    rotation, _ = QueueRotation.objects.get_or_create(queue=queue)
    rotation.auto_assign = enabled
    rotation.save(update_fields=["auto_assign"])


def save_macro(
    *,
    owner: User,
    title: str,
    body: str,
    shared: bool,
    pk: int | None = None,
    translations: Translations | None = None,
) -> Macro:
    """Create an agent's macro, or edit one they wrote.

    ``translations`` (``{"id": {"title": ..., "body": ...}}``) replaces the texts it names; an
    empty text removes that translation; None leaves them as they are. Raises TranslationError.
    """
    changes = checked(translations, Macro.TRANSLATED)
    if pk is not None:
        macro = Macro.objects.get(pk=pk, owner=owner)
        macro.title, macro.body, macro.shared = title, body, shared
        macro.translations = merged(macro.translations, changes)
        macro.save(update_fields=["title", "body", "shared", "translations"])
        return macro
    return Macro.objects.create(
        owner=owner, title=title, body=body, shared=shared, translations=merged({}, changes)
    )


def macro_audit_details(macro: Macro, *, edited: bool) -> dict[str, Any]:
    """What the audit log keeps of a saved macro, saved in the console or over the API alike."""
    return {
        "title": macro.title,
        "shared": macro.shared,
        "edited": edited,
        "languages": sorted(macro.translations),
    }


def delete_macro(owner: User, pk: int) -> bool:
    """Remove one of ``owner``'s macros; False when they wrote none with that id."""
    deleted, _by_model = Macro.objects.filter(owner=owner, pk=pk).delete()
    return deleted > 0


def touch_presence(ticket: Ticket, user: User, *, replying: bool) -> list[Presence]:
    """Record that ``user`` has the ticket open; return the other agents there within the TTL."""
    now = timezone.now()
    Presence.objects.update_or_create(
        ticket=ticket, user=user, defaults={"seen_at": now, "replying": replying}
    )
    # Old rows are cleared as a side effect here, so no job is needed to keep the table small.
    Presence.objects.filter(seen_at__lt=now - PRESENCE_TTL * 4).delete()
    return list(
        Presence.objects.filter(ticket=ticket, seen_at__gte=now - PRESENCE_TTL)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__username")
    )
