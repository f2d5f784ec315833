"""Automatic replies to one address are rate-limited (RFC 3834): a flood of requests, forged
or looping, cannot make the desk spray mail, while every request still becomes a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from pytest_django.fixtures import Settings

from capdesk.intake import actions, channels
from capdesk.intake.models import InboundRequest
from capdesk.intake.tasks import process_inbound
from capdesk.notify.models import OutboundEmail
from capdesk.tickets.models import Message, Ticket

SAMPLES = Path(__file__).parent / "samples"
SENDER = "flood@gmail.test"  # not in the directory: each request is answered with a standard reply


def _receive(n: int) -> int:
    raw = (SAMPLES / "plain.eml").read_bytes().replace(b"dewi@acme.test", SENDER.encode())
    return actions.receive(
        channel="email", raw=raw.replace(b"Message-ID: <", f"Message-ID: <{n}.".encode())
    ).request.pk


def _replies() -> int:
    return OutboundEmail.objects.filter(to=SENDER, automatic=True).count()


@pytest.fixture
def limit_two(transactional_db: None, settings: Settings) -> None:
    settings.CAPDESK_AUTO_REPLIES_PER_DAY = 2


def test_it_stops_answering_an_address_at_the_days_limit_and_still_opens_every_ticket(
    limit_two: None,
) -> None:
    for n in range(4):
        actions.process(_receive(n))  # each in its own transaction, as a worker keeping up does
    assert Ticket.objects.filter(requester_email=SENDER).count() == 4
    assert _replies() == 2
    # The tickets without an email still show the standard reply to agents, with no Message-ID.
    assert Message.objects.filter(author_kind="system", message_id="").count() == 2


def test_it_counts_the_replies_it_queues_within_one_batch(limit_two: None) -> None:
    pks = [_receive(n) for n in range(5)]
    assert process_inbound.call(pks[0]) == pks  # one task, one transaction, all five
    assert Ticket.objects.filter(requester_email=SENDER).count() == 5
    assert _replies() == 2


def test_it_answers_the_address_again_once_the_day_has_passed(limit_two: None) -> None:
    for n in range(3):
        actions.process(_receive(n))
    assert _replies() == 2
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        pks = [_receive(n) for n in range(3, 6)]
        process_inbound.call(pks[0])
    assert _replies() == 4
    assert InboundRequest.objects.filter(state=InboundRequest.State.PROCESSED).count() == 6


@pytest.fixture
def breaking_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel named "test" whose write step fails: a request that breaks in the middle of a batch."""

    def prepare(requests: Sequence[InboundRequest]) -> list[channels.Prepared]:
        return [_broken for _ in requests]

    def _broken(request: InboundRequest) -> Ticket | None:
        raise RuntimeError("the write step broke")

    monkeypatch.setattr(channels, "_HANDLERS", dict(channels._HANDLERS))
    channels.register_prepared("test")(prepare)


def test_it_still_counts_the_batchs_replies_after_a_request_in_it_failed(
    limit_two: None, breaking_channel: None
) -> None:
    # The failed request's savepoint rollback makes the count read again, while the replies
    # queued before it are not inserted yet (core.appends): they must still be counted.
    pks = [_receive(0), _receive(1)]
    pks.append(actions.receive(channel="test", raw=b"boom").request.pk)
    pks += [_receive(n) for n in range(2, 5)]
    assert process_inbound.call(pks[0]) == pks
    assert Ticket.objects.filter(requester_email=SENDER).count() == 5
    assert _replies() == 2


def test_requests_filed_signed_in_are_acknowledged_every_time_and_leave_the_limit_to_email(
    limit_two: None, cast
) -> None:
    """The limit guards against answering mail in a loop; a portal request is no loop, and
    counting it used up the day's replies a held email's confirmation link then needed."""
    from capdesk.testing.requests import file_portal_request

    for n in range(3):
        file_portal_request(cast.developer, f"Request {n}", "Bundle never applied.", project="com.acme.shop")
    acknowledged = OutboundEmail.objects.filter(to="dewi@acme.test", kind__startswith="reply.")
    assert acknowledged.count() == 3 and not acknowledged.filter(automatic=True).exists()
    assert not Message.objects.filter(author_kind="system", message_id="").exists()
    # The address's email is still answered within the limit: nothing was used up.
    raw = (SAMPLES / "plain.eml").read_bytes()
    actions.process(actions.receive(channel="email", raw=raw).request.pk)
    assert OutboundEmail.objects.filter(to="dewi@acme.test", automatic=True).count() == 1
