"""Who is calling: a bearer token, counted against its rate limit, and what its scope reaches.

Every operation fetches through the helpers here, scoped to the token's owner, never
by bare id (CONVENTIONS.md habit 3). A session cookie is not accepted: the API is
for programs, and without cookies there is nothing for a cross-site request to ride.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.security import HttpBearer

from capdesk.api import ratelimit
from capdesk.api.actions import token_for
from capdesk.api.errors import ApiError, RateLimited, forbidden, not_found
from capdesk.api.models import ApiToken, Scope
from capdesk.directory.models import Person
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import agent_tickets, customer_tickets


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cdk_...``; one request counted per call, across processes."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_for(token.strip())
        if api_token is None:
            return None
        limit = api_token.limit_per_minute
        verdict = ratelimit.hit(f"api-token:{api_token.pk}", limit=limit, window_seconds=60)
        if not verdict.allowed:
            raise RateLimited(verdict.retry_after, limit)
        return api_token


def caller(request: HttpRequest) -> ApiToken:
    token: Any = getattr(request, "auth", None)
    assert isinstance(token, ApiToken), "operation reached without authentication"
    return token


def require(request: HttpRequest, *scopes: Scope) -> ApiToken:
    token = caller(request)
    if token.scope not in scopes:
        allowed = ", ".join(s.value for s in scopes)
        raise forbidden(f"This operation needs a token with scope {allowed}; this one is {token.scope}.")
    return token


def owner_user(token: ApiToken) -> User:
    assert isinstance(token.user, User), "a user-scoped token has a user"
    return token.user


def is_staff_token(token: ApiToken) -> bool:
    """Agent tokens, and read-only tokens of a staff user: they see what an agent sees."""
    staff = token.user is not None and bool(getattr(token.user, "is_staff", False))
    return staff and token.scope in (Scope.AGENT, Scope.READ_ONLY)


def person_for_account(account_id: uuid.UUID | None) -> Person:
    """The Capgo account a platform or agent token acts for; it must be in the directory."""
    if account_id is None:
        raise ApiError(422, "account_id_required", "Name the Capgo account this is for: account_id.")
    person = Person.objects.filter(capgo_id=account_id).first()
    if person is None:
        raise ApiError(422, "unknown_account", f"No Capgo account {account_id} in the directory yet.")
    return person


def reader(token: ApiToken, account_id: uuid.UUID | None = None) -> Person | None:
    """The customer whose view of tickets this token reads with (None for staff)."""
    if token.scope == Scope.PLATFORM:
        return person_for_account(account_id)
    if token.scope in (Scope.READ_ONLY, Scope.CUSTOMER):
        return token.person
    return None


def visible_tickets(token: ApiToken, account_id: uuid.UUID | None = None) -> QuerySet[Ticket]:
    """The tickets this token may read: the same rows its owner sees in the console or the portal."""
    if token.scope == Scope.PLATFORM:
        # The platform reads as the account it names, exactly what that customer sees.
        return customer_tickets(person_for_account(account_id))
    if token.scope in (Scope.READ_ONLY, Scope.CUSTOMER) and token.person is not None:
        return customer_tickets(token.person)
    if is_staff_token(token):
        return agent_tickets(owner_user(token))
    if token.scope == Scope.STATUS_ADMIN:
        raise forbidden("A status_admin token reads no tickets.")
    return Ticket.objects.none()


def get_ticket(token: ApiToken, reference: str, account_id: uuid.UUID | None = None) -> Ticket:
    pk = Ticket.pk_from_reference(reference)
    ticket = (
        visible_tickets(token, account_id)
        .filter(pk=pk or 0)
        .select_related("organization", "project", "requester", "queue", "assignee")
        .first()
    )
    if ticket is None:
        raise not_found(f"No ticket {reference} that this token can see.")
    return ticket
