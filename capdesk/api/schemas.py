"""What the API sends and accepts, as typed schemas (they are the OpenAPI document's components)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from capdesk.tickets.models import Severity, Status

SeverityName = Literal["urgent", "high", "normal", "low"]
StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
assert set(SeverityName.__args__) == set(Severity.values)  # type: ignore[attr-defined]
assert set(StatusName.__args__) == set(Status.values)  # type: ignore[attr-defined]


# An email address as typed, "Name <address>" allowed; where it is used, the address itself
# is held to RFC 5321's 254 characters.
Address = Annotated[str, Field(min_length=3, max_length=320)]


class ErrorDetail(Schema):
    code: str
    message: str
    details: Any = None


class Error(Schema):
    """Every error, whatever its status."""

    error: ErrorDetail


class Me(Schema):
    name: str
    scope: str
    user: str | None
    account_id: uuid.UUID | None
    limit_per_minute: int


# Tickets -------------------------------------------------------------------------------


class TicketOut(Schema):
    reference: str
    subject: str
    status: str
    severity: str
    channel: str
    scope: str
    outcome: str
    queue: str
    language: str
    organization: uuid.UUID | None
    project: str | None
    requester: uuid.UUID | None
    requester_email: str
    requester_name: str = Field(
        default="",
        description="The name an unregistered requester gave (their email's From); empty when registered",
    )
    # Addresses copied on the ticket (CCs): each is emailed the agents' public replies.
    copied: list[str]
    # The closed ticket this one follows up: a customer answered it after it was closed.
    follow_up_of: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    next_deadline: datetime | None


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class FileIn(Schema):
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    content_b64: str


class TicketIn(Schema):
    """A request from a customer, filed for them: the same fields as the portal's form."""

    account_id: uuid.UUID = Field(description="The customer's Capgo account id (their user UUID)")
    email: str | None = Field(
        default=None, description="One of the account's registered addresses; default its primary one"
    )
    subject: str = Field(max_length=300)
    body: str = Field(min_length=1, max_length=50_000)
    project: str | None = Field(default=None, description="The app id (com.example.app) it is about")
    severity: SeverityName = "normal"
    production_impact: bool = False
    language: Literal["en", "id"] | None = None
    files: list[FileIn] = Field(default_factory=list)
    copied: list[Address] = Field(
        default_factory=list,
        max_length=100,
        description="Colleagues to copy on it (CC): each is emailed the agents' public replies",
    )


class Accepted(Schema):
    """The request is stored (durable) but did not become a ticket yet, or was quarantined."""

    request_id: int
    state: str
    reason: str


class ReplyIn(Schema):
    body: str = Field(min_length=1, max_length=50_000)
    internal: bool = Field(default=False, description="An internal note, never sent to the customer")
    status: StatusName | None = Field(default=None, description="Then set this status (default: pending)")
    leave_out: list[Address] = Field(
        default_factory=list,
        max_length=100,
        description="Copied addresses not to email this reply to; they stay copied on the ticket",
    )
    as_written: bool = Field(
        default=False,
        description="Send even if the body holds a macro placeholder such as {name}: the braces are "
        "meant for the customer (otherwise 422 unfilled_placeholder)",
    )


class CopyIn(Schema):
    """Addresses to copy on a ticket (its CCs): each is emailed the agents' public replies."""

    emails: list[Address] = Field(min_length=1, max_length=20)


class StatusIn(Schema):
    status: StatusName
    reason: str = Field(default="", max_length=500)


class HeldReplyIn(Schema):
    """Why an agent settles a held reply without its link; kept in the ticket's History."""

    reason: str = Field(default="", max_length=500)


# Messages and decisions ----------------------------------------------------------------


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageOut(Schema):
    id: int
    # The ticket it is on: a reply to a closed ticket opens its follow-up, and lands there.
    ticket: str
    author_kind: str
    author: str
    public: bool
    # A reply in a registered customer's name that has not proven its sender yet (E3):
    # agents see it, the customer does not, and nobody should act on it.
    held: bool = False
    body_text: str
    body_html: str
    created_at: datetime
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class DecisionOut(Schema):
    id: int
    outcome: str
    scope: str
    group: str
    confidence: float
    severity: str
    queue: str
    reply: str
    clauses: list[str]
    explanation: list[str]
    identity: str
    overrides: int | None
    decided_by: str | None
    reason: str
    created_at: datetime


# Directory -----------------------------------------------------------------------------


class OrganizationOut(Schema):
    capgo_id: uuid.UUID
    name: str
    plan: str
    subscription_status: str
    trial_ends_at: datetime | None
    timezone: str
    credits_balance: str
    premium_support: bool
    premium_hours_per_month: str
    priority_plus: bool
    updated_at: datetime


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class OrganizationIn(Schema):
    """Fields left out keep their value (and take the default on creation)."""

    name: str | None = None
    plan: str | None = None
    subscription_status: str | None = None
    trial_ends_at: str | None = None
    timezone: str | None = None
    credits_balance: str | None = None
    premium_support: bool | None = None
    premium_hours_per_month: str | None = None
    priority_plus: bool | None = None


class PersonOut(Schema):
    capgo_id: uuid.UUID
    name: str
    language: str
    emails: list[str]
    updated_at: datetime


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class PersonIn(Schema):
    name: str | None = None
    language: str | None = None
    emails: list[str] | None = Field(
        default=None, description="The registered addresses, primary first; replaces the set when given"
    )


class ProjectOut(Schema):
    app_id: str
    name: str
    organization: uuid.UUID


class ProjectPage(Schema):
    items: list[ProjectOut]
    next_cursor: str | None


class ProjectIn(Schema):
    organization: uuid.UUID
    name: str | None = None


class BindingOut(Schema):
    person: uuid.UUID
    organization: uuid.UUID
    project: str | None
    role: str


class BindingPage(Schema):
    items: list[BindingOut]
    next_cursor: str | None


class BindingIn(Schema):
    person: uuid.UUID
    organization: uuid.UUID
    project: str | None = Field(default=None, description="The app id; empty: bound on the organization")
    role: str


class SyncResult(Schema):
    changes: dict[str, dict[str, int]]
    warnings: list[str]
