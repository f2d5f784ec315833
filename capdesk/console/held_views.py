"""Held replies (E3): replies in a registered customer's name that did not prove their sender.

Nobody acts on them until the registered address confirms by its link; an agent who
reached the customer another way may publish one, and one that is forged or unwanted
may be discarded. Thin views over ``intake.confirmation``; the list is the console's
equivalent of a suspended-mail view, so a held reply whose link expired is not forgotten.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from capdesk.console.forms import HeldReplyForm
from capdesk.console.views import _agent, agent_required
from capdesk.intake import confirmation, waiting
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import agent_messages, get_ticket_for_agent

# The list is a work queue, not an archive: this many, oldest first.
LIST_SIZE = 200


@agent_required
def held_list(request: HttpRequest) -> HttpResponse:
    """Every held reply on a ticket the agent may see, oldest first, with its link's state."""
    return render(
        request,
        "console/held_replies.html",
        {"held": confirmation.held_replies(agent_messages(request.user), LIST_SIZE)},
    )


def _posted(request: HttpRequest, reference: str) -> tuple[Ticket, HeldReplyForm, str]:
    """The ticket the agent may see (else 404), the posted form and its reason.

    A held reply is settled where it lives now: on the ticket this one was merged into,
    which the agent must be able to see too (an agent restricted to queues may not).
    """
    ticket = get_ticket_for_agent(request.user, reference)
    survivor = ticket.surviving()
    if survivor.pk != ticket.pk:
        get_ticket_for_agent(request.user, survivor.reference)
    form = HeldReplyForm(request.POST)
    return ticket, form, form.cleaned_data["reason"] if form.is_valid() else ""


def _back(form: HeldReplyForm, reference: str) -> HttpResponse:
    if form.is_valid() and form.cleaned_data.get("back") == "held":
        return redirect("console:held_replies")
    return redirect("console:ticket", reference=reference)


@agent_required
@require_POST
def held_release(request: HttpRequest, reference: str, message_id: int) -> HttpResponse:
    ticket, form, reason = _posted(request, reference)
    released = confirmation.release_held_reply(ticket, message_id, agent=_agent(request), reason=reason)
    survivor = ticket.surviving()  # merged since the page was loaded: the ticket it lives on now
    if released is None:
        messages.error(request, _("That reply is no longer held on %(ref)s.") % {"ref": survivor.reference})
    else:
        messages.success(
            request,
            _("The held reply was published on %(ref)s as the customer's.") % {"ref": survivor.reference},
        )
    return _back(form, survivor.reference)


@agent_required
@require_POST
def held_discard(request: HttpRequest, reference: str, message_id: int) -> HttpResponse:
    ticket, form, reason = _posted(request, reference)
    discarded = confirmation.discard_held_reply(ticket, message_id, agent=_agent(request), reason=reason)
    survivor = ticket.surviving()  # merged since the page was loaded: the ticket it lives on now
    if discarded:
        messages.success(
            request,
            _("The held reply was discarded from %(ref)s; the email stays in the intake log.")
            % {"ref": survivor.reference},
        )
    else:
        messages.error(request, _("That reply is no longer held on %(ref)s.") % {"ref": survivor.reference})
    return _back(form, survivor.reference)


# Why "Email the confirmation link again" sent nothing (waiting.Again.refused).
_NOT_AGAIN = {
    "suppressed": gettext_lazy(
        "The link was not emailed: %(to)s is on the suppression list. If the customer says the "
        "mailbox works, take it off with “Email this address again” first."
    ),
    "recent": gettext_lazy(
        "A link was emailed to %(to)s less than a minute ago and is on its way; another now "
        "would only retire it."
    ),
}


@agent_required
@require_POST
def confirmation_again(request: HttpRequest, reference: str) -> HttpResponse:
    """Email a held request's registered address its confirmation link again: the agent's choice
    (the customer asked for it, or the limit withheld it), so no automatic reply."""
    ticket = get_ticket_for_agent(request.user, reference)
    again = waiting.email_link_again(ticket, agent=_agent(request))
    if again.sent:
        messages.success(
            request,
            _("The confirmation link was emailed again to %(to)s; the link emailed before stops working.")
            % {"to": again.address},
        )
    elif again.refused in _NOT_AGAIN:
        messages.error(request, _NOT_AGAIN[again.refused] % {"to": again.address})
    else:
        messages.error(request, _("Nothing on this ticket waits for its sender's confirmation any more."))
    return redirect("console:ticket", reference=ticket.reference)
