"""An email with a subject but no body is a request; one with nothing at all is refused, and its sender told why."""

from __future__ import annotations

import pytest

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def deliver(sender: str, subject: str, body: str = "") -> InboundRequest:
    header = f"Subject: {subject}\r\n" if subject else ""
    raw = (
        f"From: {sender}\r\nTo: support@capgo.app\r\n{header}"
        f"Message-ID: <empty-{abs(hash((sender, subject)))}@example.org>\r\n\r\n{body}"
    ).encode()
    request = actions.receive(channel="email", raw=raw).request
    assert actions.process(request.pk)
    request.refresh_from_db()
    return request


def test_a_subject_without_a_body_opens_a_ticket_with_the_subject_as_its_text(cast: Personas) -> None:
    request = deliver("subjonly@example.org", "URGENT production updates down, call me")
    assert request.state == InboundRequest.State.PROCESSED, request.reason
    ticket = Ticket.objects.get()
    assert request.ticket == ticket
    assert ticket.subject == "URGENT production updates down, call me"
    first = ticket.messages.get(author_kind=Message.Author.CUSTOMER)
    assert first.body_text == "URGENT production updates down, call me"
    assert "URGENT production updates down, call me" in first.body_html


def test_a_body_of_blank_lines_counts_as_none(cast: Personas) -> None:
    request = deliver("dewi@acme.test", "Bundle gagal diunduh", body="\r\n  \r\n")
    assert request.state == InboundRequest.State.PROCESSED, request.reason
    assert Ticket.objects.get().messages.filter(body_text="Bundle gagal diunduh").exists()


def test_an_email_with_nothing_in_it_is_refused_and_its_sender_hears_why(cast: Personas) -> None:
    request = deliver("andi@gmail.test", "")
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason == "the message has no subject, no text and no files; the sender was told"
    assert not Ticket.objects.exists()
    notice = OutboundEmail.objects.get()
    assert notice.to == "andi@gmail.test" and notice.automatic
    assert "Your email had no subject, no text and no attachment." in notice.body_text
    # The attachment limits are for a notice about files only.
    assert "attachments of up to" not in notice.body_text


def test_an_empty_email_from_a_mailbox_nobody_reads_is_refused_without_a_notice(cast: Personas) -> None:
    request = deliver("no-reply@service.example", "")
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason.endswith("; the sender was not told (a mailbox nobody reads)")
    assert not OutboundEmail.objects.exists()


def test_a_registered_indonesian_customer_is_told_in_indonesian(cast: Personas) -> None:
    cast.developer.language = "id"
    cast.developer.save(update_fields=["language"])
    deliver("dewi@acme.test", "")
    notice = OutboundEmail.objects.get()
    assert notice.subject == "Pesan Anda ke Dukungan Capgo tidak diterima"
    assert "Email Anda tidak berisi subjek, teks, maupun lampiran." in notice.body_text
