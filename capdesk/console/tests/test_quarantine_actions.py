"""Quarantine that can be acted on: an email over the attachment limits is accepted without the
files over them, "Process again" says what became of the request, and the page tells rows apart.

Personas: the cast's agent (every queue) and admin act; martin, an agent restricted to a
queue, a customer and an anonymous visitor may not, as for "Process again" and "Discard".
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.contrib.auth.models import User
from django.template.defaultfilters import filesizeformat
from django.test import Client
from pytest_django.fixtures import Settings

from capdesk.core.models import AuditEntry
from capdesk.intake import actions as intake
from capdesk.intake.mail_parsing import read_identity
from capdesk.intake.models import InboundRequest
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas, make_user, restrict
from capdesk.tickets.models import Attachment, Event, Message, Queue, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limits(settings: Settings) -> None:
    settings.CAPDESK_MAX_ATTACHMENTS = 2
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = 1024 * 1024


def _email(text: str = "The app crashes at start; the log and a recording are attached.") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Carol <carol@newco.test>"
    mail["To"] = "support@capgo.app"
    mail["Subject"] = "Huge video of the bug"
    mail["Message-ID"] = "<huge-1@newco.test>"
    mail.set_content(text)
    mail.add_attachment(b"log line\n" * 10, maintype="text", subtype="plain", filename="crash.log")
    mail.add_attachment(b"\0" * (1024 * 1024 + 1), maintype="video", subtype="mp4", filename="recording.mp4")
    return mail.as_bytes()


def _held(raw: bytes | None = None) -> InboundRequest:
    raw = raw or _email()
    # As a receiver stores it (intake.smtpd): the sender and subject read from the headers.
    identity = read_identity(raw)
    request = intake.receive(
        channel="email", raw=raw, claimed_sender=identity.from_address, subject=identity.subject
    ).request
    assert intake.process(request.pk)
    request.refresh_from_db()
    assert request.state == InboundRequest.State.QUARANTINED
    return request


def _user(user: object) -> User:
    assert isinstance(user, User)
    return user


def _flash(client: Client) -> str:
    return client.get("/console/quarantine/").content.decode()


def test_it_accepts_an_email_without_the_file_over_the_limit_and_tells_agents_and_customer(
    client: Client, cast: Personas
) -> None:
    held = _held()
    assert held.cause == InboundRequest.Cause.ATTACHMENTS
    client.force_login(_user(cast.agent))
    response = client.post(f"/console/quarantine/{held.pk}/accept/")
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.state == InboundRequest.State.PROCESSED and held.without_files_over_limit
    ticket = Ticket.objects.get()
    assert held.ticket == ticket
    # The file within the limits is kept; the one over them is left out, and named to agents.
    assert [a.filename for a in Attachment.objects.filter(message__ticket=ticket)] == ["crash.log"]
    note = Message.objects.get(ticket=ticket, public=False)
    assert (
        "without the attachments over the limits" in note.body_text
        and "recording.mp4 (1 MB)" in note.body_text
    )
    assert Event.objects.get(ticket=ticket, kind="attachments.left_out").data == {
        "files": [{"filename": "recording.mp4", "size": 1024 * 1024 + 1}]
    }
    # The customer reads in the acknowledgement which file, and how to send it.
    ack = OutboundEmail.objects.exclude(kind="intake.not_accepted").get(to="carol@newco.test")
    assert (
        "This file was not accepted, as it is over our limits (2 files of up to 1 MB each): recording.mp4 (1 MB)."
        in ack.body_text
    )
    assert f"/portal/requests/{ticket.reference}/" in ack.body_text
    assert ack.body_text.rstrip().endswith("Capgo Support")  # the note comes before the signature
    # The page says what became of it, with a link to the ticket.
    page = _flash(client)
    assert f"Request {held.pk} opened ticket {ticket.reference}." in page
    assert f'href="/console/tickets/{ticket.reference}/"' in page
    [entry] = AuditEntry.objects.filter(action="quarantine.accepted")
    assert entry.target_id == str(held.pk)


def test_it_tells_an_indonesian_customer_in_indonesian(client: Client, cast: Personas) -> None:
    held = _held(_email("Halo, aplikasi saya crash saat dibuka, log dan rekaman layar saya lampirkan."))
    client.force_login(_user(cast.admin))
    client.post(f"/console/quarantine/{held.pk}/accept/")
    ack = OutboundEmail.objects.exclude(kind="intake.not_accepted").get(to="carol@newco.test")
    assert "Berkas ini tidak diterima" in ack.body_text
    assert "This file was not accepted" not in ack.body_text


def test_it_does_not_accept_a_request_quarantined_for_another_reason(client: Client, cast: Personas) -> None:
    mail = EmailMessage()
    mail["Subject"] = "No sender"
    mail.set_content("Who am I?")
    held = _held(mail.as_bytes())
    assert held.cause == InboundRequest.Cause.UNREADABLE
    client.force_login(_user(cast.agent))
    assert client.post(f"/console/quarantine/{held.pk}/accept/").status_code == 302
    held.refresh_from_db()
    assert held.state == InboundRequest.State.QUARANTINED and not held.without_files_over_limit
    assert "there are no files to leave out" in _flash(client)


@pytest.mark.parametrize("who", ["anonymous", "developer", "restricted_agent"])
def test_only_agents_of_every_queue_may_accept(client: Client, cast: Personas, who: str) -> None:
    held = _held()
    if who == "developer":  # a customer signed in to the portal
        client.force_login(user_for_person(cast.developer))
    elif who == "restricted_agent":
        martin = make_user("martin", staff=True)
        assert isinstance(martin, User)
        restrict(martin, Queue.objects.create(slug="sales", name="Sales"))
        client.force_login(martin)
    response = client.post(f"/console/quarantine/{held.pk}/accept/")
    if who == "restricted_agent":
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    held.refresh_from_db()
    assert held.state == InboundRequest.State.QUARANTINED
    assert not Ticket.objects.exists()


def test_processing_again_says_it_was_quarantined_again_and_does_not_tell_the_sender_twice(
    client: Client, cast: Personas
) -> None:
    held = _held()
    assert held.reason == "recording.mp4 is larger than 1 MB; the sender was told"
    told_at = held.sender_told_at
    assert told_at is not None
    client.force_login(_user(cast.agent))
    client.post(f"/console/quarantine/{held.pk}/release/")
    held.refresh_from_db()
    assert held.state == InboundRequest.State.QUARANTINED
    assert held.reason == "recording.mp4 is larger than 1 MB; the sender was told when it first arrived"
    assert held.sender_told_at == told_at
    assert OutboundEmail.objects.filter(kind="intake.not_accepted").count() == 1
    page = _flash(client)
    assert f"Request {held.pk} was quarantined again: recording.mp4 is larger than 1 MB" in page
    assert "Nothing quarantined." not in page


def test_processing_again_after_the_limit_was_raised_links_the_ticket_it_opened(
    client: Client, cast: Personas, settings: Settings
) -> None:
    held = _held()
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
    client.force_login(_user(cast.agent))
    client.post(f"/console/quarantine/{held.pk}/release/")
    held.refresh_from_db()
    assert held.state == InboundRequest.State.PROCESSED and held.ticket is not None
    assert [a.filename for a in Attachment.objects.all()] == ["crash.log", "recording.mp4"]
    assert f"Request {held.pk} opened ticket {held.ticket.reference}." in _flash(client)


def test_the_page_tells_rows_apart_and_offers_what_can_help(client: Client, cast: Personas) -> None:
    held = _held()
    client.force_login(_user(cast.agent))
    page = _flash(client)
    assert "Huge video of the bug" in page and "carol@newco.test" in page
    assert f"<td>{filesizeformat(len(_email()))}</td>" in page  # measured by the database
    assert "Its attachments are over the limits (2 files of up to 1 MB each)." in page
    assert "that it was not accepted; processing it again does not tell them again." in page
    assert f"/console/quarantine/{held.pk}/accept/" in page
    assert f"/console/quarantine/{held.pk}/release/" not in page  # it would only come back
