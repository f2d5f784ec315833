"""Which addresses are the desk's own, and which are mailboxes nobody reads: pure, no database."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from capdesk.tickets.mailboxes import is_desk_address, is_no_reply


@pytest.fixture(autouse=True)
def desk(settings: Settings) -> None:
    settings.CAPDESK_SUPPORT_ADDRESS = "support@capgo.app"
    settings.CAPDESK_SUPPORT_ALIASES = ["help@capgo.app"]
    settings.DEFAULT_FROM_EMAIL = "Capgo Support <hello@capgo.app>"
    settings.SERVER_EMAIL = "desk@capgo.app"


@pytest.mark.parametrize(
    "address",
    [
        "support@capgo.app",
        "Support@CAPGO.app",
        "help@capgo.app",
        "support+12.0123456789ab@capgo.app",  # a ticket's reply address
        "support+b.7.0123456789ab@capgo.app",  # an email's VERP return path
        "hello@capgo.app",
        "desk@capgo.app",
    ],
)
def test_it_knows_the_desks_own_addresses(address: str) -> None:
    assert is_desk_address(address)


@pytest.mark.parametrize("address", ["support@capgo.io", "sales@capgo.app", "dewi@acme.test", ""])
def test_it_leaves_everyone_elses_alone(address: str) -> None:
    assert not is_desk_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "noreply@github.example",
        "no-reply@acme.test",
        "No_Reply.billing@acme.test",
        "noreply-bot@robot.example",
        "donotreply@bank.example",
        "do-not-reply@bank.example",
        "MAILER-DAEMON@mx.example",
        "postmaster@mx.example",
        "bounces+1234@lists.example",
        "notifications@github.example",
    ],
)
def test_it_knows_mailboxes_nobody_reads(address: str) -> None:
    assert is_no_reply(address)


@pytest.mark.parametrize(
    "address", ["nora@acme.test", "replies@acme.test", "notify-me@acme.test", "dewi@acme.test"]
)
def test_it_takes_a_persons_address_for_one(address: str) -> None:
    assert not is_no_reply(address)
