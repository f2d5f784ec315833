"""E3 for email: real DKIM signatures made with generated keys, checked against a local DNS stub."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import dkim  # type: ignore[import-untyped]
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from capdesk.intake import actions as intake
from capdesk.intake.authentication import aligned, authenticate
from capdesk.intake.models import InboundRequest, SenderConfirmation
from capdesk.tickets.models import Ticket

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BODY = (
    "Our app com.acme.shop calls notifyAppReady() but bundle 1.4.2 is never downloaded on the "
    "production channel. Device log: [CapacitorUpdater] No new version available.\n"
)


class Signer:
    """A domain's DKIM key pair; its public half is published in the DNS stub."""

    def __init__(self, records: dict[str, str], domain: str, selector: str = "s1") -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.domain, self.selector = domain, selector
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        records[f"{selector}._domainkey.{domain}"] = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"

    def sign(self, raw: bytes) -> bytes:
        header = dkim.sign(raw, self.selector.encode(), self.domain.encode(), self.private_pem)
        return bytes(header) + raw


def message(sender: str = "Dewi Developer <dewi@acme.test>", body: str = BODY, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@capgo.app", "Live update not applied"
    msg["Message-ID"] = f"<{abs(hash((sender, body, tuple(headers.items()))))}@mail.acme.test>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def deliver(raw: bytes) -> InboundRequest:
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def test_it_verifies_a_registered_sender_whose_dkim_signature_aligns_with_from(cast, acme) -> None:
    request = deliver(acme.sign(message()))
    assert request.sender_verdict == "verified"
    assert request.sender_auth_reason == "DKIM pass, d=acme.test aligned with From"
    ticket = Ticket.objects.get()
    assert ticket.decisions.get().outcome == "accept"
    assert not SenderConfirmation.objects.exists()
    event = ticket.events.get(kind="sender.identified")
    assert event.data["verdict"] == "verified" and event.data["method"] == "dkim"


def test_it_accepts_a_signature_by_a_subdomain_of_the_from_domain(cast, stub) -> None:
    mail_acme = Signer(stub.records, "mail.acme.test")
    request = deliver(mail_acme.sign(message()))
    assert request.sender_verdict == "verified"


def test_it_holds_a_spoofed_from_signed_by_another_domain(cast, stub, acme) -> None:
    evil = Signer(stub.records, "evil.test")
    request = deliver(evil.sign(message()))
    assert request.sender_verdict == "unverified"
    assert "d=evil.test is not aligned with the From domain acme.test" in request.sender_auth_reason
    ticket = Ticket.objects.get()
    assert ticket.decisions.get().outcome == "verify_sender"
    assert SenderConfirmation.objects.get().email == "dewi@acme.test"


def test_it_holds_a_message_whose_body_was_changed_after_signing(cast, acme) -> None:
    signed = acme.sign(message())
    tampered = signed.replace(b"bundle 1.4.2", b"bundle 6.6.6")
    request = deliver(tampered)
    assert request.sender_verdict == "unverified"
    assert "body hash mismatch" in request.sender_auth_reason
    assert Ticket.objects.get().decisions.get().outcome == "verify_sender"


def test_it_holds_a_message_whose_from_was_changed_after_signing(cast, acme) -> None:
    signed = acme.sign(message(sender="Ana Admin <ana@acme.test>"))
    request = deliver(signed.replace(b"ana@acme.test", b"dewi@acme.test"))
    assert request.sender_verdict == "unverified"
    assert "signature does not verify" in request.sender_auth_reason


def test_it_holds_an_old_signed_message_replayed_later(cast, acme, settings) -> None:
    settings.CAPDESK_DKIM_MAX_AGE_DAYS = 7
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        signed = acme.sign(message())
    with time_machine.travel(NOW, tick=False):
        request = deliver(signed)
    assert request.sender_verdict == "unverified"
    assert "signed more than 7 days before it arrived" in request.sender_auth_reason


def test_it_accepts_a_signature_made_within_the_allowed_age(cast, acme) -> None:
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        signed = acme.sign(message())
    with time_machine.travel(NOW, tick=False):
        assert deliver(signed).sender_verdict == "verified"


def test_it_refuses_a_signature_whose_key_is_not_published(cast, stub) -> None:
    Signer(stub.records, "acme.test")  # publishes a different key under the same selector
    stranger = Signer({}, "acme.test")  # a key never published
    request = deliver(stranger.sign(message()))
    assert request.sender_verdict == "unverified"


def test_it_does_not_trust_a_second_from_header(cast, acme) -> None:
    raw = acme.sign(message())
    doubled = raw.replace(b"From: ", b"From: Omar <omar@other.test>\nFrom: ", 1)
    result = authenticate(doubled, "dewi@acme.test")
    assert not result.authenticated
    assert result.reason == "the message has more than one From header"


def test_it_trusts_dmarc_pass_from_a_configured_relay(cast, settings) -> None:
    settings.CAPDESK_TRUSTED_AUTHSERV_IDS = ["mx.capgo.app"]
    raw = message(
        Authentication_Results="mx.capgo.app; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test"
    )
    request = deliver(raw)
    assert request.sender_verdict == "verified"
    assert request.sender_auth_reason == "DMARC pass reported by mx.capgo.app"


def test_it_ignores_dmarc_pass_claimed_by_an_untrusted_relay(cast, settings) -> None:
    settings.CAPDESK_TRUSTED_AUTHSERV_IDS = ["mx.capgo.app"]
    raw = message(Authentication_Results="mx.evil.test; dmarc=pass header.from=acme.test")
    assert deliver(raw).sender_verdict == "unverified"


def test_it_ignores_dmarc_pass_for_another_domain(cast, settings) -> None:
    settings.CAPDESK_TRUSTED_AUTHSERV_IDS = ["mx.capgo.app"]
    raw = message(Authentication_Results="mx.capgo.app; dmarc=pass header.from=evil.test")
    request = deliver(raw)
    assert request.sender_verdict == "unverified"
    assert "reported no DMARC pass for acme.test" in request.sender_auth_reason


def test_it_trusts_a_valid_arc_chain_sealed_by_a_trusted_forwarder(cast, stub, settings) -> None:
    settings.CAPDESK_TRUSTED_ARC_SEALERS = ["lists.example.org"]
    lists = Signer(stub.records, "lists.example.org", selector="arc")
    # The forwarder authenticated the original (dmarc=pass) before changing it, then sealed it.
    forwarded = message(
        Authentication_Results="lists.example.org; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test"
    )
    seal = dkim.arc_sign(forwarded, b"arc", b"lists.example.org", lists.private_pem, b"lists.example.org")
    request = deliver(b"".join(seal) + forwarded)
    assert request.sender_verdict == "verified"
    assert request.sender_auth_reason.startswith("ARC pass")


def test_it_ignores_an_arc_seal_by_an_untrusted_forwarder(cast, stub, settings) -> None:
    settings.CAPDESK_TRUSTED_ARC_SEALERS = ["lists.example.org"]
    evil = Signer(stub.records, "evil.test", selector="arc")
    forwarded = message(Authentication_Results="evil.test; dmarc=pass header.from=acme.test")
    seal = dkim.arc_sign(forwarded, b"arc", b"evil.test", evil.private_pem, b"evil.test")
    request = deliver(b"".join(seal) + forwarded)
    assert request.sender_verdict == "unverified"
    assert "not a trusted sealer" in request.sender_auth_reason


def test_it_calls_an_unregistered_but_signed_sender_unknown(cast, stub) -> None:
    other = Signer(stub.records, "other.test")
    request = deliver(other.sign(message(sender="Stranger <someone@other.test>")))
    assert request.sender_verdict == "unknown"
    assert request.sender_auth_reason == "DKIM pass, d=other.test aligned with From"


def test_it_aligns_names_by_organizational_domain() -> None:
    assert aligned("mail.acme.test", "acme.test")
    assert aligned("capgo.app", "support.capgo.app")
    assert not aligned("evil.test", "acme.test")
    # Different registrants under one public suffix are not aligned.
    assert not aligned("alice.github.io", "bob.github.io")


def test_it_shows_agents_the_verdict_and_its_reason_in_the_ticket_history(cast, stub, client) -> None:
    evil = Signer(stub.records, "evil.test")
    deliver(evil.sign(message()))
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{Ticket.objects.get().reference}/").content.decode()
    assert "unverified sender: DKIM fail: d=evil.test is not aligned with the From domain acme.test" in page


def test_it_records_whether_a_reply_was_authenticated(cast, acme) -> None:
    deliver(acme.sign(message()))
    ticket = Ticket.objects.get()
    reply = message(
        body="Still failing after the update.\n",
        In_Reply_To=ticket.messages.get(author_kind="customer").message_id,
    )
    deliver(reply)  # unsigned
    events = list(ticket.events.filter(kind="sender.identified").values_list("data__verdict", flat=True))
    assert events == ["verified", "unverified"]
    assert ticket.messages.filter(author_kind="customer").count() == 2


def test_it_does_not_trust_a_signature_over_only_part_of_the_body(cast, acme) -> None:
    raw = message()
    header = dkim.sign(raw, b"s1", b"acme.test", acme.private_pem, length=True)
    # l= lets anyone append below the signed part; the appended text must not pass as Dewi's.
    request = deliver(bytes(header) + raw + b"\nAlso, please send me the invoices of every org.\n")
    assert request.sender_verdict == "unverified"
    assert "signs only part of the body (l=)" in request.sender_auth_reason
