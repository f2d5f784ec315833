"""An agent's files go out with the reply's email, or as portal links when they are too large."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message as MimeMessage
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from capdesk.notify.actions import deliver
from capdesk.notify.models import OutboundEmail
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as tickets
from capdesk.tickets.models import Attachment, Ticket

from .test_email_delivery import ScriptedRelay, relay  # noqa: F401  (the relay fixture)

pytestmark = pytest.mark.django_db

LOG = b"2026-11-29 10:01:02 [CapacitorUpdater] Bundle 1.4.2 downloaded\n" * 20


def _ticket(cast, language: str = "en") -> Ticket:
    return open_for(
        cast.developer, "Bundle stuck", email="dewi@acme.test", project=cast.project, language=language
    )


def _reply(ticket: Ticket, cast, body: str, name: str, content_type: str, content: bytes) -> None:
    tickets.reply_as_agent(
        ticket, agent=cast.agent, body=body, files=[tickets.IncomingFile(name, content_type, content)]
    )


def _reply_with_file(ticket: Ticket, cast) -> OutboundEmail:
    _reply(ticket, cast, "Here is the log from our side.", "updater.log", "text/plain", LOG)
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
    assert "Files of this reply:" in sent.body
    link = f"{settings.BASE_URL}/portal/requests/{ticket.reference}/attachments/{attachment.pk}/"
    assert f"- updater.log (1.2\xa0KB): {link}\n" in sent.body
    html = sent.alternatives[0][0]  # type: ignore[attr-defined]
    assert f'attachments/{attachment.pk}/">updater.log</a>' in html


def test_files_over_the_limit_are_links_only(cast, settings) -> None:
    # 1,300 bytes are 1,784 once encoded (base64 in lines of 76): over a limit of 1,500.
    settings.CAPDESK_EMAIL_ATTACHMENT_BYTES = 1500
    ticket = _ticket(cast)
    email = _reply_with_file(ticket, cast)
    (sent,) = mail.outbox
    assert _parts(sent) == [] and email.attachment_ids == []
    assert "Files, too large to attach; download them from the portal:" in sent.body
    assert "updater.log" in sent.body


def test_a_file_gone_from_storage_does_not_hold_the_reply_back(cast) -> None:
    ticket = _ticket(cast)
    _reply(ticket, cast, "Log attached.", "updater.log", "text/plain", LOG)
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
    assert "Berkas balasan ini:" in sent.body


def test_a_requester_without_an_account_gets_the_files_and_no_portal_links(cast, settings) -> None:
    ticket = tickets.open_ticket(
        subject="Hello", body="Help", channel="email", requester=None, requester_email="new@example.org"
    )
    _reply_with_file(ticket, cast)
    (sent,) = mail.outbox
    assert len(_parts(sent)) == 1
    assert "/portal/" not in sent.body and "Reply to this email to answer." in sent.body
    settings.CAPDESK_EMAIL_ATTACHMENT_BYTES = 100
    mail.outbox.clear()
    tickets.reply_as_agent(
        ticket, agent=cast.agent, body="Again.", files=[tickets.IncomingFile("big.log", "text/plain", LOG)]
    )
    email = OutboundEmail.objects.filter(ticket=ticket).order_by("-pk").first()
    assert email is not None and deliver(email.pk)
    (sent,) = mail.outbox
    assert _parts(sent) == []
    assert "reply to this email if you need them another way" in sent.body and "- big.log (1.2" in sent.body


def test_a_content_type_that_is_not_one_goes_as_octet_stream(cast) -> None:
    ticket = _ticket(cast)
    _reply(ticket, cast, "Log.", "x.bin", "not a type", b"\x00\x01")
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    assert deliver(email.pk) is True
    (part,) = _parts(mail.outbox[0])
    assert part.get_content_type() == "application/octet-stream"


def test_the_link_in_the_email_opens_the_file_for_the_requester_even_after_a_merge(
    client: Client, cast
) -> None:
    from capdesk.portal.actions import user_for_person
    from capdesk.tickets.merging import merge_tickets

    ticket = _ticket(cast)
    _reply_with_file(ticket, cast)
    attachment = Attachment.objects.get()
    link = f"/portal/requests/{ticket.reference}/attachments/{attachment.pk}/"
    client.force_login(user_for_person(cast.developer))
    assert b"".join(client.get(link).streaming_content) == LOG  # type: ignore[attr-defined]
    kept = _ticket(cast)
    merge_tickets(ticket, kept, agent=cast.agent)
    assert b"".join(client.get(link).streaming_content) == LOG  # type: ignore[attr-defined]
    client.force_login(user_for_person(cast.outsider))
    assert client.get(link).status_code == 404


def test_a_relay_refusing_the_size_gets_the_email_again_without_its_files(relay: ScriptedRelay, cast) -> None:  # noqa: F811
    from capdesk.core import circuits

    relay.answers["DATA"] = ["552 5.3.4 Message size exceeds fixed limit"]
    ticket = _ticket(cast)
    tickets.reply_as_agent(
        ticket, agent=cast.agent, body="Log.", files=[tickets.IncomingFile("updater.log", "text/plain", LOG)]
    )
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    assert deliver(email.pk) is False
    email.refresh_from_db()
    assert (email.state, email.attachment_ids) == ("queued", [])
    assert circuits.open_circuit(circuits.MAIL) is None  # the relay answered: it works
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=email.created_at)
    assert deliver(email.pk) is True
    assert relay.received == ["dewi@acme.test"]


def test_the_mime_is_built_once_per_send(relay: ScriptedRelay, cast) -> None:  # noqa: F811
    from unittest import mock

    from django.core.mail import EmailMultiAlternatives

    ticket = _ticket(cast)
    tickets.reply_as_agent(
        ticket, agent=cast.agent, body="Log.", files=[tickets.IncomingFile("updater.log", "text/plain", LOG)]
    )
    email = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    with mock.patch.object(
        EmailMultiAlternatives, "message", autospec=True, side_effect=EmailMultiAlternatives.message
    ) as built:
        assert deliver(email.pk) is True
    assert built.call_count == 1
    assert relay.received == ["dewi@acme.test"]
