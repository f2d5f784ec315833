"""Splitting a customer message out of a ticket into a new, separately decided ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from capdesk.tickets import actions, splitting
from capdesk.tickets.models import Event, Message, Ticket

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _conversation(cast) -> tuple[Ticket, list[Message]]:
    with time_machine.travel(T0, tick=False):
        ticket = actions.open_ticket(
            subject="Rollback loop",
            body="The app rolls back to 1.4.1 on every start.",
            channel="portal",
            requester=cast.developer,
            requester_email="dewi@acme.test",
            project=cast.project,
        )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        actions.reply_as_agent(ticket, agent=cast.agent, body="Which bundle?")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        second = actions.record_customer_reply(
            ticket,
            body="Also: please add our VAT number to the November invoice.",
            person=cast.developer,
            author_email="dewi@acme.test",
        )
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        third = actions.record_customer_reply(
            ticket, body="The VAT id is ID-0123.", person=cast.developer, author_email="dewi@acme.test"
        )
    return ticket, [second, third]


def test_it_moves_one_message_into_a_new_ticket_linked_both_ways_and_decided_again(cast) -> None:
    ticket, (vat, _vat_id) = _conversation(cast)

    new = splitting.split_ticket(ticket, vat, agent=cast.agent, subject="VAT number on invoice")

    assert new.split_from == ticket
    assert (new.requester, new.organization, new.project) == (
        cast.developer,
        ticket.organization,
        cast.project,
    )
    assert list(new.messages.values_list("pk", flat=True)) == [vat.pk]
    assert ticket.messages.filter(author_kind=Message.Author.CUSTOMER).count() == 2
    assert Event.objects.get(ticket=ticket, kind="ticket.split").data["new"] == new.reference
    assert Event.objects.get(ticket=new, kind="ticket.created").data["split_from"] == ticket.reference
    # Decided by the policy pipeline like a new request: a billing question goes to billing (B1).
    decision = new.decisions.get()
    assert decision.decided_by is None
    assert new.outcome == decision.outcome == "accept_billing"
    assert new.queue.slug == "billing"
    assert new.next_deadline is not None


def test_it_takes_the_messages_after_it_when_asked(cast) -> None:
    ticket, (vat, vat_id) = _conversation(cast)

    new = splitting.split_ticket(ticket, vat, agent=cast.agent, following=True)

    assert set(new.messages.values_list("pk", flat=True)) == {vat.pk, vat_id.pk}
    assert new.subject == ticket.subject


def test_it_refuses_to_leave_the_original_without_a_customer_message(cast) -> None:
    ticket, _ = _conversation(cast)
    first = ticket.messages.get(author_kind=Message.Author.CUSTOMER, body_text__startswith="The app")

    with pytest.raises(splitting.SplitRefused, match="no customer message left"):
        splitting.split_ticket(ticket, first, agent=cast.agent, following=True)

    assert Ticket.objects.count() == 1


def test_it_refuses_to_split_out_an_agents_message(cast) -> None:
    ticket, _ = _conversation(cast)
    reply = ticket.messages.get(author_kind=Message.Author.AGENT)

    with pytest.raises(splitting.SplitRefused, match="customer message"):
        splitting.split_ticket(ticket, reply, agent=cast.agent)


def test_it_refuses_to_split_out_a_held_reply(cast) -> None:
    ticket, _ = _conversation(cast)
    held = actions.hold_customer_reply(
        ticket,
        body="Please delete the production channel.",
        person=cast.developer,
        author_email=cast.developer.primary_email,
        body_html="<p>Please delete the production channel.</p>",
        files=[],
        source_id=None,
        message_id="<forged@evil.example>",
        cites=[],
    )
    with pytest.raises(splitting.SplitRefused, match="held reply"):
        splitting.split_ticket(ticket, held, agent=cast.agent)
    assert Ticket.objects.count() == 1
