"""``{% sla_clocks ticket %}``: a ticket's SLA clocks as the console shows them (issue 5, point 6)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from capdesk.sla.display import summarize
from capdesk.sla.models import Clock
from capdesk.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("sla/clocks.html")
def sla_clocks(ticket: Ticket) -> dict[str, Any]:
    now = timezone.now()
    clocks = Clock.objects.filter(ticket=ticket).order_by("started_at", "id")
    return {"clocks": [summarize(c, now) for c in clocks]}
