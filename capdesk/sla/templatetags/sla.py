"""SLA template tags for the console's ticket page.

``{% sla_clocks ticket %}``: a ticket's SLA clocks (issue 5, point 6).
``{{ text|sla_target }}``: a target as the policy file words it, in the reader's language.
``{% sla_credit_link ticket %}``: on a billing ticket from a paying Enterprise organization,
that organization's uptime credit figure for the month before the ticket (a claim comes
within 30 days of a month's end: CAPGO.md), linked to the credits page (point 8).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from capdesk.sla.credit_data import enterprise_billing_ticket, month_credits
from capdesk.sla.credits import last_month
from capdesk.sla.display import summarize, target_words
from capdesk.sla.models import Clock
from capdesk.tickets.models import Ticket

register = template.Library()


@register.filter
def sla_target(text: str) -> str:
    """``{{ target.text|sla_target }}``: "2 business hours" in the reader's language."""
    return target_words(text)


@register.inclusion_tag("sla/clocks.html")
def sla_clocks(ticket: Ticket) -> dict[str, Any]:
    now = timezone.now()
    clocks = Clock.objects.filter(ticket=ticket).order_by("started_at", "id")
    return {"clocks": [summarize(c, now) for c in clocks]}


@register.inclusion_tag("sla/credit_link.html")
def sla_credit_link(ticket: Ticket) -> dict[str, Any]:
    org = ticket.organization
    if org is None or not enterprise_billing_ticket(ticket.scope, org):
        return {"show": False}
    month = last_month(ticket.created_at.strftime("%Y-%m"))
    figures = month_credits(month, timezone.now(), organization_id=org.pk)
    row = figures.organizations[0] if figures.organizations else None
    return {
        "show": True,
        "organization": org,
        "month": month,
        "current_month": ticket.created_at.strftime("%Y-%m"),
        "row": row,
        "incidents": len(figures.causes),
    }
