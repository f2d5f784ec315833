"""The customer's own requests over the API: list them, read one's conversation, reply to it,
copy colleagues on it.

Two ways to call as a customer. A customer token (scope ``customer``, owned by the
person) is the customer's own. The Capgo platform's token plus ``X-Capgo-Identity``,
the dashboard's signed identity token (the same JWT as the portal's dashboard
sign-in, single use), is Capgo's dashboard acting for the customer it signed for: the
platform token alone may not pick whose tickets it reads here. Either way the rows
are exactly the portal's (``customer_tickets``), and a reply goes through
``intake.receive`` on the "api" channel, so it is stored before anything else, and a
retry with the same Idempotency-Key is the same reply, not a second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.params.functions import Header

from capdesk.api import schemas as s
from capdesk.api.auth import require
from capdesk.api.errors import ApiError, forbidden, not_found
from capdesk.api.idempotency import run_once
from capdesk.api.models import ApiToken, Scope
from capdesk.api.pagination import MAX_LIMIT, paginate
from capdesk.api.tickets import BODY_ERRORS, ERRORS, copy_on, live_for_copies, message_out, ticket_out
from capdesk.directory.models import EmailAddress, Person, normalise_email
from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_payload
from capdesk.portal.identity import InvalidIdentity, verify_dashboard_token
from capdesk.tickets import copies
from capdesk.tickets.models import Message, Ticket
from capdesk.tickets.scoping import conversation_for, customer_tickets, manages_copies, with_managed

router = Router(tags=["customer"])

IDENTITY_HEADER = "X-Capgo-Identity"
IdentityHeader: Any = Header(
    default=None,
    alias=IDENTITY_HEADER,
    description=(
        "Platform tokens only: the dashboard's signed identity token (JWT) of the customer this call "
        "is for. Single use: sign a new one for each call."
    ),
)


@dataclass(frozen=True)
class Customer:
    token: ApiToken
    person: Person
    email: str  # the address the reply is from: the identity token's, or the primary one


def customer_for(request: HttpRequest, identity: str | None, *, replying: bool = False) -> Customer:
    """Who the caller is acting as; a read-only customer token may read but not reply."""
    scopes = (
        (Scope.CUSTOMER, Scope.PLATFORM) if replying else (Scope.CUSTOMER, Scope.READ_ONLY, Scope.PLATFORM)
    )
    token = require(request, *scopes)
    if token.scope == Scope.PLATFORM:
        if not identity:
            raise ApiError(
                401, "identity_required", f"A platform token acts for a customer named by {IDENTITY_HEADER}."
            )
        try:
            proven = verify_dashboard_token(identity)
        except InvalidIdentity as exc:
            raise ApiError(401, "invalid_identity", f"{IDENTITY_HEADER} is refused: {exc}.") from None
        return Customer(token, proven.person, proven.email)
    if token.person is None:
        # A staff read-only token: it has the staff routes, not these.
        raise ApiError(403, "forbidden", "These operations are for customers; use /api/tickets.")
    return Customer(token, token.person, token.person.primary_email)


def _ticket(customer: Customer, reference: str) -> Ticket:
    pk = Ticket.pk_from_reference(reference)
    mine = with_managed(customer_tickets(customer.person), customer.person)
    ticket = mine.filter(pk=pk or 0).select_related(*_RELATED).first()
    if ticket is None:
        raise not_found(f"No request {reference} that this customer can see.")
    return ticket


_RELATED = ("organization", "project", "requester", "queue", "assignee")


class CustomerTicketQuery(Schema):
    status: s.StatusName | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


@router.get(
    "/tickets",
    response={200: s.TicketPage, **ERRORS},
    summary="The customer's requests, newest first: the same rows as their portal",
)
def list_mine(
    request: HttpRequest, query: Query[CustomerTicketQuery], identity: str | None = IdentityHeader
) -> dict[str, object]:
    customer = customer_for(request, identity)
    rows = with_managed(customer_tickets(customer.person), customer.person)
    rows = rows.select_related(*_RELATED).prefetch_related("copied")
    if query.status:
        rows = rows.filter(status=query.status)
    return paginate(rows, cursor=query.cursor, limit=query.limit, serialize=ticket_out, descending=True)


@router.get(
    "/tickets/{reference}",
    response={200: s.TicketOut, **ERRORS},
    summary="One of the customer's requests: the same row as their portal list",
)
def get_mine(request: HttpRequest, reference: str, identity: str | None = IdentityHeader) -> dict[str, Any]:
    return ticket_out(_ticket(customer_for(request, identity), reference))


class MessageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


@router.get(
    "/tickets/{reference}/messages",
    response={200: s.MessagePage, **ERRORS},
    summary="A request's conversation as the customer sees it (public messages), oldest first",
)
def conversation(
    request: HttpRequest, reference: str, query: Query[MessageQuery], identity: str | None = IdentityHeader
) -> dict[str, object]:
    customer = customer_for(request, identity)
    ticket = _ticket(customer, reference)
    rows = (
        conversation_for(customer.person, ticket)
        .select_related("author_person", "author_user")
        .prefetch_related("attachments")
    )
    return paginate(rows, cursor=query.cursor, limit=query.limit, serialize=message_out)


class CustomerReplyIn(Schema):
    body: str = Field(min_length=1, max_length=50_000)
    files: list[s.FileIn] = Field(default_factory=list, max_length=10)


@router.post(
    "/tickets/{reference}/replies",
    response={201: s.MessageOut, 202: s.Accepted, **BODY_ERRORS},
    summary="Reply as the customer (through intake, like the portal; Idempotency-Key accepted)",
)
def reply_as_customer(
    request: HttpRequest,
    response: HttpResponse,
    reference: str,
    data: CustomerReplyIn,
    identity: str | None = IdentityHeader,
) -> Status[dict[str, Any]]:
    """201 with the message once processed; 202 if stored but not added (quarantined, with the reason)."""
    customer = customer_for(request, identity, replying=True)
    ticket = _ticket(customer, reference)
    payload = {
        "kind": "reply",
        "ticket": ticket.reference,
        "body": data.body,
        "files": [f.dict() for f in data.files],
    }
    key = request.headers.get("Idempotency-Key") or uuid.uuid4().hex

    def send() -> tuple[int, dict[str, Any]]:
        receipt = intake.receive(
            channel="api",
            raw=encode_payload(payload),
            idempotency_key=f"api:{customer.token.pk}:{key}",
            claimed_sender=customer.email,
            authenticated_person=customer.person,
            subject=ticket.subject,
        )
        inbound = receipt.request
        intake.process(inbound.pk)
        inbound.refresh_from_db()
        message = (
            Message.objects.filter(source_id=inbound.pk)
            .select_related("author_person", "author_user")
            .prefetch_related("attachments")
            .first()
        )
        if message is not None:
            out = message_out(message)
            # Merged on into a ticket this customer cannot read: name the one they wrote to.
            if not customer_tickets(customer.person).filter(pk=message.ticket_id).exists():
                out["ticket"] = ticket.reference
            return 201, out
        return 202, {"request_id": inbound.pk, "state": inbound.state, "reason": inbound.reason}

    return Status(*run_once(request, response, customer.token, send))


@router.post(
    "/tickets/{reference}/copied",
    response={200: s.TicketOut, **BODY_ERRORS},
    summary="Copy colleagues on a request (CC), as its requester or an admin of its organization",
)
def copy_on_mine(
    request: HttpRequest, reference: str, data: s.CopyIn, identity: str | None = IdentityHeader
) -> dict[str, Any]:
    """As in the portal: 403 for someone who sees the request only because they are copied."""
    customer = customer_for(request, identity, replying=True)
    ticket = _ticket(customer, reference)
    if not manages_copies(customer.person, ticket):
        raise forbidden("Only the requester or an admin of the organization copies people on a request.")
    copy_on(live_for_copies(ticket, customer_tickets(customer.person)), data.emails, person=customer.person)
    return ticket_out(_ticket(customer, reference))


@router.delete(
    "/tickets/{reference}/copied/{email}",
    response={204: None, **ERRORS},
    summary="Stop copying an address on a request; a copied customer may take their own address off",
)
def uncopy_on_mine(
    request: HttpRequest, reference: str, email: str, identity: str | None = IdentityHeader
) -> Status[None]:
    customer = customer_for(request, identity, replying=True)
    ticket = _ticket(customer, reference)
    address = normalise_email(email)
    own = EmailAddress.objects.filter(person=customer.person, email=address).exists()
    if not own and not manages_copies(customer.person, ticket):
        raise forbidden("A copied person may only take their own address off a request.")
    live_for_copies(ticket, customer_tickets(customer.person))
    if not copies.remove(ticket, address, person=customer.person):
        raise not_found(f"{address} is not copied on {ticket.reference}.")
    return Status(204, None)
