"""Merging and splitting tickets from the ticket page: thin views over tickets.merging and tickets.splitting."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console.forms import MergeForm, SplitForm
from capdesk.console.views import _agent, agent_required
from capdesk.tickets import copies, merging, splitting
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import agent_tickets, get_ticket_for_agent


@agent_required
@require_POST
def ticket_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """First post: show both subjects to confirm. Second post (``confirm``): merge."""
    source = get_ticket_for_agent(request.user, reference)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reference of the ticket to merge into, like CAP-1042."))
        return redirect("console:ticket", reference=source.reference)
    pk = Ticket.pk_from_reference(form.cleaned_data["into"])
    target = agent_tickets(request.user).filter(pk=pk or 0).first()
    if target is None:
        messages.error(request, _("There is no ticket %(ref)s.") % {"ref": form.cleaned_data["into"]})
        return redirect("console:ticket", reference=source.reference)
    try:
        merging.check_merge(source, target)
        if not form.cleaned_data["confirm"]:
            # The target's own requester needs no copy of the conversation they own.
            copied = [a for a in copies.addresses(source) if a != target.requester_email.lower()]
            context = {"source": source, "target": target, "copied": copied}
            return render(request, "console/merge_confirm.html", context)
        moved = merging.merge_tickets(
            source, target, agent=_agent(request), notify_requester=form.cleaned_data["notify"]
        )
    except merging.MergeRefused as exc:
        messages.error(request, str(exc))
        return redirect("console:ticket", reference=source.reference)
    messages.success(
        request,
        _("%(source)s was merged into %(target)s (%(count)s messages moved).")
        % {"source": source.reference, "target": target.reference, "count": moved},
    )
    return redirect("console:ticket", reference=target.reference)


@agent_required
@require_POST
def ticket_split(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a customer message to split out."))
        return redirect("console:ticket", reference=ticket.reference)
    message = ticket.messages.filter(pk=form.cleaned_data["message"]).first()
    if message is None:
        messages.error(request, _("That message is not on this ticket."))
        return redirect("console:ticket", reference=ticket.reference)
    try:
        new = splitting.split_ticket(
            ticket,
            message,
            agent=_agent(request),
            following=form.cleaned_data["following"],
            subject=form.cleaned_data["subject"],
        )
    except splitting.SplitRefused as exc:
        messages.error(request, str(exc))
        return redirect("console:ticket", reference=ticket.reference)
    if not agent_tickets(request.user).filter(pk=new.pk).exists():
        # Decided into a queue this agent does not work (they are restricted to others).
        messages.success(
            request,
            _("Split out as %(new)s, which went to the %(queue)s queue.")
            % {"new": new.reference, "queue": new.queue.name},
        )
        return redirect("console:ticket", reference=ticket.reference)
    messages.success(request, _("Split out of %(source)s as a new ticket.") % {"source": ticket.reference})
    return redirect("console:ticket", reference=new.reference)
