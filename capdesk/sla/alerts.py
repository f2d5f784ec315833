"""Tell people a target is about to be missed, or was: the assignee and the queue, by email via the outbox.

Queue addresses come from ``CAPDESK_SLA_ALERT_TO`` (``queue-slug=address`` pairs; an
address without a slug hears about every queue), because who watches a queue is a
deployment's business, not the policy's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from capdesk.notify.actions import queue_email

if TYPE_CHECKING:
    from capdesk.sla.models import Clock

WARNING = "warning"
BREACH = "breach"


def queue_addresses(queue_slug: str) -> list[str]:
    addresses = []
    for item in settings.CAPDESK_SLA_ALERT_TO:
        slug, sep, address = item.partition("=")
        if not sep:
            addresses.append(slug.strip())
        elif slug.strip() in (queue_slug, "*"):
            addresses.append(address.strip())
    return [a for a in addresses if a]


def recipients(clock: Clock) -> list[str]:
    ticket = clock.ticket
    found = []
    assignee_email = getattr(ticket.assignee, "email", "") if ticket.assignee_id else ""
    if assignee_email:
        found.append(assignee_email)
    found.extend(queue_addresses(ticket.queue.slug))
    return list(dict.fromkeys(a.lower() for a in found))  # once each, in order


def send(clock: Clock, kind: str) -> int:
    """Queue one alert email per recipient, in the caller's transaction. Returns how many."""
    context = {
        "clock": clock,
        "ticket": clock.ticket,
        "metric": clock.metric.replace("_", " "),
        "console_url": settings.BASE_URL + reverse("console:ticket", args=[clock.ticket.reference]),
    }
    subject = render_to_string(f"sla/email/{kind}_subject.txt", context).strip()
    body = render_to_string(f"sla/email/{kind}.txt", context)
    to = recipients(clock)
    for address in to:
        queue_email(
            to=address,
            subject=subject,
            body_text=body,
            kind=f"sla_{kind}",
            ticket_id=clock.ticket_id,
            headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: not to be answered by robots
        )
    return len(to)
