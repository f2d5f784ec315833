"""A Premium Support lead is a sales enquiry (R1), not a support request: it runs no SLA clock (L1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from capdesk.sla.actions import sweep_alerts
from capdesk.sla.models import Clock
from capdesk.sla.tests.helpers import MONDAY_9_WIB, clocks, utc
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event

pytestmark = pytest.mark.django_db

PREMIUM = (
    "Premium Support offer",
    "We would like to buy the Premium Support retainer with monthly hours for our team. "
    "Who do we talk to about pricing?",
)
TECHNICAL = (
    "Live update not applied",
    "We call notifyAppReady() in main.ts but the new bundle 1.4.2 is never downloaded on the production "
    "channel. Device log: [CapacitorUpdater] No new version available. How do we debug the updater?",
)


@pytest.fixture
def enterprise(cast: Personas) -> Iterator[Personas]:
    cast.org.plan = "enterprise"
    cast.org.save(update_fields=["plan"])
    with time_machine.travel(MONDAY_9_WIB, tick=False):
        yield cast


def test_a_premium_support_lead_runs_no_contractual_clock(enterprise: Personas) -> None:
    ticket = file_portal_request(enterprise.org_admin, *PREMIUM, project="com.acme.shop")
    assert ticket.outcome == "premium_lead" and ticket.queue.slug == "sales"
    ticket.refresh_from_db()
    assert ticket.organization == enterprise.org and ticket.next_deadline is None
    # Started on arrival, before the request was decided a lead; ended by the decision.
    assert [c.state for c in clocks(ticket)] == [Clock.State.CANCELLED]
    with time_machine.travel(utc(2026, 6, 10), tick=False):
        sweep_alerts()
    assert not Event.objects.filter(ticket=ticket, kind__startswith="sla.").exists()


def test_a_leads_answer_times_no_next_response_either(enterprise: Personas) -> None:
    ticket = file_portal_request(enterprise.org_admin, *PREMIUM, project="com.acme.shop")
    with time_machine.travel(utc(2026, 6, 8, 4), tick=False):
        ticket_actions.record_customer_reply(
            ticket, body="Any news on the price?", person=None, author_email="ana@acme.test"
        )
    assert not [c for c in clocks(ticket) if c.state in (Clock.State.RUNNING, Clock.State.PAUSED)]


def test_a_technical_request_from_the_same_organization_still_runs_its_contractual_clock(
    enterprise: Personas,
) -> None:
    ticket = file_portal_request(enterprise.developer, *TECHNICAL, project="com.acme.shop")
    assert ticket.outcome == "accept"
    (clock,) = clocks(ticket)
    assert (clock.state, clock.tier, clock.policy) == ("running", "contractual", "enterprise")


def test_a_lead_an_agent_turns_into_a_support_request_gets_its_first_response_clock(
    enterprise: Personas,
) -> None:
    from django.contrib.auth.models import User

    from capdesk.tickets.decisions import override_decision

    agent = User.objects.get(pk=enterprise.agent.pk)
    ticket = file_portal_request(enterprise.org_admin, *PREMIUM, project="com.acme.shop")
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):
        override_decision(ticket, outcome="accept", reason="a technical question", agent=agent)
    ticket.refresh_from_db()
    running = [c for c in clocks(ticket) if c.state == Clock.State.RUNNING]
    assert [c.metric for c in running] == ["first_response"]
    # Counted from when the request arrived: the customer has waited since then.
    assert running[0].started_at == MONDAY_9_WIB and ticket.next_deadline is not None
