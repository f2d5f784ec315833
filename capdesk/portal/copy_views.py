"""Customers copy colleagues on their requests, and stop being copied (``tickets.copies``).

The requester, and an admin of the request's organization, manage who is copied; someone
who only sees the request because they are copied may take themselves off it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.directory.models import EmailAddress, Person, normalise_email
from capdesk.portal.views import customer_required
from capdesk.tickets import copies
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import get_ticket_for_customer, manages_copies


@customer_required
@require_POST
def request_copy(request: HttpRequest, person: Person, reference: str) -> HttpResponse:
    ticket = get_ticket_for_customer(person, reference)
    if not manages_copies(person, ticket):
        raise PermissionDenied(
            "Only the requester or an admin of the organization copies people on a request."
        )
    typed = request.POST.get("email", "")[:2000]
    try:
        added = copies.add(ticket, copies.split_typed(typed), how="portal", person=person)
    except copies.CopyRefused as exc:
        messages.error(request, str(exc))
    else:
        if len(added) > 1:
            messages.success(request, _("Copied on this request: %(emails)s.") % {"emails": ", ".join(added)})
        elif added:
            messages.success(request, _("%(email)s is copied on this request.") % {"email": added[0]})
        else:
            messages.info(request, _("That address was copied already."))
    return _back(ticket)


@customer_required
@require_POST
def request_uncopy(request: HttpRequest, person: Person, reference: str) -> HttpResponse:
    ticket = get_ticket_for_customer(person, reference)
    address = normalise_email(request.POST.get("email", "")[:254])
    manages = manages_copies(person, ticket)
    if not manages and not EmailAddress.objects.filter(person=person, email=address).exists():
        raise PermissionDenied("A copied person may only take their own address off a request.")
    removed = copies.remove(ticket, address, person=person)
    if manages:
        if removed:
            messages.success(
                request, _("%(email)s is no longer copied on this request.") % {"email": address}
            )
        else:
            messages.info(request, _("That address was not copied."))
        return _back(ticket)
    # Their own address is off it: the request is no longer theirs to see.
    if removed:
        messages.success(request, _("You are no longer copied on %(ref)s.") % {"ref": ticket.reference})
    return redirect("portal:requests")


def _back(ticket: Ticket) -> HttpResponseRedirect:
    """To the request's list of copied people, where the form was."""
    return HttpResponseRedirect(reverse("portal:request_detail", args=[ticket.reference]) + "#copied")
