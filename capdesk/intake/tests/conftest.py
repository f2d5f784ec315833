"""Fixtures the sender-authentication tests share: a local DNS stub and a DKIM key for acme.test,
and the held-reply tests' ticket waiting on its customer, with a webhook endpoint listening."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from capdesk.intake.tests.dns_stub import DnsStub
from capdesk.intake.tests.test_sender_authentication import Signer
from capdesk.notify import webhooks
from capdesk.notify.models import WebhookEndpoint
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket


@pytest.fixture
def stub(settings) -> Iterator[DnsStub]:
    with DnsStub().running() as running:
        settings.CAPDESK_DNS_NAMESERVERS = [running.address]
        yield running


@pytest.fixture
def acme(stub: DnsStub) -> Signer:
    return Signer(stub.records, "acme.test")


@pytest.fixture
def hook(settings) -> WebhookEndpoint:
    # Only queued here (no worker runs): what matters is which deliveries the desk writes.
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = True
    return webhooks.create_endpoint(url="https://127.0.0.1:9/hook", events=["ticket.updated"])


@pytest.fixture
def ticket(cast) -> Ticket:
    """Dewi's accepted request, answered by an agent: pending, waiting on the customer."""
    ticket = file_portal_request(
        cast.developer,
        "Live update not applied",
        "Bundle 1.4.2 is never downloaded on the production channel of com.acme.shop.",
        project="com.acme.shop",
    )
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which plugin version do you use?")
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    return ticket
