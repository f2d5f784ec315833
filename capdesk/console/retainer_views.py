"""Agents book the time they spend on retainer-covered tickets (R1)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from capdesk.console.views import agent_required
from capdesk.tickets.retainer import NotCovered, book_time
from capdesk.tickets.scoping import get_ticket_for_agent


class BookingForm(forms.Form):
    minutes = forms.IntegerField(label=gettext_lazy("Minutes spent"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


@agent_required
@require_POST
def ticket_book_time(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    assert isinstance(request.user, User)
    form = BookingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the minutes spent (1 to 1440)."))
        return redirect("console:ticket", reference=ticket.reference)
    try:
        booking = book_time(
            ticket, agent=request.user, minutes=form.cleaned_data["minutes"], note=form.cleaned_data["note"]
        )
    except NotCovered as exc:
        messages.error(request, str(exc))
        return redirect("console:ticket", reference=ticket.reference)
    if booking.overage_minutes:
        messages.warning(
            request,
            _("Booked; %(m)s min are beyond this month's hours (EUR %(eur)s).")
            % {"m": booking.overage_minutes, "eur": booking.overage_eur},
        )
    else:
        messages.success(request, _("Booked %(m)s min against the retainer.") % {"m": booking.minutes})
    return redirect("console:ticket", reference=ticket.reference)
