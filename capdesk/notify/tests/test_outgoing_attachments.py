"""An agent's files go out with the reply's email, or as portal links when they are too large."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message as MimeMessage
from typing import Any

import pytest
from django.core import mail

from capdesk.notify.actions import deliver
from capdesk.notify.models import OutboundEmail
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as tickets
from capdesk.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

LOG = b"2026-11-29 10:01:02 [CapacitorUpdater] Bundle 1.4.2 downloaded\n" * 20


def _ticket(cast, language: str = "en") -> Ticket:
    return open_for(
        cast.developer, "Bundle stuck", email="dewi@acme.test", project=cast.project, language=language
    )


def _reply_with_file(ticket: Ticket, cast) -> OutboundEmail:
    tickets.reply_as_agent(
        ticket,
        agent=cast.agent,
        body="Here is the log from our side.",
        files=[tickets.IncomingFile("updater.log", "text/plain", LOG)],
    )
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    assert deliver(email.pk) is True
    return email


def _parts(sent: Any) -> list[MimeMessage]:
    parsed = message_from_bytes(sent.message().as_bytes())
    return [part for part in parsed.walk() if part.get_filename()]


def test_a_small_file_goes_along_and_the_text_says_where_else_it_is(cast, settings) -> None:
    ticket = _ticket(cast)
    _reply_with_file(ticket, cast)
    (sent,) = mail.outbox
    (part,) = _parts(sent)
    assert (part.get_filename(), part.get_content_type(), part.get_payload(decode=True)) == (
        "updater.log",
        "text/plain",
        LOG,
    )
    attachment = Attachment.objects.get()
    assert "Attached, and in the portal:" in sent.body
    link = f"{settings.BASE_URL}/portal/requests/{ticket.reference}/attachments/{attachment.pk}/"
    assert f"- updater.log (1.2\xa0KB): {link}\n" in sent.body
    html = sent.alternatives[0][0]  # type: ignore[attr-defined]
    assert f'attachments/{attachment.pk}/">updater.log</a>' in html


def test_files_over_the_limit_are_links_only(cast, settings) -> None:
    settings.CAPDESK_EMAIL_ATTACHMENT_BYTES = 1024
    ticket = _ticket(cast)
    email = _reply_with_file(ticket, cast)
    (sent,) = mail.outbox
    assert _parts(sent) == [] and email.attachment_ids == []
    assert "Files, too large to attach; download them from the portal:" in sent.body
    assert "updater.log" in sent.body


def test_a_file_gone_from_storage_does_not_hold_the_reply_back(cast) -> None:
    ticket = _ticket(cast)
    tickets.reply_as_agent(
        ticket,
        agent=cast.agent,
        body="Log attached.",
        files=[tickets.IncomingFile("updater.log", "text/plain", LOG)],
    )
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    assert deliver(email.pk) is True
    (sent,) = mail.outbox
    assert _parts(sent) == [] and "updater.log" in sent.body


def test_the_list_is_in_the_tickets_language(cast) -> None:
    ticket = _ticket(cast, language="id")
    _reply_with_file(ticket, cast)
    (sent,) = mail.outbox
    assert "Terlampir, dan tersedia di portal:" in sent.body
