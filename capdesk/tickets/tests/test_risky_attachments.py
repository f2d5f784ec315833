"""A program sent as an attachment is kept, and everyone who sees it is warned before it downloads.

Personas: the agent in the console; the developer (the requester) in the portal.
"""

from __future__ import annotations

import os
from email.message import EmailMessage

import pytest
from django.contrib.auth.models import User
from django.test import Client

from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_file, encode_payload
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas
from capdesk.tickets.models import Attachment, Ticket
from capdesk.tickets.sniffing import Risk

pytestmark = pytest.mark.django_db

PROGRAM = b"MZ\x90\x00" + os.urandom(2000)


def _agent(cast: Personas) -> User:
    assert isinstance(cast.agent, User)
    return cast.agent


def test_an_emailed_program_named_as_a_pdf_opens_a_ticket_and_is_flagged(
    client: Client, cast: Personas
) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "carol@newco.test", "support@capgo.app", "Invoice"
    mail["Message-ID"] = "<invoice-1@newco.test>"
    mail.set_content("Invoice attached.")
    mail.add_attachment(PROGRAM, maintype="application", subtype="pdf", filename="invoice.pdf")
    mail.add_attachment(b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="receipt.pdf")
    request = intake.receive(channel="email", raw=mail.as_bytes()).request
    assert intake.process(request.pk)
    ticket = Ticket.objects.get()
    flagged, plain = Attachment.objects.order_by("pk")
    assert (flagged.sniffed_type, flagged.risk) == ("application/x-msdownload", Risk.WINDOWS_PROGRAM)
    assert (plain.sniffed_type, plain.risk) == ("application/pdf", "")
    client.force_login(_agent(cast))
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "⚠ Windows program, named invoice.pdf" in page
    assert page.count("⚠") == 1  # the real PDF carries no warning
    url = f"/console/tickets/{ticket.reference}/attachments/{flagged.pk}/"
    asked = client.get(url)
    assert asked.status_code == 200 and asked["Content-Type"].startswith("text/html")
    assert "Windows program, named invoice.pdf" in asked.content.decode()
    assert 'href="?confirmed=1"' in asked.content.decode()
    downloaded = client.get(url, {"confirmed": "1"})
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded.getvalue() == PROGRAM  # kept whole: it is evidence
    # A file with nothing to warn about downloads at once, as before.
    assert client.get(f"/console/tickets/{ticket.reference}/attachments/{plain.pk}/")["Content-Type"] == (
        "application/octet-stream"
    )


def test_the_customer_sees_the_same_warning_in_the_portal_in_their_language(
    client: Client, cast: Personas
) -> None:
    payload = {
        "kind": "new",
        "subject": "Our installer",
        "body": "Run this to reproduce the crash.",
        "severity": "normal",
        "files": [encode_file("setup.exe", "application/octet-stream", PROGRAM)],
    }
    request = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        claimed_sender="dewi@acme.test",
        authenticated_person=cast.developer,
    ).request
    intake.process(request.pk)
    request.refresh_from_db()
    ticket = request.ticket
    assert ticket is not None, request.reason
    attachment = Attachment.objects.get()
    client.force_login(user_for_person(cast.developer))
    page = client.get(f"/portal/requests/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "⚠ Program Windows, bernama setup.exe" in page
    url = f"/portal/requests/{ticket.reference}/attachments/{attachment.pk}/"
    asked = client.get(url, HTTP_ACCEPT_LANGUAGE="id")
    assert asked["Content-Type"].startswith("text/html")
    assert "Unduh saja" in asked.content.decode()
    assert client.get(url, {"confirmed": "1"}).getvalue() == PROGRAM
    # Someone who may not see the request learns nothing, confirmed or not.
    client.force_login(user_for_person(cast.outsider))
    assert client.get(url).status_code == 404
    assert client.get(url, {"confirmed": "1"}).status_code == 404
