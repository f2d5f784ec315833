"""Copying on a request merged into another requester's ticket is refused (review 61)."""

from __future__ import annotations

import pytest
from django.test import Client

from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import open_for
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets

pytestmark = pytest.mark.django_db


def test_a_requester_cannot_copy_people_on_another_requesters_survivor_through_the_merged_request(
    cast,
) -> None:
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(cast.reader, "Crash", email="rudi@acme.test", project=cast.project, body="RUDI-PRIVATE")
    merge_tickets(source, target, agent=cast.agent)
    dewi = Client()
    dewi.force_login(user_for_person(cast.developer))
    assert dewi.get(f"/portal/requests/{target.reference}/").status_code == 404
    # The page hides the form (merged_away), but the endpoint still takes the POST ...
    response = dewi.post(
        f"/portal/requests/{source.reference}/copied/", {"email": "omar@other.test"}, follow=True
    )
    assert f"{source.reference} was merged into another ticket" in response.content.decode()
    assert target.reference not in response.content.decode()
    # ... and copies.add follows ticket.surviving(): Omar would now read Rudi's conversation.
    assert copies.addresses(target) == [], "Dewi copied someone on Rudi's ticket, which she cannot see"
    omar = Client()
    omar.force_login(user_for_person(cast.outsider))
    assert "RUDI-PRIVATE" not in omar.get(f"/portal/requests/{target.reference}/").content.decode()
