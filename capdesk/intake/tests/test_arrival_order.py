"""Threading does not depend on the order mail arrives in: a parent that arrives after its reply joins it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.intake.tasks import process_inbound
from capdesk.testing.factories import Personas
from capdesk.tickets.models import MessageReference, Ticket

SAMPLES = Path(__file__).parent / "samples"
PARENT = "plain.eml"  # <plain-1@mail.acme.test>, cites nothing
REPLY = "reply_by_in_reply_to.eml"  # <plain-3@...>, In-Reply-To <plain-1@...>, subject without a reference


def deliver(run_worker: Callable[[], None], raw: bytes) -> InboundRequest:
    request = actions.receive(channel="email", raw=raw).request
    run_worker()
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("order", [(PARENT, REPLY), (REPLY, PARENT)], ids=["parent-first", "reply-first"])
def test_it_threads_a_parent_and_its_reply_onto_one_ticket_in_either_order(
    cast: Personas, run_worker: Callable[[], None], order: tuple[str, str]
) -> None:
    first = deliver(run_worker, (SAMPLES / order[0]).read_bytes())
    second = deliver(run_worker, (SAMPLES / order[1]).read_bytes())
    ticket = Ticket.objects.get()
    assert first.ticket == second.ticket == ticket
    assert set(ticket.messages.filter(author_kind="customer").values_list("message_id", flat=True)) == {
        "<plain-1@mail.acme.test>",
        "<plain-3@mail.acme.test>",
    }


def test_it_keeps_what_each_message_cited(cast: Personas, run_worker: Callable[[], None]) -> None:
    deliver(run_worker, (SAMPLES / REPLY).read_bytes())
    [citation] = MessageReference.objects.all()
    assert citation.reference == "<plain-1@mail.acme.test>"
    assert citation.message.message_id == "<plain-3@mail.acme.test>"


def test_it_does_not_join_a_late_parent_from_another_sender_to_the_reply(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver(run_worker, (SAMPLES / REPLY).read_bytes())
    # Someone else's message under the Message-ID the reply cited: a stranger cannot use a
    # known id to write into the ticket.
    parent = (SAMPLES / PARENT).read_bytes().replace(b"dewi@acme.test", b"mallory@evil.test")
    late = deliver(run_worker, parent)
    assert Ticket.objects.count() == 2
    assert late.ticket is not None and late.ticket.requester_email == "mallory@evil.test"


def test_it_threads_a_late_parent_onto_its_reply_when_both_are_in_one_batch(cast: Personas) -> None:
    # The batch reads once which of its Message-IDs stored mail cites; the reply written
    # earlier in the same batch counts too.
    reply = actions.receive(channel="email", raw=(SAMPLES / REPLY).read_bytes()).request.pk
    parent = actions.receive(channel="email", raw=(SAMPLES / PARENT).read_bytes()).request.pk
    assert process_inbound.call(reply) == [reply, parent]
    ticket = Ticket.objects.get()
    assert set(InboundRequest.objects.values_list("ticket", flat=True)) == {ticket.pk}
