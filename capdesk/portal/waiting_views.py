"""Emails waiting for the customer's confirmation (E3): held requests and replies sent in their
name from one of their registered addresses, to confirm ("I sent this") or reject.

Signing in proves the address as its link would (a magic link to it, or the dashboard), so
the portal confirms through the link's own ``confirmation.confirm`` (``intake.waiting``).
The page shows the subject, time and the start of the text marked as unconfirmed, never
the body as the customer's own words nor its files: they may be a forger's
(``tickets.scoping.shown_to_customers``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from capdesk.directory.models import Person
from capdesk.intake import waiting
from capdesk.portal.views import customer_required

# The newest this many: a flood of forged mail must not make one page read every email.
PAGE_SIZE = 50


@customer_required
@require_GET
def waiting_list(request: HttpRequest, person: Person) -> HttpResponse:
    mine = waiting.waiting_for(person)
    items = waiting.listed(mine, PAGE_SIZE)
    total = len(items) if len(items) < PAGE_SIZE else mine.count()
    return render(request, "portal/waiting.html", {"person": person, "items": items, "total": total})


@customer_required
@require_POST
def waiting_confirm(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    confirmed = waiting.confirm_waiting(person, pk)
    if confirmed is None:
        messages.error(request, _("That email no longer waits for your confirmation."))
        return redirect("portal:waiting")
    if confirmed.reply:
        messages.success(request, _("Confirmed: your message was added to your request."))
    else:
        messages.success(request, _("Confirmed: your request is being processed."))
    return redirect("portal:request_detail", reference=confirmed.ticket.reference)


@customer_required
@require_POST
def waiting_reject(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    if waiting.reject_waiting(person, pk):
        messages.success(request, _("Thank you: we set it aside as not sent by you, and nobody acts on it."))
    else:
        messages.error(request, _("That email no longer waits for your confirmation."))
    return redirect("portal:waiting")
