"""Filing a request as a signed-in customer would, for tests that need a decided ticket."""

from __future__ import annotations

from capdesk.directory.models import Person
from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_payload
from capdesk.tickets.models import Ticket


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
