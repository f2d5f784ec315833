"""Requests as the channels receive them, processed at once, for tests that need a decided ticket."""

from __future__ import annotations

from email.message import EmailMessage

from capdesk.directory.models import Person, Project
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.intake.web_channel import encode_payload
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Queue, Ticket


def file_portal_request(
    person: Person, subject: str, body: str, *, project: str | None = None, severity: str = "normal"
) -> Ticket:
    """Store a portal request, process it at once (as the portal does) and return its ticket."""
    payload = {"kind": "new", "subject": subject, "body": body, "project": project, "severity": severity}
    receipt = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        claimed_sender=person.primary_email,
        authenticated_person=person,
    )
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert receipt.request.ticket is not None, receipt.request.reason
    return receipt.request.ticket


def send_plain_email(sender: str, subject: str, body: str) -> InboundRequest:
    """An unsigned email to support@capgo.app from ``sender``, received and processed; its request, refreshed."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@capgo.app", subject
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@mail.example>"
    message.set_content(body)
    receipt = intake.receive(
        channel="email", raw=message.as_bytes(), idempotency_key=message["Message-ID"], claimed_sender=sender
    )
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def open_for(
    person: Person,
    subject: str,
    *,
    email: str,
    project: Project | None = None,
    body: str = "body",
    language: str = "en",
    queue: Queue | None = None,
) -> Ticket:
    """A portal ticket opened straight through ``open_ticket`` (no policy decision): for list,
    search and queue tests (``queue``: the default queue when None)."""
    return ticket_actions.open_ticket(
        subject=subject,
        body=body,
        channel="portal",
        requester=person,
        requester_email=email,
        project=project,
        language=language,
        queue=queue,
    )


def confirm_sender(ticket: Ticket) -> None:
    """Follow the confirmation link a held request's sender was emailed (E3), as they would."""
    import re

    from django.test import Client

    from capdesk.notify.models import OutboundEmail

    email = OutboundEmail.objects.filter(ticket=ticket, kind="reply.verify_sender").latest("pk")
    found = re.search(r"/confirm/[\w-]+/", email.body_text)
    assert found is not None, email.body_text
    assert Client().post(found.group(0)).status_code == 200
