"""Tickets over the API: list, read, file (through intake), reply as an agent, change status,
settle a held reply, copy people on a ticket.

A ticket is filed exactly as the portal files one: ``intake.receive`` stores the raw
request first (durable), then the same handler and the same policy decision run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from capdesk.api import schemas as s
from capdesk.api.auth import (
    caller,
    get_ticket,
    is_staff_token,
    owner_user,
    person_for_account,
    reader,
    require,
    visible_tickets,
)
from capdesk.api.errors import ApiError, forbidden, not_found
from capdesk.api.idempotency import run_once
from capdesk.api.models import ApiToken, Scope
from capdesk.api.pagination import MAX_LIMIT, paginate
from capdesk.console import macros
from capdesk.directory.models import EmailAddress, normalise_email
from capdesk.intake import actions as intake
from capdesk.intake import confirmation
from capdesk.intake.web_channel import encode_payload
from capdesk.tickets import actions, copies
from capdesk.tickets.models import Decision, Message, Ticket
from capdesk.tickets.scoping import conversation_for, manages_copies, with_managed

router = Router(tags=["tickets"])

ERRORS: dict[int, type[Schema]] = {
    401: s.Error,
    403: s.Error,
    404: s.Error,
    409: s.Error,
    422: s.Error,
    429: s.Error,
}
# Operations that read a JSON body also answer 400 when the body is not JSON at all.
BODY_ERRORS: dict[int, type[Schema]] = {400: s.Error, **ERRORS}


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    # A customer who sees it only because they are copied (``managed`` False, set by
    # ``scoping.with_managed``) is not told the policy's verdict on the requester, nor the
    # requester's account: as the desk's replies to the requester, those are the requester's.
    if not getattr(ticket, "managed", True):
        return {**_ticket_fields(ticket), "scope": "", "outcome": "", "requester": None}
    return _ticket_fields(ticket)


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "severity": ticket.severity,
        "channel": ticket.channel,
        "scope": ticket.scope,
        "outcome": ticket.outcome,
        "queue": ticket.queue.slug,
        "language": ticket.language,
        "organization": str(ticket.organization.capgo_id) if ticket.organization else None,
        "project": ticket.project.app_id if ticket.project else None,
        "requester": str(ticket.requester.capgo_id) if ticket.requester else None,
        "requester_email": ticket.requester_email,
        "requester_name": ticket.requester_name,
        # Prefetched by the lists; one query for a single ticket.
        "copied": [c.email for c in ticket.copied.all()],
        "follow_up_of": Ticket.reference_of(ticket.follow_up_of_id) if ticket.follow_up_of_id else None,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "next_deadline": ticket.next_deadline.isoformat() if ticket.next_deadline else None,
    }


def message_out(message: Message) -> dict[str, Any]:
    if message.author_kind == Message.Author.AGENT and message.author_user is not None:
        author = message.author_user.get_username()
    elif message.author_kind == Message.Author.SYSTEM:
        author = "Capdesk"
    else:
        author = message.author_person.name if message.author_person else message.author_email
    return {
        "id": message.pk,
        "ticket": Ticket.reference_of(message.ticket_id),
        "author_kind": message.author_kind,
        "author": author,
        "public": message.public,
        "held": message.held,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in message.attachments.all()
        ],
    }


def decision_out(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "outcome": decision.outcome,
        "scope": decision.scope,
        "group": decision.group,
        "confidence": decision.confidence,
        "severity": decision.severity,
        "queue": decision.queue,
        "reply": decision.reply,
        "clauses": list(decision.clauses),
        "explanation": list(decision.explanation),
        "identity": decision.identity,
        "overrides": decision.overrides_id,
        "decided_by": decision.decided_by.get_username() if decision.decided_by else None,
        "reason": decision.reason,
        "created_at": decision.created_at.isoformat(),
    }


class TicketFilters(Schema):
    account_id: uuid.UUID | None = None
    status: s.StatusName | None = None
    severity: s.SeverityName | None = None
    queue: str | None = None
    project: str | None = None
    organization: uuid.UUID | None = None
    requester: uuid.UUID | None = None
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int = 50


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(422, "validation_error", f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


@router.get("/tickets", response={200: s.TicketPage, **ERRORS}, summary="List tickets, newest first")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> dict[str, object]:
    """Filters combine; the cursor of a page gives the next one. A platform token names the account."""
    token = caller(request)
    rows = (
        visible_tickets(token, filters.account_id)
        .select_related("organization", "project", "requester", "queue", "assignee")
        .prefetch_related("copied")
    )
    person = reader(token, filters.account_id)
    if person is not None:
        rows = with_managed(rows, person)
    exact = {
        "status": filters.status,
        "severity": filters.severity,
        "queue__slug": filters.queue,
        "project__app_id": filters.project,
        "organization__capgo_id": filters.organization,
        "requester__capgo_id": filters.requester,
        "updated_at__gte": filters.updated_since,
    }
    rows = rows.filter(**{name: value for name, value in exact.items() if value is not None})
    return paginate(
        rows, cursor=filters.cursor, limit=_limit(filters.limit), serialize=ticket_out, descending=True
    )


@router.get("/tickets/{reference}", response={200: s.TicketOut, **ERRORS}, summary="One ticket")
def get_one(request: HttpRequest, reference: str, account_id: uuid.UUID | None = None) -> dict[str, Any]:
    token = caller(request)
    ticket = get_ticket(token, reference, account_id)
    person = reader(token, account_id)
    if person is not None:
        ticket.managed = manages_copies(person, ticket)  # type: ignore[attr-defined]
    return ticket_out(ticket)


@router.post(
    "/tickets",
    response={201: s.TicketOut, 202: s.Accepted, **BODY_ERRORS},
    summary="File a request for a customer (Idempotency-Key accepted)",
)
def create(request: HttpRequest, response: HttpResponse, data: s.TicketIn) -> Status[dict[str, Any]]:
    """Stored first through intake, then decided under the policy like a portal request.

    201 with the ticket once processed; 202 if it is stored but not a ticket (quarantined,
    with the reason, or left for the worker).
    """
    token = require(request, Scope.PLATFORM, Scope.AGENT)
    person = person_for_account(data.account_id)
    email = normalise_email(data.email) if data.email else person.primary_email
    if data.email and not EmailAddress.objects.filter(person=person, email=email).exists():
        raise ApiError(422, "unregistered_email", "That address is not registered on this account.")
    payload = {
        "kind": "new",
        "subject": data.subject,
        "body": data.body,
        "project": data.project,
        "severity": data.severity,
        "production_impact": data.production_impact,
        "language": data.language or person.language,
        "files": [f.dict() for f in data.files],
        "copied": _copied_typed(data.copied, requester_email=email),
    }

    def file_it() -> tuple[int, dict[str, Any]]:
        receipt = intake.receive(
            channel="api",
            raw=encode_payload(payload),
            # Scoped to the token, so two clients choosing the same key never collide. Without
            # a key each call is a new request (not deduplicated by content, as email is).
            idempotency_key=f"api:{token.pk}:{request.headers.get('Idempotency-Key') or uuid.uuid4().hex}",
            claimed_sender=email,
            authenticated_person=person,
            subject=data.subject,
        )
        inbound = receipt.request
        intake.process(inbound.pk)
        inbound.refresh_from_db()
        if inbound.ticket is not None:
            return 201, ticket_out(inbound.ticket)
        return 202, {"request_id": inbound.pk, "state": inbound.state, "reason": inbound.reason}

    return Status(*run_once(request, response, token, file_it))


@router.post(
    "/tickets/{reference}/replies",
    response={201: s.MessageOut, **BODY_ERRORS},
    summary="Reply as the agent who owns the token, or leave an internal note (Idempotency-Key accepted)",
)
def reply(
    request: HttpRequest, response: HttpResponse, reference: str, data: s.ReplyIn
) -> Status[dict[str, Any]]:
    token = require(request, Scope.AGENT)
    ticket = get_ticket(token, reference)
    if data.leave_out:
        _check_leave_out(ticket, data)
    left = [] if data.internal or data.as_written else macros.placeholders_left(data.body)
    if left:
        # A macro's placeholder still as written would reach the customer as "{incident_url}".
        raise ApiError(
            422,
            "unfilled_placeholder",
            f"Fill in or remove {', '.join('{' + n + '}' for n in left)} before sending: "
            "the customer would get it as written. Internal notes may contain them; "
            "as_written: true sends it anyway.",
            {"placeholders": left},
        )

    def send() -> tuple[int, dict[str, Any]]:
        message = actions.reply_as_agent(
            ticket,
            agent=owner_user(token),
            body=data.body,
            public=not data.internal,
            new_status=data.status,
            leave_out=data.leave_out,
        )
        return 201, message_out(message)

    return Status(*run_once(request, response, token, send))


def _check_leave_out(ticket: Ticket, data: s.ReplyIn) -> None:
    """422 for a ``leave_out`` that would not do what the caller means: a typo would email the
    very person they meant to leave out."""
    if data.internal:
        raise ApiError(
            422, "leave_out_internal", "An internal note is emailed to nobody; leave_out is for replies."
        )
    copied = set(copies.addresses(ticket))
    unknown = [typed for typed in data.leave_out if copies.address_of(typed) not in copied]
    if unknown:
        raise ApiError(
            422,
            "not_copied",
            f"Not copied on {ticket.reference}, so not left out: {', '.join(unknown)}. "
            "The requester always gets a public reply.",
            {"not_copied": unknown},
        )


def _copied_typed(emails: list[str], *, requester_email: str) -> list[str]:
    """What a new request copies, as the portal's form checks it: 422 ``copy_refused`` at once."""
    try:
        return copies.typed_list(", ".join(emails), requester_email=requester_email)
    except copies.CopyRefused as exc:
        raise ApiError(422, "copy_refused", str(exc)) from None


