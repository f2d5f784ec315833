"""Fixtures the sender-authentication tests share: a local DNS stub and a DKIM key for acme.test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from capdesk.intake.tests.dns_stub import DnsStub
from capdesk.intake.tests.test_sender_authentication import Signer


@pytest.fixture
def stub(settings) -> Iterator[DnsStub]:
    with DnsStub().running() as running:
        settings.CAPDESK_DNS_NAMESERVERS = [running.address]
        yield running


@pytest.fixture
def acme(stub: DnsStub) -> Signer:
    return Signer(stub.records, "acme.test")
