"""An email's inline screenshots show in the body from the desk; its remote images never load.

The mail is built with the stdlib ``email`` package as a client writes it, and goes the
whole way: ``receive`` stores it, the worker turns it into a ticket, the pages show it.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage

import pytest
from django.http import FileResponse
from django.test import Client
from django.utils import translation

from capdesk.intake import actions as intake_actions
from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import confirm_sender
from capdesk.tickets.models import Attachment, Message


def png(width: int = 3, height: int = 2) -> bytes:
    """A real, tiny RGB PNG: what a pasted screenshot is, a few bytes of it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SCREENSHOT = png()
HTML = (
    "<p>The update fails, see the error:</p>"
    '<p><img src="cid:shot-1@acme.test" alt="the error dialog"></p>'
    '<p><img src="https://tracker.example/pixel.gif?u=dewi&amp;m=42" width="1" height="1"></p>'
    '<p><img src="http://cdn.example/logo.png" alt="Acme logo"></p>'
    '<p><img src="cid:lost-2@acme.test" alt="the second screen"></p>'
)


def screenshot_mail() -> bytes:
    """Dewi's mail as Apple Mail or Gmail writes a pasted screenshot: multipart/related, cited by cid."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Dewi <dewi@acme.test>"
    msg["To"] = "support@capgo.app"
    msg["Subject"] = "Update fails with an error dialog"
    msg["Date"] = "Tue, 24 Nov 2026 09:15:00 +0700"
    msg["Message-ID"] = "<shot-mail-1@acme.test>"
    msg.set_content("The update fails, see the error.")
    msg.add_alternative(HTML, subtype="html")
    html_part = msg.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(SCREENSHOT, maintype="image", subtype="png", cid="<shot-1@acme.test>")
    return msg.as_bytes()


@pytest.fixture
def delivered(cast, run_worker: Callable[[], None]) -> Message:
    receipt = intake_actions.receive(channel="email", raw=screenshot_mail())
    run_worker()
    receipt.request.refresh_from_db()
    assert receipt.request.state == InboundRequest.State.PROCESSED, receipt.request.reason
    assert receipt.request.ticket is not None
    return receipt.request.ticket.messages.get(author_kind="customer")


def _image_sources(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]*)"', page)


def _download(client: Client, url: str) -> tuple[int, str, bytes]:
    response = client.get(url)
    if response.status_code != 200:
        return response.status_code, "", b""
    assert isinstance(response, FileResponse)
    return response.status_code, response["Content-Type"], b"".join(response.streaming_content)


def test_it_keeps_the_parts_content_id_and_stores_no_tracking_url(delivered: Message) -> None:
    attachment = delivered.attachments.get()
    assert attachment.content_id == "shot-1@acme.test"
    assert attachment.content_type == "image/png"
    assert 'src="cid:shot-1@acme.test"' in delivered.body_html  # stored as the mail cites it
    assert "tracker.example" not in delivered.body_html.replace('class="remote-image">tracker.example<', "")
    assert "https://" not in delivered.body_html and "http://" not in delivered.body_html


def test_it_shows_the_inline_image_from_the_console_to_the_agent(
    client: Client, cast, delivered: Message
) -> None:
    ticket = delivered.ticket
    attachment = delivered.attachments.get()
    url = f"/console/tickets/{ticket.reference}/attachments/{attachment.pk}/"
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert _image_sources(page) == [url]
    assert "[remote image not loaded: tracker.example]" in page
    assert "[remote image not loaded: Acme logo]" in page
    assert "the second screen" in page and "cid:" not in page
    status, content_type, body = _download(client, url)
    assert (status, content_type, body) == (200, "image/png", SCREENSHOT)


def test_it_shows_the_inline_image_to_the_requester_from_the_portal(
    client: Client, cast, delivered: Message
) -> None:
    ticket = delivered.ticket
    # Unsigned mail in a registered name shows in the portal once its sender confirms it (E3).
    confirm_sender(ticket)
    attachment = delivered.attachments.get()
    url = f"/portal/requests/{ticket.reference}/attachments/{attachment.pk}/"
    client.force_login(user_for_person(cast.developer))
    page = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert _image_sources(page) == [url]
    assert "the second screen" in page and "cid:" not in page
    response = client.get(url)
    assert isinstance(response, FileResponse)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert b"".join(response.streaming_content) == SCREENSHOT


def test_a_customer_of_another_organization_gets_no_inline_image(
    client: Client, cast, delivered: Message
) -> None:
    ticket = delivered.ticket
    attachment = delivered.attachments.get()
    client.force_login(user_for_person(cast.outsider))
    status, _, body = _download(client, f"/portal/requests/{ticket.reference}/attachments/{attachment.pk}/")
    assert (status, body) == (404, b"")


def test_the_remote_image_note_is_in_indonesian_for_an_indonesian_reader(cast, delivered: Message) -> None:
    from capdesk.tickets.message_body import shown_body

    with translation.override("id"):
        shown = shown_body(delivered, lambda a: f"/files/{a.pk}")
    assert "[gambar jarak jauh tidak dimuat: tracker.example]" in shown


def test_a_file_that_only_claims_to_be_an_image_is_still_sent_as_an_inert_download(
    client: Client, cast, delivered: Message
) -> None:
    attachment: Attachment = delivered.attachments.get()
    with attachment.file.open("wb") as f:  # what a PNG-named HTML page would be
        f.write(b"<html><script>alert(1)</script></html>")
    client.force_login(cast.agent)
    url = f"/console/tickets/{delivered.ticket.reference}/attachments/{attachment.pk}/"
    status, content_type, _ = _download(client, url)
    assert (status, content_type) == (200, "application/octet-stream")
