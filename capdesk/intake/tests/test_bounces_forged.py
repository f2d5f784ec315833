"""Forged bounces: a DSN marks an address only when it cites a message we sent to that address."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import time_machine
from django.core import mail as django_mail

from capdesk.directory.models import EmailAddress
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.notify.actions import deliver, queue_email
from capdesk.testing.factories import PersonFactory
from capdesk.tickets.models import Ticket

NOW = datetime(2026, 11, 24, 3, 45, tzinfo=UTC)


def send_to(address: str) -> bytes:
    """Queue and really send an email of ours (to the test outbox); returns it as it went out."""
    email = queue_email(
        to=address, subject="Re: [CAP-7] Build fails", body_text="Try 7.1.2", kind="agent_reply"
    )
    assert email is not None
    assert deliver(email.pk)
    sent: bytes = django_mail.outbox[-1].message().as_bytes()
    return sent


def delivery_status(failed: str, status: str) -> EmailMessage:
    """The machine-readable part: a per-message block, then one block for the recipient."""
    per_message, per_recipient = EmailMessage(), EmailMessage()
    per_message["Reporting-MTA"] = "dns; mx.acme.test"
    per_recipient["Final-Recipient"] = f"rfc822; {failed}"
    per_recipient["Action"] = "failed" if status[0] in "45" else "delivered"
    per_recipient["Status"] = status
    part = EmailMessage()
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def report(failed: str, status: str, returned: bytes | None = None, *, in_reply_to: str = "") -> bytes:
    """A multipart/report DSN as an MTA writes it (RFC 3464), built with the email package."""
    dsn = EmailMessage()
    dsn["From"] = "Mail Delivery System <MAILER-DAEMON@mx.acme.test>"
    dsn["To"] = "support@capgo.app"
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn["Message-ID"] = "<dsn-9@mx.acme.test>"
    if in_reply_to:
        dsn["In-Reply-To"] = in_reply_to
    dsn.set_content("Your message could not be delivered.")
    dsn.make_mixed()
    dsn.set_type("multipart/report")
    dsn.set_param("report-type", "delivery-status")
    dsn.attach(delivery_status(failed, status))
    if returned is not None:
        returned_part = EmailMessage()
        returned_part.set_content(returned, maintype="text", subtype="rfc822-headers")
        dsn.attach(returned_part)
    return dsn.as_bytes()


def with_returned_message(failed: str, status: str, original: bytes) -> bytes:
    """A DSN that returns the whole original as a message/rfc822 part, as Postfix does."""
    dsn = EmailMessage()
    dsn["From"] = "MAILER-DAEMON@mx.acme.test"
    dsn["To"] = "support@capgo.app"
    dsn["Subject"] = "Delivery Status Notification (Failure)"
    dsn["Message-ID"] = "<dsn-10@mx.acme.test>"
    dsn.set_content("Delivery failed.")
    dsn.make_mixed()
    dsn.set_type("multipart/report")
    dsn.attach(delivery_status(failed, status))
    returned = EmailMessage()
    returned.set_content(BytesParser(policy=policy.default).parsebytes(original))
    dsn.attach(returned)
    return dsn.as_bytes()


def arrive(raw: bytes) -> InboundRequest:
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def bounced(address: str) -> datetime | None:
    return EmailAddress.objects.get(email=address).bounced_at


def headers_of(message: bytes) -> bytes:
    return message.partition(b"\n\n")[0] + b"\n"


def test_it_marks_the_address_when_the_dsn_returns_the_message_we_sent_it(db) -> None:
    PersonFactory.create(email="gone@acme.test")
    original = send_to("gone@acme.test")
    with time_machine.travel(NOW, tick=False):
        request = arrive(with_returned_message("gone@acme.test", "5.1.1", original))
    assert bounced("gone@acme.test") == NOW
    assert request.state == InboundRequest.State.PROCESSED
    assert request.reason.startswith("bounce recorded for gone@acme.test (5.1.1): address suppressed")
    assert not Ticket.objects.exists()


def test_it_marks_the_address_when_the_dsn_returns_only_the_headers_we_sent(db) -> None:
    PersonFactory.create(email="gone@acme.test")
    original = send_to("gone@acme.test")
    arrive(report("gone@acme.test", "5.1.1", headers_of(original)))
    assert bounced("gone@acme.test") is not None


def test_it_marks_the_address_when_the_dsn_only_threads_onto_our_message(db) -> None:
    PersonFactory.create(email="gone@acme.test")
    email = queue_email(to="gone@acme.test", subject="Hello", body_text="Hi", kind="agent_reply")
    assert email is not None
    arrive(report("gone@acme.test", "5.1.1", in_reply_to=email.headers["Message-ID"]))
    assert bounced("gone@acme.test") is not None


def test_it_ignores_a_forged_dsn_citing_a_message_id_we_never_sent(db) -> None:
    PersonFactory.create(email="dewi@acme.test")
    send_to("dewi@acme.test")
    forged = b"From: support@capgo.app\nTo: dewi@acme.test\nMessage-ID: <made-up@capgo.app>\n"
    request = arrive(report("dewi@acme.test", "5.1.1", forged))
    assert bounced("dewi@acme.test") is None
    assert request.state == InboundRequest.State.PROCESSED
    assert "unverified bounce ignored (5.1.1 at acme.test: it cites no message we sent)" in request.reason
    assert "dewi@" not in request.reason  # the note names the domain, not the customer's address


def test_it_ignores_a_dsn_citing_our_message_but_failing_another_recipient(db) -> None:
    PersonFactory.create(email="dewi@acme.test")
    PersonFactory.create(email="budi@acme.test")
    original = send_to("budi@acme.test")
    request = arrive(report("dewi@acme.test", "5.1.1", headers_of(original)))
    assert bounced("dewi@acme.test") is None
    assert bounced("budi@acme.test") is None
    assert "the message it cites went to another address" in request.reason


def test_it_ignores_a_dsn_that_cites_no_message_at_all(db) -> None:
    PersonFactory.create(email="dewi@acme.test")
    request = arrive(report("dewi@acme.test", "5.1.1"))
    assert bounced("dewi@acme.test") is None
    assert request.reason.endswith("unverified bounce ignored (5.1.1 at acme.test: it cites no Message-ID)")


def test_it_still_records_nothing_for_a_temporary_failure_of_a_message_we_sent(db) -> None:
    PersonFactory.create(email="slow@acme.test")
    original = send_to("slow@acme.test")
    request = arrive(report("slow@acme.test", "4.2.2", headers_of(original)))
    assert bounced("slow@acme.test") is None
    assert request.reason == "automatic message ignored (delivery status notification)"
