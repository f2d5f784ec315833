"""The fragments htmx asks for: the same views answer with a part of the page instead of a redirect.

A request with ``HX-Request`` gets a fragment; any other (no JavaScript, or htmx
restoring history, which needs the whole page) gets the page as before. The fragments'
templates are in ``templates/console/partials/``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

from capdesk.console import assignees
from capdesk.console import history as history_lines
from capdesk.console.forms import AssignForm, SeverityForm, StatusForm
from capdesk.directory.models import RoleBinding
from capdesk.directory.queries import is_developer_or_higher
from capdesk.notify.models import OutboundEmail
from capdesk.tickets.models import Message, Ticket
from capdesk.tickets.reply_address import copied_message_pk


def is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """The same URL answers a page or a fragment: caches must keep them apart."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def requester_role(ticket: Ticket) -> tuple[str | None, bool | None]:
    """The requester's roles in the ticket's organization, and whether they are Developer or higher (E4)."""
    if not (ticket.requester_id and ticket.organization_id):
        return None, None
    bindings = RoleBinding.objects.filter(
        person_id=ticket.requester_id, organization_id=ticket.organization_id
    )
    role = ", ".join(sorted(b.role for b in bindings)) or None
    developer = None
    if ticket.project and ticket.requester:
        developer = is_developer_or_higher(ticket.requester, ticket.project)
    return role, developer


def facts_context(ticket: Ticket) -> dict[str, object]:
    """What the side panel's facts and its assign, status and severity forms show, and the history."""
    role, developer = requester_role(ticket)
    return {
        "ticket": ticket,
        # The History list is drawn again with the panel: the change just made is its last line.
        "events": history(ticket),
        "role": role,
        "developer": developer,
        # Drawn with the panel, so after a change by htmx they show the ticket as it now is.
        "status_form": StatusForm(initial={"status": ticket.status}),
        "severity_form": SeverityForm(initial={"severity": ticket.severity}),
        "assign_form": AssignForm(
            initial={"assignee": ticket.assignee_id or ""}, candidates=assignees.candidates(ticket)
        ),
    }


def history(ticket: Ticket) -> list[history_lines.Line]:
    """The History as sentences (console.history), oldest first."""
    return history_lines.lines(ticket.events.select_related("actor_user", "actor_person"))


def facts(request: HttpRequest, ticket: Ticket, *, error: str = "") -> HttpResponse:
    """The side panel's facts and SLA clocks after an assignment or a status or severity change, and the history."""
    ticket = _fresh(ticket)
    context = {**facts_context(ticket), "facts_error": error}
    return render(request, "console/partials/facts_changed.html", context)


def emails_of(ticket: Ticket) -> QuerySet[OutboundEmail]:
    """The emails sent about the ticket's messages.

    They stay on the ticket they were sent from: a merge or a split moves the messages,
    not the emails, so the tickets merged into this one and the one it was split from count.
    """
    sent_from = Q(ticket=ticket) | Q(ticket__merged_into=ticket)
    if ticket.split_from_id is not None:
        sent_from |= Q(ticket_id=ticket.split_from_id)
    return OutboundEmail.objects.filter(sent_from)


def with_deliveries(ticket: Ticket, messages: Iterable[Message]) -> list[Message]:
    """The conversation, each message the desk emailed carrying its emails as ``deliveries``.

    An agent's or a standard reply records the Message-ID its email to the requester went out
    with; a copied person's email has an id naming the message (``copy_message_id``). The
    emails (``emails_of``) are read in one query and matched by them, the requester's first.
    """
    conversation = list(messages)
    ours = {
        m.message_id: m for m in conversation if m.message_id and m.author_kind != Message.Author.CUSTOMER
    }
    by_pk: dict[int, list[OutboundEmail]] = {}
    if ours:
        for email in (
            emails_of(ticket)
            .order_by("pk")
            .only("to", "state", "headers", "sent_at", "bounced_at", "bounce", "last_error")
        ):
            header = str(email.headers.get("Message-ID", ""))
            pk = ours[header].pk if header in ours else copied_message_pk(header)
            if pk is not None:
                by_pk.setdefault(pk, []).append(email)
    for message in ours.values():
        message.deliveries = by_pk.get(message.pk, [])  # type: ignore[attr-defined]
    return conversation


def reply_posted(request: HttpRequest, ticket: Ticket, message: Message, *, flash: str) -> HttpResponse:
    """The new message, appended to the conversation, the side panel (the status moved) and ``flash``."""
    (message,) = with_deliveries(
        ticket,
        Message.objects.select_related("author_person", "author_user")
        .prefetch_related("attachments")
        .filter(pk=message.pk),
    )
    context = {**facts_context(_fresh(ticket)), "m": message, "oob": True, "flash": flash}
    return render(request, "console/partials/reply_posted.html", context)


def reply_error(text: str, *, confirm: str = "") -> HttpResponse:
    """Shown above the reply box; the conversation is left as it is. With ``confirm``, a box
    the agent ticks to send the reply as it is anyway (it lands inside the reply form)."""
    # The page draws the same partial when the reply was posted without the script.
    html = render_to_string(
        "console/partials/reply_error.html", {"reply_error": text, "reply_confirm": confirm}
    )
    response = HttpResponse(html)
    response["HX-Retarget"] = "#reply-errors"
    response["HX-Reswap"] = "innerHTML"
    return response


def _fresh(ticket: Ticket) -> Ticket:
    """The ticket with what the facts show in one query (the action changed the row under us)."""
    return Ticket.objects.select_related("organization", "project", "requester", "assignee", "queue").get(
        pk=ticket.pk
    )
