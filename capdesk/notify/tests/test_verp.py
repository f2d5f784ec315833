"""VERP: with CAPDESK_VERP on, each email's envelope sender names it, and a bounce sent there counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from capdesk.directory.models import EmailAddress
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.notify.actions import deliver, queue_email
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.notify.verp import email_pk_in, return_path
from capdesk.testing.bounces import dsn
from capdesk.testing.loopback import Keeping, smtp_relay

pytestmark = pytest.mark.django_db


@pytest.fixture
def relay(settings: Any) -> Iterator[Keeping]:
    handler = Keeping()
    with smtp_relay(settings, handler):
        yield handler


def _sent(to: str = "dewi@acme.test") -> OutboundEmail:
    email = queue_email(to=to, subject="Re: rollback", body_text="Fixed in 6.14.3.", kind="agent_reply")
    assert email is not None and deliver(email.pk)
    email.refresh_from_db()
    return email


def _receive(raw: bytes) -> InboundRequest:
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def test_each_email_leaves_with_its_own_return_path_and_the_same_from(relay: Keeping, settings: Any) -> None:
    settings.CAPDESK_VERP = True
    email = _sent()
    (mail_from, rcpt_tos), raw = relay.envelopes[0], relay.received[0]
    assert mail_from == return_path(email.pk) and mail_from.startswith("support+b.")
    assert rcpt_tos == ["dewi@acme.test"]
    assert b"From: Capgo Support <support@capgo.app>" in raw


def test_without_verp_the_envelope_sender_is_the_support_address(relay: Keeping, settings: Any) -> None:
    settings.CAPDESK_VERP = False
    _sent()
    assert relay.envelopes[0][0] == "support@capgo.app"


def test_an_api_provider_keeps_its_own_return_path(settings: Any) -> None:
    settings.CAPDESK_VERP = True
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    _sent()
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


def test_a_bounce_to_the_return_path_counts_though_it_quotes_nothing_and_names_a_forwarded_address(
    cast, settings: Any
) -> None:
    """Dewi's mailbox forwards to a dead one: the report names that one, and cites no Message-ID."""
    settings.CAPDESK_VERP = True
    email = _sent()
    request = _receive(
        dsn(("dewi.old@forwarded.test", "failed", "5.1.1"), cites="", to=return_path(email.pk))
    )
    email.refresh_from_db()
    assert email.bounced_at is not None and email.bounce.startswith("5.1.1")
    assert Suppression.objects.get().address == "dewi@acme.test"
    assert EmailAddress.objects.get(email="dewi@acme.test").bounced_at is not None
    assert request.ticket is None


def test_a_made_up_return_path_or_a_delay_changes_nothing(cast, settings: Any) -> None:
    settings.CAPDESK_VERP = True
    email = _sent()
    forged = f"support+b.{email.pk}.{'0' * 12}@capgo.app"
    assert forged != return_path(email.pk)
    _receive(dsn(("dewi@acme.test", "failed", "5.1.1"), cites="", to=forged))
    _receive(dsn(("dewi@acme.test", "delayed", "4.4.1"), cites="", to=return_path(email.pk)))
    email.refresh_from_db()
    assert email.bounced_at is None and not Suppression.objects.exists()


def test_the_return_path_is_read_back_only_with_its_mac() -> None:
    address = return_path(42)
    assert email_pk_in([f"Mail Delivery <{address}>"]) == 42
    assert email_pk_in([address.replace("b.42.", "b.43.")]) is None
    assert email_pk_in(["support@capgo.app"]) is None
