"""Copying colleagues while filing a request, in the portal and over the API (as an email's Cc does)."""

from __future__ import annotations

import uuid

import pytest

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import Api, assert_error
from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.tickets import copies
from capdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db


def _new(client, **fields):
    data = {
        "subject": "Bundle never downloads",
        "severity": "normal",
        "project": "com.acme.shop",
        "idempotency_key": uuid.uuid4().hex,
        "body": "[CapacitorUpdater] No new version available on the production channel.",
        **fields,
    }
    return client.post("/portal/requests/new/", data)


def test_the_requester_copies_colleagues_on_a_new_request(cast, client) -> None:
    client.force_login(user_for_person(cast.developer))
    assert 'name="copied"' in client.get("/portal/requests/new/").content.decode()
    response = _new(client, copied="Kim <KIM@acme.test>; lee@partner.test dewi@acme.test,\nkim@acme.test")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    # Their own address is not copied (they are the requester), nor anything twice.
    assert copies.addresses(ticket) == ["kim@acme.test", "lee@partner.test"]
    added = Event.objects.get(ticket=ticket, kind="copied.added")
    assert added.actor_person == cast.developer and added.data["how"] == "portal"
    page = client.get(response["Location"]).content.decode()
    assert "lee@partner.test" in page


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("kim@acme.test, not-an-address", "is not an email address"),
        ("support@liveupdate.example", "own address"),
        ("no-reply@partner.test", "automatic mailbox"),
    ],
)
def test_an_address_that_may_not_be_copied_sends_the_form_back_and_files_nothing(
    cast, client, settings, typed, said
) -> None:
    settings.CAPDESK_SUPPORT_ADDRESS = "support@liveupdate.example"
    client.force_login(user_for_person(cast.developer))
    response = _new(client, copied=typed)
    assert response.status_code == 200
    assert said in response.content.decode()
    assert not InboundRequest.objects.exists() and not Ticket.objects.exists()


def test_more_than_the_limit_is_refused(cast, client, settings) -> None:
    settings.CAPDESK_MAX_COPIED = 2
    client.force_login(user_for_person(cast.developer))
    response = _new(client, copied="a@acme.test, b@acme.test, c@acme.test")
    assert response.status_code == 200 and "at most 2 copied addresses" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_forged_payload_copies_only_what_may_be_copied(cast) -> None:
    """The form checks; the handler cleans again whatever reaches it."""
    from capdesk.intake import actions as intake
    from capdesk.intake.web_channel import encode_payload

    payload = {
        "kind": "new",
        "subject": "Hi",
        "body": "Bundle 1.2 never applied.",
        "project": "com.acme.shop",
        "copied": ["kim@acme.test", "mailer-daemon@x.test", "dewi@acme.test", "junk"],
    }
    receipt = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        idempotency_key="forged-1",
        claimed_sender="dewi@acme.test",
        authenticated_person=cast.developer,
    )
    intake.process(receipt.request.pk)
    assert copies.addresses(Ticket.objects.get()) == ["kim@acme.test"]


def test_a_request_filed_over_the_api_copies_colleagues(cast, client) -> None:
    from capdesk.testing.factories import make_user

    api = Api(client)
    platform = create_token(name="platform", scope="platform", user=make_user("capgo-platform")).plaintext
    body = {
        "account_id": str(cast.developer.capgo_id),
        "subject": "Bundle never downloads",
        "body": "[CapacitorUpdater] No new version available.",
        "project": "com.acme.shop",
    }
    assert_error(
        api.post("/tickets", platform, {**body, "copied": ["kim@acme.test", "postmaster@acme.test"]}),
        422,
        "copy_refused",
    )
    assert not InboundRequest.objects.exists()
    response = api.post("/tickets", platform, {**body, "copied": ["kim@acme.test", "Lee <lee@partner.test>"]})
    assert response.status_code == 201, response.content
    assert response.json()["copied"] == ["kim@acme.test", "lee@partner.test"]
    assert Event.objects.get(kind="copied.added").data["how"] == "api"
