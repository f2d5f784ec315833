"""Tell people a target is about to be missed, or was: the assignee and the queue, by email via the outbox.

Queue addresses come from ``CAPDESK_SLA_ALERT_TO`` (``queue-slug=address`` pairs; an
address without a slug hears about every queue), because who watches a queue is a
deployment's business, not the policy's.

Escalation on breach (issue 5, point 5), decided as: a breach is not answered by
raising the ticket's severity (that would shorten its target and misstate the
customer's problem); instead the sweep records an ``sla.breached`` event on the ticket,
dated when the target was missed, and the breach email also goes to the queue's
escalation addresses (``CAPDESK_SLA_ESCALATE_TO``, same format). The queue's watchers
hear about every warning and breach, so a ticket nobody is assigned to still reaches
people. Warnings and breaches are also posted to the team chat (``capdesk.sla.chat``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

from capdesk.notify.actions import queue_email, render_email
from capdesk.sla import chat

if TYPE_CHECKING:
    from capdesk.sla.models import Clock

WARNING = "warning"
BREACH = "breach"


def queue_addresses(queue_slug: str, pairs: list[str] | None = None) -> list[str]:
    addresses = []
    for item in settings.CAPDESK_SLA_ALERT_TO if pairs is None else pairs:
        slug, sep, address = item.partition("=")
        if not sep:
            addresses.append(slug.strip())
        elif slug.strip() in (queue_slug, "*"):
            addresses.append(address.strip())
    return [a for a in addresses if a]


def recipients(clock: Clock, kind: str = WARNING) -> list[str]:
    ticket = clock.ticket
    found = []
    assignee_email = getattr(ticket.assignee, "email", "") if ticket.assignee_id else ""
    if assignee_email:
        found.append(assignee_email)
    found.extend(queue_addresses(ticket.queue.slug))
    if kind == BREACH:
        found.extend(queue_addresses(ticket.queue.slug, settings.CAPDESK_SLA_ESCALATE_TO))
    return list(dict.fromkeys(a.lower() for a in found))  # once each, in order


def send(clock: Clock, kind: str) -> int:
    """Queue one alert email per recipient and the chat post, in the caller's transaction. Returns how many emails."""
    context = {
        "clock": clock,
        "ticket": clock.ticket,
        "metric": clock.metric.replace("_", " "),
        "console_url": settings.BASE_URL + reverse("console:ticket", args=[clock.ticket.reference]),
    }
    subject, body = render_email(f"sla/email/{kind}", context)
    to = recipients(clock, kind)
    for address in to:
        queue_email(
            to=address,
            subject=subject,
            body_text=body,
            kind=f"sla_{kind}",
            ticket_id=clock.ticket_id,
            headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: not to be answered by robots
        )
    chat.queue_chat_alert(clock, kind)
    return len(to)
