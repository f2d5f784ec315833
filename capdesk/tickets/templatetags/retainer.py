"""``{% retainer_panel ticket %}``: the Premium Support retainer's month for a covered ticket."""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token

from capdesk.tickets.models import Ticket
from capdesk.tickets.retainer import is_covered, month_use

register = template.Library()


@register.inclusion_tag("tickets/retainer_panel.html", takes_context=True)
def retainer_panel(context: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    if not is_covered(ticket) or ticket.organization is None:
        return {"covered": False}
    request = context.get("request")
    return {
        "covered": True,
        "ticket": ticket,
        "use": month_use(ticket.organization),
        "bookings": ticket.retainer_bookings.select_related("agent"),
        "csrf_token": get_token(request) if request is not None else "",
    }
