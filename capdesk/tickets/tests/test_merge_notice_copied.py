"""The merge notice as copied people, and a requester merged into another's ticket, read it (review 61)."""

from __future__ import annotations

import pytest

from capdesk.notify.models import OutboundEmail
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.scoping import customer_tickets

pytestmark = pytest.mark.django_db

KIM = "kim@acme.test"


def test_a_copied_person_is_not_told_the_merged_request_is_theirs(cast) -> None:
    source = file_portal_request(
        cast.developer, "Bundle not applied", "Bundle 1.4.2 never applied.", project="com.acme.shop"
    )
    copies.add(source, [KIM], how="agent", user=cast.agent)
    target = file_portal_request(
        cast.developer, "Updates stuck", "Updates stuck at 1.4.1.", project="com.acme.shop"
    )
    merge_tickets(source, target, agent=cast.agent, notify_requester=True)
    email = OutboundEmail.objects.get(ticket_id=target.pk, kind="merged", to=KIM)
    assert "on which you are copied" in email.body_text
    assert "Your request" not in email.subject, email.subject


def test_a_requester_merged_into_another_requesters_ticket_gets_no_portal_link_they_cannot_open(cast) -> None:
    source = file_portal_request(
        cast.developer, "Bundle not applied", "Bundle 1.4.2 never applied.", project="com.acme.shop"
    )
    target = file_portal_request(
        cast.org_admin, "Updates stuck", "Updates stuck at 1.4.1.", project="com.acme.shop"
    )
    merge_tickets(source, target, agent=cast.agent, notify_requester=True)
    email = OutboundEmail.objects.get(ticket_id=target.pk, kind="merged", to="dewi@acme.test")
    link = f"/portal/requests/{target.reference}/"
    if link in email.body_text:
        assert customer_tickets(cast.developer).filter(pk=target.pk).exists(), (
            f"Dewi is sent {link}, which answers 404 for her"
        )
