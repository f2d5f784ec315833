"""Agents download the files customers sent, internal notes' files included."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from capdesk.console.views import agent_required
from capdesk.tickets.downloads import attachment_response
from capdesk.tickets.scoping import get_ticket_for_agent


@agent_required
def ticket_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponseBase:
    ticket = get_ticket_for_agent(request.user, reference)
    return attachment_response(ticket, attachment_id, internal_allowed=True)
