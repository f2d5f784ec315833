"""Agents and status-page incidents: which tickets each incident holds, and linking by hand (M2)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console.views import agent_required
from capdesk.status.queries import open_incidents
from capdesk.tickets.incidents import link_incident, unlink_incident
from capdesk.tickets.models import OPEN_STATUSES
from capdesk.tickets.scoping import agent_tickets, get_ticket_for_agent


@agent_required
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = open_incidents()
    linked = agent_tickets(request.user).filter(incident__in=[i.public_id for i in incidents])
    by_incident: dict[str, list[object]] = {i.public_id: [] for i in incidents}
    for ticket in linked.order_by("created_at"):
        by_incident[ticket.incident].append(ticket)
    rows = [(i, by_incident[i.public_id]) for i in incidents]
    return render(request, "console/incidents.html", {"rows": rows, "open_statuses": OPEN_STATUSES})


@agent_required
@require_POST
def ticket_link_incident(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    assert isinstance(request.user, User)
    public_id = request.POST.get("incident", "")
    if public_id:
        if public_id not in {i.public_id for i in open_incidents()}:
            messages.error(request, _("That incident is not open."))
        else:
            link_incident(ticket, public_id, agent=request.user)
    else:
        unlink_incident(ticket, agent=request.user)
    return redirect("console:ticket", reference=ticket.reference)
