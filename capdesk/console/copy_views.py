"""Agents copy people on a ticket, and stop copying them (``tickets.copies``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console.views import agent_required
from capdesk.tickets import copies
from capdesk.tickets.scoping import get_ticket_for_agent


@agent_required
@require_POST
def ticket_copy(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    assert isinstance(request.user, User)
    typed = request.POST.get("email", "")[:2000]
    try:
        added = copies.add(ticket, copies.split_typed(typed), how="agent", user=request.user)
    except copies.CopyRefused as exc:
        messages.error(request, str(exc))
    else:
        if len(added) > 1:
            messages.success(request, _("Copied on the ticket: %(emails)s.") % {"emails": ", ".join(added)})
        elif added:
            messages.success(request, _("%(email)s is copied on the ticket.") % {"email": added[0]})
        else:
            messages.info(request, _("That address was copied already."))
    return HttpResponseRedirect(reverse("console:ticket", args=[ticket.reference]) + "#copied")


@agent_required
@require_POST
def ticket_uncopy(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    assert isinstance(request.user, User)
    address = request.POST.get("email", "")[:254]
    if copies.remove(ticket, address, user=request.user):
        messages.success(
            request, _("%(email)s is no longer copied on the ticket.") % {"email": address.lower()}
        )
    else:  # removed meanwhile, by a colleague or by the person
        messages.info(request, _("That address was not copied."))
    return HttpResponseRedirect(reverse("console:ticket", args=[ticket.reference]) + "#copied")
