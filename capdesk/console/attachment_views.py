"""Agents download the files customers sent, internal notes' files included."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from capdesk.console.views import agent_required
from capdesk.tickets.downloads import file_response, find_attachment, needs_confirmation
from capdesk.tickets.scoping import get_ticket_for_agent


@agent_required
def ticket_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponseBase:
    ticket = get_ticket_for_agent(request.user, reference)
    attachment = find_attachment(ticket, attachment_id, internal_allowed=True)
    if needs_confirmation(request, attachment):
        return render(
            request, "console/attachment_confirm.html", {"ticket": ticket, "attachment": attachment}
        )
    return file_response(attachment)
