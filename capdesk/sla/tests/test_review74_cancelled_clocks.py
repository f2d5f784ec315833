"""Review 74: ``_recompute`` now ignores cancelled clocks when deciding whether to start a
first-response clock. A clock is also *cancelled* when a ticket is solved or closed
(``_follow_status``), so a ticket that was worked for days, solved without a public reply
and reopened gets a brand-new first-response clock on the next recompute (a severity
change, a plan sync), backdated to the original receipt and so already overdue; and a
second one after the next solve/reopen.
"""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User

from capdesk.sla.models import Clock
from capdesk.sla.tests.helpers import MONDAY_9_WIB, clocks, utc
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Status

pytestmark = pytest.mark.django_db

TECHNICAL = (
    "Live update not applied",
    "We call notifyAppReady() in main.ts but the new bundle 1.4.2 is never downloaded on the production "
    "channel. Device log: [CapacitorUpdater] No new version available. How do we debug the updater?",
)


def test_a_solved_and_reopened_ticket_gets_no_second_first_response_clock(cast: Personas) -> None:
    cast.org.plan = "enterprise"
    cast.org.save(update_fields=["plan"])
    agent = User.objects.get(pk=cast.agent.pk)
    with time_machine.travel(MONDAY_9_WIB, tick=False):
        ticket = file_portal_request(cast.developer, *TECHNICAL, project="com.acme.shop")
    assert [c.metric for c in clocks(ticket)] == ["first_response"]
    # Solved a week later without a public reply (answered on a call): the clock is cancelled.
    with time_machine.travel(utc(2026, 6, 15, 3), tick=False):
        ticket_actions.change_status(ticket, Status.SOLVED, agent=agent, reason="answered on a call")
        ticket_actions.change_status(ticket, Status.OPEN, agent=agent, reason="one more question")
    # A month later the severity is corrected: a recompute, nothing more.
    with time_machine.travel(utc(2026, 7, 15, 3), tick=False):
        ticket_actions.change_severity(ticket, "high", agent=agent, reason="production impact")
    first = [c for c in clocks(ticket) if c.metric == "first_response"]
    started = [(c.state, c.started_at) for c in first]
    # Expected: the one (cancelled) first-response clock. Found: a second one, running from the
    # request's arrival on 8 June, overdue for weeks the moment it starts.
    assert len(first) == 1, f"a new first-response clock was started: {started}"


def test_a_solved_and_reopened_ticket_gets_no_first_response_clock_from_a_plan_sync(cast: Personas) -> None:
    from capdesk.sla.actions import on_plan_changed

    cast.org.plan = "enterprise"
    cast.org.save(update_fields=["plan"])
    agent = User.objects.get(pk=cast.agent.pk)
    with time_machine.travel(MONDAY_9_WIB, tick=False):
        ticket = file_portal_request(cast.developer, *TECHNICAL, project="com.acme.shop")
    with time_machine.travel(utc(2026, 6, 15, 3), tick=False):
        ticket_actions.change_status(ticket, Status.SOLVED, agent=agent)
        ticket_actions.change_status(ticket, Status.OPEN, agent=agent)
    with time_machine.travel(utc(2026, 7, 15, 3), tick=False):
        on_plan_changed(cast.org)  # the directory sync: every open ticket of the organization
    running = [c for c in clocks(ticket) if c.state in (Clock.State.RUNNING, Clock.State.PAUSED)]
    assert running == [], [(c.metric, c.started_at, c.due_at) for c in running]
