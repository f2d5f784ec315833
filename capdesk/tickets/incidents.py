"""Tickets and status-page incidents (M2): linked on referral, told and solved on resolution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from capdesk.core import appends
from capdesk.notify.actions import new_message_id
from capdesk.tickets import audit
from capdesk.tickets.actions import add_system_message, change_status, notify_customer
from capdesk.tickets.models import OPEN_STATUSES, Event, Message, Status, Ticket


@transaction.atomic
def link_incident(ticket: Ticket, public_id: str, *, agent: User | None = None) -> None:
    if ticket.incident == public_id:
        return
    previous = ticket.incident
    ticket.incident = public_id
    ticket.save(update_fields=["incident"])
    audit.record(ticket, "incident.linked", user=agent, data={"incident": public_id, "previous": previous})


@transaction.atomic
def unlink_incident(ticket: Ticket, *, agent: User) -> None:
    if not ticket.incident:
        return
    Event.objects.create(
        ticket=ticket, kind="incident.unlinked", actor_user=agent, data={"incident": ticket.incident}
    )
    ticket.incident = ""
    ticket.save(update_fields=["incident"])


def _raised_something_else(ticket: Ticket) -> bool:
    """The customer wrote after the ticket was linked: a person should read it, not the incident's end."""
    linked = ticket.events.filter(kind="incident.linked").order_by("-created_at").first()
    since = linked.created_at if linked else ticket.created_at
    # A held reply (E3) is not the customer writing until they confirm it.
    return ticket.messages.filter(
        author_kind=Message.Author.CUSTOMER, held=False, created_at__gt=since
    ).exists()


def on_incident_resolved(
    sender: Any,
    *,
    public_id: str,
    name: str,
    url: str,
    names: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> None:
    """Every linked requester, and who is copied, is told; the tickets are solved unless the customer raised something else.

    ``names`` is the incident's name in other languages: a ticket written in one of them
    quotes it in that language.
    """
    for ticket in Ticket.objects.filter(incident=public_id, status__in=OPEN_STATUSES).select_related(
        "requester"
    ):
        if _raised_something_else(ticket):
            note = f"The linked incident “{name}” is resolved; the customer wrote since, so this stays open."
            add_system_message(ticket, note, public=False)
            Event.objects.create(
                ticket=ticket, kind="incident.resolved", data={"incident": public_id, "solved": False}
            )
            continue
        language = ticket.mail_language
        shown = (names or {}).get(language) or name
        # The message kept on the ticket is read in the portal and the console, where "reply
        # to this email", the link to the page itself and the signature are out of place.
        context = {"ticket": ticket, "name": shown, "url": url, "stored": True}
        with translation.override(language):
            body = render_to_string("tickets/email/incident_resolved.txt", context)
        emailed = bool(ticket.requester_email)
        # Inserted at once (not with a write batch): each copied person's Message-ID names its pk.
        with appends.batched(defer=False):
            notice = add_system_message(
                ticket, body, public=True, message_id=new_message_id() if emailed else "", to_copied=True
            )
        if emailed:
            # As an agent's public reply: the requester and each person copied, one email each.
            notify_customer(
                ticket,
                "incident_resolved",
                notice,
                context={"name": shown, "url": url},
                headers={"Auto-Submitted": "auto-generated"},
            )
        # Solved as any status change is: the clocks end (no breach once the incident is over)
        # and the one incident.resolved row, with both ends, is announced as ticket.solved.
        change_status(
            ticket,
            Status.SOLVED,
            agent=None,
            kind="incident.resolved",
            data={"incident": public_id, "solved": True},
        )
