"""A sender whose email breaks the attachment limits hears why nothing was opened, once a day at most."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.tickets.models import Ticket

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_attachment(settings: Settings) -> None:
    settings.CAPDESK_MAX_ATTACHMENTS = 1


def _deliver(sender: str = "andi@gmail.test", message_id: str = "att-1", text: str = "") -> InboundRequest:
    raw = (SAMPLES / "attachment.eml").read_bytes().replace(b"dewi@acme.test", sender.encode())
    raw = raw.replace(b"<att-1@", f"<{message_id}@".encode())
    if text:
        raw = raw.replace(b"The log and a screenshot are attached.", text.encode())
    request = actions.receive(channel="email", raw=raw).request
    assert actions.process(request.pk)
    request.refresh_from_db()
    return request


def test_it_quarantines_the_email_and_tells_the_sender_why(cast: Personas) -> None:
    request = _deliver()
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason == "at most 1 attachments per message; the sender was told"
    assert not Ticket.objects.exists()
    notice = OutboundEmail.objects.get()
    assert notice.to == "andi@gmail.test" and notice.automatic
    assert notice.subject == "Your message to Capgo Support was not accepted"
    assert "A message can carry at most 1 attachment." in notice.body_text
    assert "up to 10 MB each" in notice.body_text
    assert notice.headers["Auto-Submitted"] == "auto-replied"
    assert notice.headers["In-Reply-To"] == "<att-1@mail.acme.test>"


def test_it_tells_a_sender_writing_indonesian_in_indonesian(cast: Personas) -> None:
    _deliver(text="Halo, log dan tangkapan layar saya lampirkan, aplikasi tidak bisa update.")
    notice = OutboundEmail.objects.get()
    assert notice.subject == "Pesan Anda ke Dukungan Capgo tidak diterima"


def test_it_stops_telling_an_address_at_the_days_limit_of_automatic_replies(
    cast: Personas, settings: Settings
) -> None:
    settings.CAPDESK_AUTO_REPLIES_PER_DAY = 1
    _deliver(message_id="first")
    second = _deliver(message_id="second")
    assert second.state == InboundRequest.State.QUARANTINED
    assert second.reason.endswith("; the sender was not told (automatic reply limit)")
    assert OutboundEmail.objects.count() == 1


def _deliver_large(settings: Settings, text: str) -> InboundRequest:
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = 1024 * 1024
    mail = EmailMessage()
    mail["From"] = "andi@gmail.test"
    mail["To"] = "support@capgo.app"
    mail["Subject"] = "crash"
    mail["Message-ID"] = "<large-1@gmail.test>"
    mail.set_content(text)
    mail.add_attachment(
        b"x" * (1024 * 1024 + 1), maintype="application", subtype="octet-stream", filename="crash.log"
    )
    request = actions.receive(channel="email", raw=mail.as_bytes()).request
    assert actions.process(request.pk)
    request.refresh_from_db()
    return request


def test_it_names_the_file_too_large_to_an_indonesian_sender_in_indonesian(
    cast: Personas, settings: Settings
) -> None:
    request = _deliver_large(
        settings, "Halo, log crash saya lampirkan, aplikasi tidak bisa update sama sekali."
    )
    # The quarantine keeps the reason in English, for the admins who read it.
    assert request.reason == "crash.log is larger than 1 MB; the sender was told"
    notice = OutboundEmail.objects.get()
    assert "is larger than" not in notice.body_text
    assert "crash.log berukuran lebih dari 1 MB, batas untuk satu lampiran." in notice.body_text


def test_it_names_the_file_too_large_to_an_english_sender_in_english(
    cast: Personas, settings: Settings
) -> None:
    _deliver_large(settings, "Hello, the crash log is attached; the app does not update at all.")
    notice = OutboundEmail.objects.get()
    assert "crash.log is larger than 1 MB, the limit for one attachment." in notice.body_text