def live_for_copies(ticket: Ticket, visible: QuerySet[Ticket] | None = None) -> Ticket:
    """``ticket``, unless it was merged: its copied people are then managed on the survivor,
    which the 409 names when the caller may see it (``visible``: by default they may)."""
    if ticket.merged_into_id is None:
        return ticket
    survivor = ticket.surviving()
    if visible is None or visible.filter(pk=survivor.pk).exists():
        where = f"into {survivor.reference}; manage who is copied there"
    else:
        where = "into a ticket this caller cannot see"
    raise ApiError(409, "merged", f"{ticket.reference} was merged {where}.")


def copy_on(ticket: Ticket, emails: list[str], **who: Any) -> None:
    """``copies.add`` (on a ticket ``live_for_copies`` passed) with its refusal as a 422 naming the address."""
    try:
        copies.add(ticket, emails, how="api", **who)
    except copies.CopyRefused as exc:
        raise ApiError(422, "copy_refused", str(exc)) from None


@router.post(
    "/tickets/{reference}/copied",
    response={200: s.TicketOut, **BODY_ERRORS},
    summary="Copy addresses on a ticket (CC); addresses copied already are left as they are",
)
def copy(request: HttpRequest, reference: str, data: s.CopyIn) -> dict[str, Any]:
    """All or none: one address that may not be copied (the requester's, the desk's own, an
    automatic mailbox, past ``CAPDESK_MAX_COPIED``) refuses the call with 422 ``copy_refused``."""
    token = require(request, Scope.AGENT)
    copy_on(live_for_copies(get_ticket(token, reference)), data.emails, user=owner_user(token))
    return ticket_out(get_ticket(token, reference))


