"""The desk's own mail, DKIM-signed, passes the desk's own aligned-DKIM check after a real SMTP hop.

A key from ``capdesk dkim-keygen``, its record in a DNS stub on loopback (no network),
an aiosmtpd relay that keeps the bytes it was given, and ``intake.authentication`` as
the receiving side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command

from capdesk.intake.authentication import authenticate
from capdesk.intake.tests.dns_stub import DnsStub
from capdesk.notify.actions import deliver, queue_email
from capdesk.notify.dkim_signing import _configured
from capdesk.testing.loopback import Keeping, smtp_relay
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def relay(settings: Any) -> Iterator[Keeping]:
    handler = Keeping()
    with smtp_relay(settings, handler):
        yield handler


@pytest.fixture
def signing(settings: Any) -> Iterator[DnsStub]:
    """A key made by the command, configured as the README says, its record published."""
    out = StringIO()
    call_command("dkim_keygen", "--selector", "s2026", stdout=out)
    lines = dict(re.findall(r"^(CAPDESK_DKIM_\w+)=(.*)$", out.getvalue(), re.M))
    record = re.search(r"^(\S+)\. TXT \( (.+) \)$", out.getvalue(), re.M)
    assert record is not None and record.group(1) == "s2026._domainkey.capgo.app"
    strings = re.findall(r'"([^"]*)"', record.group(2))
    assert len(strings) > 1 and all(len(text) <= 255 for text in strings)  # one TXT string holds 255
    settings.CAPDESK_DKIM_SELECTOR = lines["CAPDESK_DKIM_SELECTOR"]
    settings.CAPDESK_DKIM_DOMAIN = lines["CAPDESK_DKIM_DOMAIN"]
    settings.CAPDESK_DKIM_PRIVATE_KEY = lines["CAPDESK_DKIM_PRIVATE_KEY"].strip('"')
    _configured.cache_clear()
    with DnsStub().running() as stub:
        stub.records[record.group(1)] = "".join(strings)
        settings.CAPDESK_DNS_NAMESERVERS = [stub.address]
        yield stub
    _configured.cache_clear()


def test_a_reply_with_a_file_arrives_signed_and_passes_aligned_dkim(
    relay: Keeping, signing: DnsStub, cast
) -> None:
    ticket = open_for(cast.developer, "Bundle stuck", email="dewi@acme.test", project=cast.project)
    tickets.reply_as_agent(
        ticket,
        agent=cast.agent,
        body="Here is the fixed config, with ünïcode.",
        files=[
            tickets.IncomingFile("capacitor.config.json", "application/json", b'{"appId": "com.acme.shop"}')
        ],
    )
    email = ticket.outbound_emails.get(kind="agent_reply")
    assert deliver(email.pk) is True
    (raw,) = relay.received
    header = re.search(rb"^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", raw, re.M)
    assert header is not None
    tags = dict(
        t.strip().split("=", 1) for t in header.group(1).decode().replace("\r\n", "").split(";") if "=" in t
    )
    assert (tags["a"], tags["c"], tags["d"], tags["s"]) == (
        "rsa-sha256",
        "relaxed/relaxed",
        "capgo.app",
        "s2026",
    )
    verdict = authenticate(raw, "support@capgo.app")
    assert verdict.authenticated, verdict.reason
    assert verdict.reason == "DKIM pass, d=capgo.app aligned with From"
    # Changed on the way, it fails: the signature covers the body and the files, and seals
    # the headers a reader trusts against one more being added.
    tampered = raw.replace(b"Here is the fixed", b"Here is the fixxd")
    assert tampered != raw and not authenticate(tampered, "support@capgo.app").authenticated
    redirected = b"Reply-To: thief@evil.test\r\n" + raw
    assert not authenticate(redirected, "support@capgo.app").authenticated
    # Text went as quoted-printable: a relay downgrading 8bit would have changed it.
    assert b"Content-Transfer-Encoding: 8bit" not in raw
    assert b"Content-Transfer-Encoding: quoted-printable" in raw


def test_without_a_selector_nothing_is_signed(relay: Keeping) -> None:
    email = queue_email(to="dewi@acme.test", subject="Hello", body_text="Hi", kind="test")
    assert email is not None and deliver(email.pk)
    assert b"DKIM-Signature" not in relay.received[0]


def test_a_key_that_cannot_sign_stops_start_up(settings: Any) -> None:
    settings.CAPDESK_DKIM_SELECTOR = "s1"
    settings.CAPDESK_DKIM_PRIVATE_KEY = "not a key"
    errors = [m for m in checks.run_checks() if m.id == "notify.E001"]
    assert errors and "not a PEM private key" in errors[0].msg


def test_a_key_saved_with_windows_line_ends_still_signs(settings: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from capdesk.notify.dkim_signing import load_key

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
        .replace("\n", "\r\n")
    )
    assert b"\r" not in load_key(pem)


def test_mail_an_api_provider_sends_is_left_to_its_own_signing(signing: DnsStub, settings: Any) -> None:
    """anymail's backends send their own MIME (the provider signs it): signing ours wasted ~10 ms an email."""
    from django.core import mail

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    email = queue_email(to="dewi@acme.test", subject="Hello", body_text="Hi", kind="test")
    assert email is not None and deliver(email.pk)
    (sent,) = mail.outbox
    assert "DKIM-Signature" not in sent.message()
