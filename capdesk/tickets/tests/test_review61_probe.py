from __future__ import annotations
import pytest
from capdesk.notify.models import OutboundEmail
from capdesk.status import actions as status_actions
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_probe_id(cast):
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"})
    t = file_portal_request(cast.developer, "Bundle not applied", "Bundle 1.4.2 is never applied on production.", project="com.acme.shop")
    Ticket.objects.filter(pk=t.pk).update(language="id")
    t.refresh_from_db()
    copies.add(t, ["lee@partner.test", cast.reader.primary_email], how="agent")
    print(t.incident, incident.public_id, t.status)
    status_actions.resolve_incident(incident, body="Fixed.", notify=False)
    for e in OutboundEmail.objects.filter(ticket_id=t.pk):
        print("=====", e.to, e.kind, e.headers, e.subject)
        print(e.body_text)
