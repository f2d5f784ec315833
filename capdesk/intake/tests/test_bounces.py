"""Bounces: delivery status notifications (RFC 3464) open no ticket and mark addresses that failed for good."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine

from capdesk.directory.models import EmailAddress
from capdesk.intake import actions as intake
from capdesk.intake.bounces import parse_dsn
from capdesk.intake.models import InboundRequest
from capdesk.notify.actions import queue_email
from capdesk.testing.bounces import dsn
from capdesk.testing.factories import PersonFactory
from capdesk.tickets.models import Ticket

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 11, 24, 3, 45, tzinfo=UTC)


def sent(to: str, message_id: str) -> None:
    """An email of ours in the outbox, which a genuine bounce cites."""
    queue_email(
        to=to,
        subject="Re: your ticket",
        body_text="Hello",
        kind="agent_reply",
        headers={"Message-ID": message_id},
    )


def deliver(raw: bytes) -> InboundRequest:
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def test_it_records_a_permanent_failure_on_the_registered_address(db) -> None:
    PersonFactory.create(email="gone@acme.test")
    sent("gone@acme.test", "<reply-1@capgo.app>")
    with time_machine.travel(NOW, tick=False):
        request = deliver((SAMPLES / "bounce.eml").read_bytes())
    assert EmailAddress.objects.get(email="gone@acme.test").bounced_at == NOW
    assert request.state == InboundRequest.State.PROCESSED
    # What the bounce did, not "automatic message ignored": the admin finds the address by it.
    assert request.reason == (
        "bounce recorded for gone@acme.test (5.1.1): address suppressed, "
        "registered address marked as bouncing, email marked not delivered"
    )
    assert not Ticket.objects.exists()


def test_it_records_nothing_for_a_delay_or_a_temporary_failure(db) -> None:
    PersonFactory.create(email="slow@acme.test")
    sent("slow@acme.test", "<ours-1@capgo.app>")
    deliver(dsn(("slow@acme.test", "delayed", "4.4.7"), ("slow@acme.test", "failed", "4.2.2")))
    assert EmailAddress.objects.get(email="slow@acme.test").bounced_at is None


def test_it_reads_every_recipient_of_one_report(db) -> None:
    PersonFactory.create(email="a@acme.test")
    PersonFactory.create(email="b@acme.test")
    PersonFactory.create(email="c@acme.test")
    for address in ("a@acme.test", "b@acme.test", "C@acme.test"):
        sent(address, "<ours-1@capgo.app>")
    deliver(
        dsn(
            ("A@acme.test", "failed", "5.1.1"),
            ("b@acme.test", "delivered", "2.0.0"),
            ("c@acme.test", "failed", "5.2.1"),
        )
    )
    bounced = set(EmailAddress.objects.filter(bounced_at__isnull=False).values_list("email", flat=True))
    assert bounced == {"a@acme.test", "c@acme.test"}


def test_it_parses_the_recipient_lines_and_skips_the_per_message_block() -> None:
    failures = parse_dsn(dsn(("gone@acme.test", "failed", "5.1.1")))
    assert [(f.recipient, f.action, f.status, f.permanent) for f in failures] == [
        ("gone@acme.test", "failed", "5.1.1", True)
    ]


def test_it_finds_no_report_in_an_ordinary_message() -> None:
    assert parse_dsn((SAMPLES / "plain.eml").read_bytes()) == []


def _with_diagnostic(raw: bytes, diagnostic: str) -> bytes:
    return raw.replace(b"Status: 5.1.1\n", f"Status: 5.1.1\nDiagnostic-Code: smtp; {diagnostic}\n".encode())


def test_the_agents_on_a_ticket_see_that_a_reply_bounced_and_the_customer_does_not(client, cast) -> None:
    from capdesk.notify.models import OutboundEmail
    from capdesk.portal.actions import user_for_person
    from capdesk.tickets import actions as tickets

    ticket = tickets.open_ticket(
        subject="Bundle stuck",
        body="Help",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    tickets.reply_as_agent(ticket, agent=cast.agent, body="Try channel set.")
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    other = OutboundEmail.objects.exclude(pk=email.pk).filter(ticket=ticket).first()
    report = dsn(("dewi@acme.test", "failed", "5.1.1"), cites=email.headers["Message-ID"])
    with time_machine.travel(NOW, tick=False):
        deliver(_with_diagnostic(report, "550 5.1.1 <dewi@acme.test>: Recipient address rejected"))
    email.refresh_from_db()
    assert email.bounced_at == NOW
    assert email.bounce == "5.1.1 smtp; 550 5.1.1 <dewi@acme.test>: Recipient address rejected"
    if other is not None:  # only the email the report cites
        other.refresh_from_db()
        assert other.bounced_at is None
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "sent to dewi@acme.test on" in page and "was not delivered" in page
    assert "Recipient address rejected" in page
    client.force_login(user_for_person(cast.developer))
    assert "was not delivered" not in client.get(f"/portal/requests/{ticket.reference}/").content.decode()


def test_a_bounce_naming_another_recipient_marks_no_email(db) -> None:
    from capdesk.notify.models import OutboundEmail

    sent("dewi@acme.test", "<ours-1@capgo.app>")
    deliver(dsn(("someone-else@acme.test", "failed", "5.1.1")))
    assert not OutboundEmail.objects.filter(bounced_at__isnull=False).exists()


def test_a_genuine_bounce_suppresses_the_address_and_a_forged_one_does_not(db) -> None:
    from capdesk.notify.models import Suppression

    sent("gone@acme.test", "<ours-9@capgo.app>")
    deliver(dsn(("gone@acme.test", "failed", "5.1.1"), cites="<not-ours@capgo.app>"))
    assert not Suppression.objects.exists()
    request = deliver(dsn(("gone@acme.test", "failed", "5.1.1"), cites="<ours-9@capgo.app>"))
    # Nobody registered at the address: the intake log still says what the bounce did, and
    # not "automatic message ignored" as for an out-of-office.
    assert request.reason == (
        "bounce recorded for gone@acme.test (5.1.1): address suppressed, email marked not delivered"
    )
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("gone@acme.test", "bounce")
    assert suppression.detail.startswith("5.1.1")


def test_authenticated_mail_from_a_suppressed_address_lifts_it_and_unproven_mail_does_not(cast, acme) -> None:
    from capdesk.intake.tests.test_sender_authentication import message
    from capdesk.notify import suppressions
    from capdesk.notify.models import OutboundEmail, Suppression

    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    deliver(message(body="Unsigned: anyone could have written this.\n"))
    assert Suppression.objects.filter(address="dewi@acme.test").exists()
    request = deliver(acme.sign(message()))
    assert request.sender_verdict == "verified"
    assert not Suppression.objects.exists()
    # The desk's answer to the signed request goes out.
    from capdesk.notify.actions import deliver as send

    answer = OutboundEmail.objects.filter(to="dewi@acme.test").order_by("-pk").first()
    assert answer is not None and send(answer.pk) is True


def test_a_bounce_that_may_be_the_desks_own_doing_marks_the_email_but_suppresses_nothing(db) -> None:
    from capdesk.notify.models import OutboundEmail, Suppression

    sent("dewi@acme.test", "<ours-5@capgo.app>")
    # Rejected under the desk's own DMARC policy (RFC 7372): fixing the DNS must be enough.
    request = deliver(dsn(("dewi@acme.test", "failed", "5.7.26"), cites="<ours-5@capgo.app>"))
    assert request.reason == "bounce recorded for dewi@acme.test (5.7.26): email marked not delivered"
    email = OutboundEmail.objects.get()
    assert email.bounced_at is not None and email.bounce.startswith("5.7.26")
    assert not Suppression.objects.exists()


def test_the_confirmation_of_an_unproven_sender_goes_to_a_suppressed_address_and_using_it_lifts_it(
    cast,
) -> None:
    import re

    from capdesk.intake.confirmation import confirm_sender
    from capdesk.intake.tests.test_sender_authentication import message
    from capdesk.notify import suppressions
    from capdesk.notify.actions import deliver as send
    from capdesk.notify.models import OutboundEmail, Suppression

    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    request = deliver(message())  # unsigned, from a registered address: held until confirmed
    assert request.sender_verdict == "unverified"
    confirmation = OutboundEmail.objects.get(to="dewi@acme.test", kind="reply.verify_sender")
    assert send(confirmation.pk) is True  # nothing can go on without it
    token = re.search(r"/confirm/([^/\s]+)/", confirmation.body_text)
    assert token is not None
    assert confirm_sender(token.group(1)) is not None
    assert not Suppression.objects.exists()


def test_a_feedback_loops_spam_report_suppresses_the_address_it_redacts_and_opens_no_ticket(db) -> None:
    from capdesk.notify.models import Suppression
    from capdesk.testing.bounces import arf

    sent("dewi@acme.test", "<ours-7@capgo.app>")
    request = deliver(arf("<ours-7@capgo.app>"))
    assert not Ticket.objects.exists()
    assert request.reason == "spam complaint recorded for dewi@acme.test (abuse): address suppressed"
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("dewi@acme.test", "complaint")
    assert suppression.detail == "abuse report (ExampleFBL/1.0)"


def test_a_report_that_is_no_complaint_or_cites_nothing_of_ours_changes_nothing(db) -> None:
    from capdesk.notify.models import Suppression
    from capdesk.testing.bounces import arf

    sent("dewi@acme.test", "<ours-8@capgo.app>")
    deliver(arf("<ours-8@capgo.app>", feedback_type="not-spam"))
    request = deliver(arf("<someone-elses@capgo.app>"))
    assert not Suppression.objects.exists() and not Ticket.objects.exists()
    assert "unverified bounce ignored (abuse report: it cites no message we sent)" in request.reason


def test_a_report_naming_another_recipient_in_clear_changes_nothing(db) -> None:
    from capdesk.notify.models import Suppression
    from capdesk.testing.bounces import arf

    sent("dewi@acme.test", "<ours-9@capgo.app>")
    request = deliver(arf("<ours-9@capgo.app>", recipient="rudi@acme.test"))
    assert not Suppression.objects.exists()
    assert "the message it cites went to another address" in request.reason
