"""Clocks start on receipt, pause while the ticket waits, stop on the first public agent reply."""

from __future__ import annotations

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
from capdesk.tickets.models import Event, Message, Status, Ticket


def agent() -> User:
    return staff_user("agent")


def reply(ticket: Ticket, at_: object, *, public: bool = True, new_status: str | None = None) -> Message:
    with time_machine.travel(at_, tick=False):  # type: ignore[arg-type]
        return ticket_actions.reply_as_agent(
            ticket,
            agent=User.objects.get(username="agent"),
            body="Looking",
            public=public,
            new_status=new_status,
        )


def test_it_starts_a_first_response_clock_and_sets_the_tickets_next_deadline(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    clock = only_clock(ticket)
    # Team, Normal: 1 business day, Monday 09:00 WIB -> Tuesday 09:00 WIB.
    assert (clock.metric, clock.policy, clock.tier, clock.state) == (
        "first_response",
        "team",
        "goal",
        "running",
    )
    assert clock.due_at == utc(2026, 6, 9, 2)
    assert clock.warn_at == utc(2026, 6, 8, 11)  # 75 %: 9 business hours, Monday 18:00 WIB
    ticket.refresh_from_db()
    assert ticket.next_deadline == utc(2026, 6, 9, 2)


def test_it_starts_the_clock_when_the_request_was_received_not_when_it_was_processed(db: None) -> None:
    # Received at 08:00 WIB; the worker only got to it at 09:00.
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"), received_at=utc(2026, 6, 8, 1))
    assert only_clock(ticket).started_at == utc(2026, 6, 8, 1)
    assert only_clock(ticket).due_at == utc(2026, 6, 9, 1)


def test_it_starts_no_clock_without_a_policy(db: None) -> None:
    for org in (organization("solo"), organization("team", subscription_status="trialing"), None):
        ticket = open_ticket_at(MONDAY_9_WIB, org)
        assert clocks(ticket) == []
        ticket.refresh_from_db()
        assert ticket.next_deadline is None


def test_it_stops_on_the_first_public_reply_but_not_on_an_internal_note(db: None) -> None:
    agent()
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="high")
    reply(ticket, utc(2026, 6, 8, 3), public=False)
    assert only_clock(ticket).state == "running"
    reply(ticket, utc(2026, 6, 8, 3, 30))
    clock = only_clock(ticket)
    assert (clock.state, clock.stopped_at, clock.met) == ("stopped", utc(2026, 6, 8, 3, 30), True)
    assert Event.objects.filter(ticket=ticket, kind="sla.met").count() == 1
    ticket.refresh_from_db()
    assert ticket.next_deadline is None


def test_it_is_not_stopped_by_a_message_from_the_desk_itself(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    automatic = Message.objects.create(
        ticket=ticket, author_kind=Message.Author.SYSTEM, public=True, body_text="We got it", body_html=""
    )
    sla_actions.on_agent_reply(ticket, automatic)
    assert only_clock(ticket).state == "running"


def test_it_pauses_while_on_hold_and_moves_the_deadline_by_the_business_time_paused(db: None) -> None:
    staff = agent()
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    with time_machine.travel(utc(2026, 6, 8, 3), tick=False):  # 10:00 WIB
        ticket_actions.change_status(ticket, Status.ON_HOLD, agent=staff)
    clock = only_clock(ticket)
    assert (clock.state, clock.due_at, clock.next_alert_at) == ("paused", None, None)
    ticket.refresh_from_db()
    assert ticket.next_deadline is None
    with time_machine.travel(utc(2026, 6, 8, 6), tick=False):  # 13:00 WIB: three business hours later
        ticket_actions.change_status(ticket, Status.OPEN, agent=staff)
    clock = only_clock(ticket)
    assert clock.state == "running"
    assert clock.due_at == utc(2026, 6, 9, 5)  # Tuesday 12:00 WIB instead of 09:00
    ticket.refresh_from_db()
    assert ticket.next_deadline == utc(2026, 6, 9, 5)


def test_it_counts_only_business_time_as_paused(db: None) -> None:
    staff = agent()
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    with time_machine.travel(utc(2026, 6, 8, 10), tick=False):  # 17:00 WIB
        ticket_actions.change_status(ticket, Status.PENDING, agent=staff)
    with time_machine.travel(utc(2026, 6, 9, 0), tick=False):  # 07:00 WIB next day: one business hour paused
        ticket_actions.change_status(ticket, Status.OPEN, agent=staff)
    # 17:00-18:00 Monday and 06:00-07:00 Tuesday were paused: due Tuesday 11:00 WIB, not 09:00.
    assert only_clock(ticket).due_at == utc(2026, 6, 9, 4)