@router.delete(
    "/tickets/{reference}/copied/{email}",
    response={204: None, **ERRORS},
    summary="Stop copying an address on a ticket",
)
def uncopy(request: HttpRequest, reference: str, email: str) -> Status[None]:
    token = require(request, Scope.AGENT)
    ticket = live_for_copies(get_ticket(token, reference))
    if not copies.remove(ticket, email, user=owner_user(token)):
        raise not_found(f"{email} is not copied on {ticket.reference}.")
    return Status(204, None)


@router.post(
    "/tickets/{reference}/status",
    response={200: s.TicketOut, **BODY_ERRORS},
    summary="Change a ticket's status",
)
def change_status(request: HttpRequest, reference: str, data: s.StatusIn) -> dict[str, Any]:
    """Setting the status it already has changes nothing (safe to retry)."""
    token = require(request, Scope.AGENT)
    ticket = get_ticket(token, reference)
    with transaction.atomic():
        actions.change_status(ticket, data.status, agent=owner_user(token), reason=data.reason)
    return ticket_out(get_ticket(token, reference))


def _held_on(token: ApiToken, reference: str) -> Ticket:
    """The ticket whose held reply is settled; the one it was merged into must be visible too,
    since the reply lives there now (an agent restricted to queues may not see it)."""
    ticket = get_ticket(token, reference)
    survivor = ticket.surviving()
    if survivor.pk != ticket.pk:
        get_ticket(token, survivor.reference)
    return ticket


