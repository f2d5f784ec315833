"""Clocks follow the ticket: next responses after customer replies, severity and plan changes, closing."""

from __future__ import annotations

from datetime import datetime

import time_machine
from django.contrib.auth.models import User

from capdesk.sla import actions as sla_actions
from capdesk.sla.tests.helpers import (
    MONDAY_9_WIB,
    clocks,
    only_clock,
    open_ticket_at,
    organization,
    staff_user,
    utc,
)
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Status, Ticket


def staff() -> User:
    return staff_user("agent")


def agent_replies(ticket: Ticket, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff(), body="Here is the fix")


def customer_replies(ticket: Ticket, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        ticket_actions.record_customer_reply(
            ticket, body="Still broken", person=None, author_email="x@example.com"
        )


def test_it_times_the_next_response_after_the_customer_answers(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    agent_replies(ticket, utc(2026, 6, 8, 3))
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.next_deadline is None
    customer_replies(ticket, utc(2026, 6, 8, 5))  # 12:00 WIB
    first, following = clocks(ticket)
    assert (first.metric, first.state) == ("first_response", "stopped")
    assert (following.metric, following.state, following.started_at) == (
        "next_response",
        "running",
        utc(2026, 6, 8, 5),
    )
    assert following.due_at == utc(2026, 6, 9, 5)
    ticket.refresh_from_db()
    assert ticket.next_deadline == utc(2026, 6, 9, 5)


def test_it_times_one_response_however_many_times_the_customer_writes(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    customer_replies(ticket, utc(2026, 6, 8, 4))
    customer_replies(ticket, utc(2026, 6, 8, 5))
    assert [c.metric for c in clocks(ticket)] == ["first_response"]


def test_it_recomputes_the_deadline_when_the_severity_changes(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"))
    assert only_clock(ticket).due_at == utc(2026, 6, 9, 2)  # Normal: 1 business day
    with time_machine.travel(utc(2026, 6, 8, 2, 20), tick=False):
        ticket_actions.change_severity(ticket, "urgent", agent=staff(), reason="all users down")
    clock = only_clock(ticket)
    assert (clock.severity, clock.target_text, clock.business_hours) == ("urgent", "1 hour", False)
    assert clock.due_at == utc(2026, 6, 8, 3)  # an hour after receipt, 24/7
    ticket.refresh_from_db()
    assert ticket.next_deadline == utc(2026, 6, 8, 3)


def test_it_recomputes_when_the_organization_takes_priority_plus(db: None) -> None:
    org = organization("team")
    # Friday 12 June 17:00 WIB: business hours would push a Normal target to Monday.
    ticket = open_ticket_at(utc(2026, 6, 12, 10), org)
    assert only_clock(ticket).due_at == utc(2026, 6, 15, 10)
    org.priority_plus = True
    org.save()
    with time_machine.travel(utc(2026, 6, 12, 11), tick=False):
        assert sla_actions.on_plan_changed(org) == 1
    clock = only_clock(ticket)
    assert (clock.policy, clock.tier, clock.due_at) == ("priority_plus", "contractual", utc(2026, 6, 12, 22))


def test_it_cancels_the_clocks_when_the_plan_no_longer_has_targets(db: None) -> None:
    org = organization("team")
    ticket = open_ticket_at(MONDAY_9_WIB, org)
    org.plan = "solo"
    org.save()
    sla_actions.on_plan_changed(org)
    assert only_clock(ticket).state == "cancelled"
    ticket.refresh_from_db()
    assert ticket.next_deadline is None


def test_it_starts_timing_when_the_organization_gains_a_policy(db: None) -> None:
    org = organization("solo")
    ticket = open_ticket_at(MONDAY_9_WIB, org)
    org.plan = "enterprise"
    org.save()
    sla_actions.on_plan_changed(org)
    assert only_clock(ticket).started_at == MONDAY_9_WIB


def test_it_cancels_the_clocks_of_a_ticket_solved_without_a_reply(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):
        ticket_actions.change_status(ticket, Status.SOLVED, agent=staff(), reason="spam")
    clock = only_clock(ticket)
    assert (clock.state, clock.met, clock.breached_at) == ("cancelled", None, None)


def test_it_records_a_breach_at_the_deadline_when_the_reply_comes_late(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")
    agent_replies(ticket, utc(2026, 6, 8, 5))  # due 03:00, answered 05:00, no sweep ran in between
    clock = only_clock(ticket)
    assert (clock.state, clock.met, clock.breached_at) == ("stopped", False, utc(2026, 6, 8, 3))
    assert Event.objects.filter(ticket=ticket, kind="sla.breached").count() == 1
    assert Event.objects.filter(ticket=ticket, kind="sla.missed").count() == 1


def test_it_recomputes_only_for_organization_fields_that_matter(db: None) -> None:
    org = organization("team")
    ticket = open_ticket_at(MONDAY_9_WIB, org)  # Jakarta: due Tuesday 09:00 WIB
    assert sla_actions.on_organization_changed(org, ["name"]) == 0
    org.timezone = "Europe/Paris"
    org.save()
    with time_machine.travel(MONDAY_9_WIB, tick=False):
        assert sla_actions.on_organization_changed(org, ["timezone"]) == 1
    clock = only_clock(ticket)
    # Received 04:00 Paris time (CEST): counted from 06:00, twelve hours later is 18:00 CEST the same day.
    assert (clock.timezone, clock.due_at) == ("Europe/Paris", utc(2026, 6, 8, 16))


def decided(ticket: Ticket, *, severity: str, status: str, at: datetime) -> None:
    """What the decision step does to a ticket it routes: severity and status set directly, then the hook."""
    previous = ticket.status
    ticket.severity, ticket.status = severity, status
    ticket.save(update_fields=["severity", "status"])
    with time_machine.travel(at, tick=False):
        sla_actions.on_decision_applied(ticket, previous_status=previous)


def test_it_follows_the_severity_a_decision_sets(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"))
    decided(ticket, severity="urgent", status=Status.NEW, at=utc(2026, 6, 8, 2, 1))
    assert only_clock(ticket).due_at == utc(2026, 6, 8, 3)


def test_it_pauses_for_a_decision_that_waits_on_the_customer(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    decided(ticket, severity="normal", status=Status.PENDING, at=utc(2026, 6, 8, 2, 1))  # need_project
    assert only_clock(ticket).state == "paused"


def test_it_stops_timing_a_request_the_decision_answered_at_once(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    decided(ticket, severity="normal", status=Status.SOLVED, at=utc(2026, 6, 8, 2, 1))  # redirect_community
    assert only_clock(ticket).state == "cancelled"
    ticket.refresh_from_db()
    assert ticket.next_deadline is None
