"""The audit trail written per batch: rows kept until the outermost block ends, dropped with a failed part."""

from __future__ import annotations

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings

from capdesk.core import appends
from capdesk.notify.models import WebhookDelivery
from capdesk.notify.webhooks import create_endpoint
from capdesk.testing.factories import Personas
from capdesk.tickets import actions, audit
from capdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db


def _open(cast: Personas, subject: str = "Bundle 1.4.2 never reaches devices") -> Ticket:
    return actions.open_ticket(
        subject=subject,
        body="It stays on 1.4.1.",
        channel="portal",
        requester=cast.developer,
        requester_email=cast.developer.primary_email,
        project=cast.project,
    )


def test_it_writes_an_event_at_once_outside_a_batch(cast: Personas) -> None:
    ticket = _open(cast)
    event = audit.record(ticket, "note.test", data={"n": 1})
    assert event.pk is not None
    assert Event.objects.filter(ticket=ticket, kind="note.test").exists()


def test_it_writes_a_batchs_events_when_the_outermost_block_ends(cast: Personas) -> None:
    with transaction.atomic(), appends.batched():
        ticket = _open(cast)
        with appends.batched():
            audit.record(ticket, "note.test", data={"n": 1})
        assert not Event.objects.filter(ticket=ticket).exists(), "written before the batch ended"
    kinds = list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["ticket.created", "note.test"]


def test_it_drops_the_events_of_a_block_that_failed_and_keeps_the_others(cast: Personas) -> None:
    with transaction.atomic(), appends.batched():
        kept = _open(cast, "kept")
        with pytest.raises(RuntimeError), transaction.atomic(), appends.batched():
            dropped = _open(cast, "rolled back")
            raise RuntimeError("the handler broke")
    assert list(Event.objects.values_list("ticket_id", "kind")) == [(kept.pk, "ticket.created")]
    assert not Ticket.objects.filter(pk=dropped.pk).exists()


def test_it_announces_each_batched_event_with_the_ticket_as_it_was_then(
    cast: Personas, settings: Settings
) -> None:
    # The webhook listens to post_save: a batched row still reaches it, and its summary is
    # the ticket when the event happened, not when the batch was written.
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = True
    create_endpoint(url="https://hooks.example.test/capdesk", events=["ticket.created", "ticket.solved"])
    with transaction.atomic(), appends.batched():
        ticket = _open(cast)
        actions.change_status(ticket, "solved", agent=None)
        assert not WebhookDelivery.objects.exists()
    created = WebhookDelivery.objects.get(event_type="ticket.created")
    solved = WebhookDelivery.objects.get(event_type="ticket.solved")
    assert created.payload["data"]["ticket"]["status"] == "new"
    assert solved.payload["data"]["ticket"]["status"] == "solved"
