"""However a ticket comes to be solved, its SLA clocks end and ``ticket.solved`` goes out once.

A person's status change, the incident it waited on resolving (M2), the policy deciding it
at once (C1, E3, E4, X1) or an agent overriding into such an outcome: each must end the
ticket's clocks, so no breach is recorded after the deadline, and tell webhooks once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from pytest_django.fixtures import Settings

from capdesk.console.history import sentence
from capdesk.notify.models import WebhookDelivery
from capdesk.notify.webhooks import create_endpoint
from capdesk.sla.actions import sweep_alerts
from capdesk.sla.models import Clock
from capdesk.sla.tests.helpers import MONDAY_9_WIB, clocks, open_ticket_at, organization, staff_user, utc
from capdesk.status import actions as status_actions
from capdesk.status.models import Incident
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.decisions import override_decision
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import Event, Status, Ticket

pytestmark = pytest.mark.django_db

# Enterprise, normal severity, opened Monday 09:00 WIB: one business day, due Tuesday 09:00 WIB.
DUE = utc(2026, 6, 9, 2)
LONG_AFTER = utc(2026, 6, 10, 12)


@pytest.fixture(autouse=True)
def endpoint(settings: Settings) -> None:
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = True  # no DNS lookup for the example host
    create_endpoint(
        url="https://hooks.example.test/capdesk",
        events=["ticket.updated", "ticket.solved", "decision.overridden", "sla.breached"],
    )


@pytest.fixture
def enterprise(cast: Personas) -> Iterator[Personas]:
    cast.org.plan = "enterprise"
    cast.org.save(update_fields=["plan"])
    with time_machine.travel(MONDAY_9_WIB, tick=False):
        yield cast


def _solved_deliveries(ticket: Ticket) -> list[WebhookDelivery]:
    return [
        d
        for d in WebhookDelivery.objects.filter(event_type="ticket.solved")
        if d.payload["data"]["ticket"]["reference"] == ticket.reference
    ]


def _assert_clocks_ended_and_never_breached(ticket: Ticket) -> None:
    ticket.refresh_from_db()
    assert ticket.next_deadline is None
    assert clocks(ticket), "the ticket ran a clock: the test would prove nothing"
    assert all(c.state == Clock.State.CANCELLED for c in clocks(ticket)), [c.state for c in clocks(ticket)]
    with time_machine.travel(LONG_AFTER, tick=False):
        sweep_alerts()
    assert not Event.objects.filter(ticket=ticket, kind="sla.breached").exists()
    assert not WebhookDelivery.objects.filter(event_type="sla.breached").exists()


def _incident() -> Incident:
    return status_actions.open_incident(name="Bundle downloads failing", body="x", notify=False)


def test_it_ends_the_clocks_of_a_ticket_its_resolved_incident_solves(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"))
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):
        incident = _incident()
        link_incident(ticket, incident.public_id)
    with time_machine.travel(utc(2026, 6, 8, 4), tick=False):
        status_actions.resolve_incident(incident, notify=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    _assert_clocks_ended_and_never_breached(ticket)
    (solved,) = _solved_deliveries(ticket)
    change = solved.payload["data"]["change"]
    assert change == {
        "kind": "incident.resolved",
        "status_from": "new",
        "status_to": "solved",
        "incident": incident.public_id,
    }
    # The incident's own row stays the record of why; no second row says the same change.
    (resolved,) = Event.objects.filter(ticket=ticket, kind="incident.resolved")
    assert resolved.data["solved"] is True
    assert not Event.objects.filter(ticket=ticket, kind="status.changed").exists()
    assert not WebhookDelivery.objects.filter(
        event_type="ticket.updated", payload__data__change__kind="incident.resolved"
    ).exists()


def test_it_ends_the_paused_clock_of_a_request_referred_to_the_status_page(enterprise: Personas) -> None:
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    ticket = file_portal_request(
        enterprise.developer,
        "Bundle not applied",
        "Bundle 1.4.2 is never applied on production.",
        project="com.acme.shop",
    )
    assert (ticket.incident, ticket.status) == (incident.public_id, Status.ON_HOLD)
    status_actions.resolve_incident(incident, notify=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    _assert_clocks_ended_and_never_breached(ticket)
    assert len(_solved_deliveries(ticket)) == 1


def test_a_resolved_incident_leaves_a_ticket_the_customer_wrote_on_open_and_timed(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"))
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):
        incident = _incident()
        link_incident(ticket, incident.public_id)
    with time_machine.travel(utc(2026, 6, 8, 3, 30), tick=False):
        ticket_actions.record_customer_reply(
            ticket, body="Also, my invoice is wrong", person=None, author_email="x@example.com"
        )
    with time_machine.travel(utc(2026, 6, 8, 4), tick=False):
        status_actions.resolve_incident(incident, notify=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.next_deadline == DUE
    assert not _solved_deliveries(ticket)


def test_it_ends_the_clock_of_a_request_the_policy_solves_at_once(enterprise: Personas) -> None:
    # A reader has no Developer access to the project (E4): answered and solved at once.
    ticket = file_portal_request(
        enterprise.reader,
        "Bundle not applied",
        "Bundle 1.4.2 is never applied on production.",
        project="com.acme.shop",
    )
    assert (ticket.outcome, ticket.status) == ("deny_role", Status.SOLVED)
    _assert_clocks_ended_and_never_breached(ticket)
    (solved,) = _solved_deliveries(ticket)
    assert solved.payload["data"]["change"]["kind"] == "decision.made"
    assert not WebhookDelivery.objects.filter(
        event_type="ticket.updated", payload__data__change__kind="decision.made"
    ).exists()


def test_an_agents_override_into_a_solving_outcome_ends_the_clocks_and_says_solved(
    enterprise: Personas,
) -> None:
    ticket = file_portal_request(
        enterprise.developer,
        "Bundle not applied",
        "Bundle 1.4.2 is never applied on production.",
        project="com.acme.shop",
    )
    assert ticket.status == Status.NEW and ticket.next_deadline == DUE
    agent = staff_user("agent")
    override_decision(ticket, outcome="redirect_community", reason="Their own app's code", agent=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    _assert_clocks_ended_and_never_breached(ticket)
    assert len(_solved_deliveries(ticket)) == 1
    assert WebhookDelivery.objects.filter(event_type="decision.overridden").count() == 1


def test_a_person_solving_a_ticket_still_says_solved_once(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"))
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):
        ticket_actions.change_status(ticket, Status.SOLVED, agent=None)
    _assert_clocks_ended_and_never_breached(ticket)
    assert len(_solved_deliveries(ticket)) == 1


def test_assigning_a_new_ticket_records_that_it_opened_on_the_same_row(enterprise: Personas) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, enterprise.org)
    ticket_actions.assign(ticket, staff_user("agent"), agent=None)
    (assigned,) = Event.objects.filter(ticket=ticket, kind="assigned")
    assert (assigned.data["status_from"], assigned.data["status_to"]) == ("new", "open")
    assert sentence(assigned, {enterprise.agent.pk: "agent"}) == (
        "Assigned to agent (was: nobody) · Status: New → Open"
    )
    # Open runs the clock as New did: nothing to pause, nothing announced as solved.
    ticket.refresh_from_db()
    assert ticket.next_deadline == DUE and not _solved_deliveries(ticket)
