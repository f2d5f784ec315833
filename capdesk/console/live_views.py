"""What the ticket page polls: which other agents have the ticket open, and who is replying."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from capdesk.console import actions
from capdesk.console.views import _agent, agent_required
from capdesk.tickets.scoping import get_ticket_for_agent


@agent_required
@require_POST
def presence(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    others = actions.touch_presence(ticket, _agent(request), replying=request.POST.get("replying") == "1")
    return JsonResponse(
        {
            "others": [{"name": p.user.get_username(), "replying": p.replying} for p in others],
            "poll_seconds": int(actions.PRESENCE_TTL.total_seconds() // 3),
        }
    )
