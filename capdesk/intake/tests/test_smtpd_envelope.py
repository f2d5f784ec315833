"""The SMTP envelope, which the receiver writes on top of what it stores, through real SMTP sessions.

What only the envelope says: the reply address a reply was really sent to (kept in Bcc),
the VERP return path a bounce came back to, and the null sender of a bounce, which
nobody may answer (RFC 5321 4.5.5, RFC 3834 2). Committed data (``transactional_db``),
as in test_smtpd.py, since the receiver stores from its own threads.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from capdesk.intake.models import InboundRequest
from capdesk.intake.smtpd import SmtpReceiver
from capdesk.intake.tests.test_sender_authentication import Signer, message
from capdesk.notify import verp
from capdesk.notify.actions import queue_email
from capdesk.notify.models import OutboundEmail
from capdesk.testing.bounces import dsn
from capdesk.tickets.models import Message, Ticket
from capdesk.tickets.reply_address import reply_address

SAMPLES = Path(__file__).parent / "samples"
SUPPORT = "support@capgo.app"


def crlf(raw: bytes) -> bytes:
    # On the wire every line ends in CRLF (RFC 5321 2.3.8); smtplib leaves bytes as they are.
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def plain_message() -> bytes:
    return crlf((SAMPLES / "plain.eml").read_bytes())


@pytest.fixture
def receiver(transactional_db: None) -> Iterator[SmtpReceiver]:
    with SmtpReceiver("127.0.0.1", 0) as running:
        yield running


def send(receiver: SmtpReceiver, sender: str, recipients: list[str], raw: bytes) -> InboundRequest:
    """One SMTP session; ``sender`` "" is the null reverse-path, ``MAIL FROM:<>``."""
    host, port = receiver.address
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        assert smtp.sendmail(sender, recipients, raw) == {}
    return InboundRequest.objects.order_by("-pk").first()  # type: ignore[return-value]


def processed(request: InboundRequest) -> InboundRequest:
    request.refresh_from_db()
    assert request.state == InboundRequest.State.PROCESSED, request.reason
    return request


def test_it_writes_the_return_path_and_a_delivered_to_per_recipient_on_top(receiver: SmtpReceiver) -> None:
    token_address = "support+7.0123456789ab@capgo.app"
    request = send(receiver, "dewi@acme.test", [SUPPORT, token_address], plain_message())
    assert bytes(request.raw) == (
        b"Return-Path: <dewi@acme.test>\r\n"
        b"Delivered-To: support@capgo.app\r\n"
        b"Delivered-To: support+7.0123456789ab@capgo.app\r\n" + plain_message()
    )


def test_a_reply_whose_reply_address_was_only_in_bcc_joins_its_ticket(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    first = send(receiver, "dewi@acme.test", [SUPPORT], plain_message())
    run_worker()
    ticket = processed(first).ticket
    assert ticket is not None
    reply = EmailMessage()
    reply["From"], reply["To"] = "dewi@acme.test", "teammate@acme.test"
    reply["Subject"], reply["Message-ID"] = "Build still failing", "<bcc-1@mail.acme.test>"
    reply.set_content("Copied the support thread in Bcc; it still fails with a 401.")
    # Nothing in the headers names the ticket: no reference, no In-Reply-To, no reply address.
    # The token is in the second Delivered-To: every one of them is read.
    recipients = [SUPPORT, reply_address(ticket.pk)]
    request = send(receiver, "dewi@acme.test", recipients, crlf(reply.as_bytes()))
    run_worker()
    assert processed(request).ticket == ticket
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(ticket=ticket, body_text__contains="it still fails with a 401").exists()


def test_a_bounce_with_a_null_sender_and_an_ordinary_from_opens_nothing_and_is_not_answered(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    # No multipart/report, no MAILER-DAEMON, no Auto-Submitted: only the envelope says "bounce".
    bounce = (
        b"From: Mail Delivery Subsystem <delivery@mx.example>\r\nTo: support@capgo.app\r\n"
        b"Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <gbounce1@mx.example>\r\n\r\n"
        b"Address not found. Your message wasn't delivered.\r\n"
    )
    request = send(receiver, "", [SUPPORT], bounce)
    run_worker()
    assert processed(request).ticket is None
    assert request.reason == "automatic message ignored (null sender (Return-Path: <>))"
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_our_envelope_outranks_a_return_path_written_in_the_message(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    # plain.eml carries "Return-Path: <dewi@acme.test>"; sent with a null sender, it is a bounce.
    assert plain_message().startswith(b"Return-Path: <dewi@acme.test>\r\n")
    bounced = send(receiver, "", [SUPPORT], plain_message())
    # And a "Return-Path: <>" the sender wrote cannot make a person's mail look like one.
    claimed = b"Return-Path: <>\r\n" + plain_message().replace(b"<plain-1@", b"<plain-2@")
    person = send(receiver, "dewi@acme.test", [SUPPORT], claimed)
    run_worker()
    assert processed(bounced).ticket is None
    assert processed(person).ticket is not None


def test_a_bounce_that_only_its_verp_return_path_names_marks_the_email(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    email = queue_email(to="gone@acme.test", subject="Re: your ticket", body_text="Hello", kind="agent_reply")
    assert email is not None
    # The report quotes nothing of ours and is addressed To the plain support address.
    report = crlf(dsn(("gone@acme.test", "failed", "5.1.1"), cites=""))
    request = send(receiver, "", [verp.return_path(email.pk)], report)
    run_worker()
    assert processed(request).reason.startswith("bounce recorded for gone@acme.test (5.1.1)")
    email.refresh_from_db()
    assert email.bounced_at is not None


def test_a_dkim_signature_still_verifies_under_the_envelope(
    receiver: SmtpReceiver, run_worker: Callable[[], None], acme: Signer
) -> None:
    signed = crlf(acme.sign(message()))
    request = send(receiver, "dewi@acme.test", [SUPPORT], signed)
    assert bytes(request.raw).startswith(b"Return-Path: <dewi@acme.test>\r\nDelivered-To: ")
    run_worker()
    assert processed(request).sender_auth_reason == "DKIM pass, d=acme.test aligned with From"
