"""Solved tickets close after ``CAPDESK_CLOSE_SOLVED_AFTER_DAYS`` untouched; an answer then follows up."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from capdesk.core.schedule import jobs
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Status, Ticket

pytestmark = pytest.mark.django_db


def _solved(cast, subject: str) -> Ticket:
    ticket = file_portal_request(cast.developer, subject, "Rollback fails on 6.14.2", project="com.acme.shop")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3.", new_status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    return ticket


def test_the_hourly_sweep_closes_what_stayed_solved_for_the_days_set(cast, settings) -> None:
    settings.CAPDESK_CLOSE_SOLVED_AFTER_DAYS = 7
    old, recent = _solved(cast, "Old"), _solved(cast, "Recent")
    answered = _solved(cast, "Answered")
    (job,) = [j for j in jobs() if j.name == "tickets.close_solved"]
    assert job.every_seconds == 3600
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        # The customer answered one two days in: it reopened, and is not closed later.
        ticket_actions.record_customer_reply(
            answered, body="Still broken", person=cast.developer, author_email="dewi@acme.test"
        )
        ticket_actions.change_status(recent, Status.SOLVED, agent=cast.agent)  # no change: already solved
        Ticket.objects.filter(pk=recent.pk).update(updated_at=timezone.now())  # an internal edit, say
    with time_machine.travel(timezone.now() + timedelta(days=7, hours=1)):
        assert job.run() == 1
        assert job.run() == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    answered.refresh_from_db()
    assert (old.status, recent.status, answered.status) == (Status.CLOSED, Status.SOLVED, Status.OPEN)
    event = Event.objects.get(ticket=old, kind="status.changed", data__status_to=Status.CLOSED)
    assert event.actor_user is None and event.reason == "solved, and untouched for 7 days"


def test_zero_days_keeps_solved_tickets_open_to_answers(cast, settings) -> None:
    settings.CAPDESK_CLOSE_SOLVED_AFTER_DAYS = 0
    ticket = _solved(cast, "Old")
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert ticket_actions.close_solved() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_a_portal_answer_after_the_close_opens_a_follow_up(cast, client, settings) -> None:
    settings.CAPDESK_CLOSE_SOLVED_AFTER_DAYS = 7
    ticket = _solved(cast, "Rollback")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        ticket_actions.close_solved()
        client.force_login(user_for_person(cast.developer))
        client.post(
            f"/portal/requests/{ticket.reference}/reply/", {"body": "It is back", "idempotency_key": "c1"}
        )
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert follow_up.messages.filter(body_text="It is back").exists()


def test_a_ticket_with_a_held_reply_waits(cast, settings) -> None:
    """Confirming the held reply must find the ticket as it was, not closed under it."""
    settings.CAPDESK_CLOSE_SOLVED_AFTER_DAYS = 7
    ticket = _solved(cast, "Old")
    ticket_actions.hold_customer_reply(
        ticket,
        body="Still broken",
        person=cast.developer,
        author_email="dewi@acme.test",
        body_html="<p>Still broken</p>",
        files=[],
        source_id=None,
        message_id="<held@mail.acme.test>",
        cites=(),
    )
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert ticket_actions.close_solved() == 0
        assert ticket_actions.close_solved(batch=1) == 0
    others = [_solved(cast, f"Old {n}") for n in range(3)]
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert ticket_actions.close_solved(batch=1, batches=2) == 2  # bounded: the next run closes the last
        assert ticket_actions.close_solved(batch=1, batches=2) == 1
    assert {t.status for t in Ticket.objects.filter(pk__in=[o.pk for o in others])} == {Status.CLOSED}
