"""A ticket written in Indonesian is told of its incident's end by the incident's Indonesian name."""

from __future__ import annotations

import pytest

from capdesk.notify.models import OutboundEmail
from capdesk.status import actions as status_actions
from capdesk.status.models import Incident
from capdesk.status.policy_source import ongoing_incidents
from capdesk.testing.requests import file_portal_request
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _linked_ticket(cast, language: str) -> tuple[Ticket, str]:
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing",
        body="x",
        notify=False,
        components={api: "major_outage"},
        translations={"id": {"name": "Unduhan bundle gagal"}},
    )
    ticket = file_portal_request(
        cast.developer,
        "Bundle not applied",
        "Bundle 1.4.2 is never applied on production.",
        project="com.acme.shop",
    )
    assert ticket.incident == incident.public_id
    Ticket.objects.filter(pk=ticket.pk).update(language=language)
    return ticket, incident.public_id


def test_the_incident_resolved_notice_uses_the_indonesian_name_for_an_indonesian_ticket(cast) -> None:
    ticket, public_id = _linked_ticket(cast, "id")
    status_actions.resolve_incident(Incident.objects.get(public_id=public_id), notify=False)
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    assert "Unduhan bundle gagal" in notice.body_text and "Bundle downloads failing" not in notice.body_text
    email = OutboundEmail.objects.get(ticket_id=ticket.pk, kind="incident_resolved")
    assert "Unduhan bundle gagal" in email.body_text


def test_an_english_ticket_keeps_the_english_name(cast) -> None:
    ticket, public_id = _linked_ticket(cast, "en")
    status_actions.resolve_incident(Incident.objects.get(public_id=public_id), notify=False)
    email = OutboundEmail.objects.get(ticket_id=ticket.pk, kind="incident_resolved")
    assert "Bundle downloads failing" in email.body_text and "Unduhan" not in email.body_text


def test_the_policy_sees_an_ongoing_incidents_translated_titles(db) -> None:
    status_actions.open_incident(
        name="Console down", body="x", notify=False, translations={"id": {"name": "Konsol mati"}}
    )
    (facts,) = ongoing_incidents()
    assert facts.title_in("id") == "Konsol mati" and facts.title_in("en") == "Console down"


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_notice_kept_on_the_ticket_is_worded_for_the_page_and_the_email_for_mail(
    cast, language: str
) -> None:
    ticket, public_id = _linked_ticket(cast, language)
    status_actions.resolve_incident(Incident.objects.get(public_id=public_id), notify=False)
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    email = OutboundEmail.objects.get(ticket_id=ticket.pk, kind="incident_resolved")
    portal_url = f"/portal/requests/{ticket.reference}/"
    here = {"en": "reply here", "id": "balas di sini"}[language]
    assert here in notice.body_text
    assert portal_url not in notice.body_text and "\n-- \n" not in notice.body_text
    assert portal_url in email.body_text and "\n-- \n" in email.body_text and here not in email.body_text