def _not_held(ticket: Ticket) -> ApiError:
    return ApiError(409, "not_held", f"That message is not a held reply on {ticket.reference}.")


@router.post(
    "/tickets/{reference}/messages/{message_id}/publish",
    response={200: s.MessageOut, **BODY_ERRORS},
    summary="Publish a held reply as the customer's (the agent confirmed the sender another way)",
)
def publish_held(
    request: HttpRequest, reference: str, message_id: int, data: s.HeldReplyIn
) -> dict[str, Any]:
    """E3: as if the registered address had used its link; the link then reports itself used."""
    token = require(request, Scope.AGENT)
    ticket = _held_on(token, reference)
    released = confirmation.release_held_reply(
        ticket, message_id, agent=owner_user(token), reason=data.reason
    )
    if released is None:
        raise _not_held(ticket)
    return message_out(released)


@router.post(
    "/tickets/{reference}/messages/{message_id}/discard",
    response={204: None, **BODY_ERRORS},
    summary="Discard a held reply (forged or unwanted); its email stays in the intake log",
)
def discard_held(request: HttpRequest, reference: str, message_id: int, data: s.HeldReplyIn) -> Status[None]:
    token = require(request, Scope.AGENT)
    ticket = _held_on(token, reference)
    if not confirmation.discard_held_reply(ticket, message_id, agent=owner_user(token), reason=data.reason):
        raise _not_held(ticket)
    return Status(204, None)


class MessageQuery(Schema):
    account_id: uuid.UUID | None = None
    cursor: str | None = None
    limit: int = 50


@router.get(
    "/tickets/{reference}/messages",
    response={200: s.MessagePage, **ERRORS},
    summary="The conversation, oldest first (internal notes for agent tokens only)",
)
def messages(request: HttpRequest, reference: str, query: Query[MessageQuery]) -> dict[str, object]:
    token = caller(request)
    ticket = get_ticket(token, reference, query.account_id)
    person = reader(token, query.account_id)
    rows = ticket.messages.all()
    if person is not None:
        rows = conversation_for(person, ticket)
    elif token.scope != Scope.AGENT:
        rows = rows.filter(public=True)
    rows = rows.select_related("author_person", "author_user").prefetch_related("attachments")
    return paginate(rows, cursor=query.cursor, limit=_limit(query.limit), serialize=message_out)


@router.get(
    "/tickets/{reference}/decisions",
    response={200: list[s.DecisionOut], **ERRORS},
    summary="The policy decisions on a ticket, oldest first, overrides included",
)
def decisions(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    """For staff tokens: the classifier's confidence and the explanation are the desk's working notes."""
    token = caller(request)
    if not is_staff_token(token):
        raise forbidden("Decisions are for agent tokens and staff read-only tokens.")
    ticket = get_ticket(token, reference)
    return [
        decision_out(d) for d in ticket.decisions.select_related("decided_by").order_by("created_at", "id")
    ]
