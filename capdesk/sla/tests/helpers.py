"""Tickets as the SLA tests need them: opened through the real ticket actions, at a named instant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import time_machine
from django.contrib.auth.models import User

from capdesk.directory.models import Organization, Person
from capdesk.intake.models import InboundRequest
from capdesk.sla.models import Clock
from capdesk.testing.factories import OrganizationFactory, PersonFactory, make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket

# Monday 8 June 2026, 09:00 in Jakarta (WIB, UTC+7): inside business hours.
MONDAY_9_WIB = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def organization(plan: str = "team", **fields: object) -> Organization:
    return cast(Organization, OrganizationFactory(plan=plan, **fields))


def open_ticket_at(
    at: datetime,
    org: Organization | None,
    *,
    severity: str = "normal",
    received_at: datetime | None = None,
) -> Ticket:
    person = cast(Person, PersonFactory())
    source_id = None
    if received_at is not None:
        source_id = InboundRequest.objects.create(
            channel="email",
            idempotency_key=f"<{at.timestamp()}-{person.pk}@test>",
            raw=b"",
            received_at=received_at,
        ).pk
    with time_machine.travel(at, tick=False):
        return ticket_actions.open_ticket(
            subject="Live updates stopped",
            body="Since this morning no device gets the new bundle.",
            channel="email",
            requester=person,
            requester_email=person.primary_email,
            organization=org,
            severity=severity,
            source_id=source_id,
        )


def clocks(ticket: Ticket) -> list[Clock]:
    return list(Clock.objects.filter(ticket=ticket).order_by("started_at", "id"))


def only_clock(ticket: Ticket) -> Clock:
    (clock,) = clocks(ticket)
    return clock


def staff_user(username: str) -> User:
    """An agent, as the ticket actions type them."""
    user = User.objects.filter(username=username).first() or make_user(username, staff=True)
    assert isinstance(user, User)
    return user
