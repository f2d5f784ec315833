"""Copying people on a ticket (CCs) from the portal and the console, as each persona may."""

from __future__ import annotations

import pytest
from django.test import Client

from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import file_portal_request, open_for
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.merging import may_reply, merge_tickets
from capdesk.tickets.models import Event, Message, Ticket

pytestmark = pytest.mark.django_db

MARK = "COPIED-4f2a"


def _ticket(cast) -> Ticket:
    return file_portal_request(
        cast.developer,
        "Bundle not applied",
        f"Bundle 1.4.2 is never applied. {MARK}",
        project="com.acme.shop",
    )


def _as(client: Client, person) -> Client:
    client.force_login(user_for_person(person))
    return client


def test_the_requester_copies_a_colleague_of_another_organization_who_then_follows_it(cast, client) -> None:
    ticket = _ticket(cast)
    _as(client, cast.developer)
    response = client.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "Omar@Other.test"})
    assert response.status_code == 302
    assert copies.addresses(ticket) == ["omar@other.test"]
    page = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "omar@other.test" in page and "Copy a colleague" in page

    # Omar, signed in with his own account, finds it, reads it and answers it.
    omar = _as(Client(), cast.outsider)
    assert MARK not in omar.get("/portal/requests/").content.decode()  # the list shows subjects
    assert ticket.reference in omar.get("/portal/requests/").content.decode()
    page = omar.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert MARK in page
    assert "Stop copying me" in page and "Copy a colleague" not in page
    omar.post(
        f"/portal/requests/{ticket.reference}/reply/", {"body": "Same on our side.", "idempotency_key": "k1"}
    )
    reply = Message.objects.filter(ticket=ticket, author_person=cast.outsider).first()
    assert reply is not None and reply.body_text == "Same on our side."

    # He may not copy others, nor take the requester's colleagues off it.
    assert (
        omar.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "x@other.test"}).status_code
        == 403
    )
    copies.add(ticket, ["kim@acme.test"], how="agent")
    response = omar.post(f"/portal/requests/{ticket.reference}/copied/remove/", {"email": "kim@acme.test"})
    assert response.status_code == 403
    # He takes himself off, and the request is no longer his to see.
    response = omar.post(f"/portal/requests/{ticket.reference}/copied/remove/", {"email": "omar@other.test"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert copies.addresses(ticket) == ["kim@acme.test"]
    assert omar.get(f"/portal/requests/{ticket.reference}/").status_code == 404
    removed = Event.objects.get(ticket=ticket, kind="copied.removed")
    assert removed.actor_person == cast.outsider and removed.data == {"email": "omar@other.test"}


def test_people_not_copied_see_nothing_and_copy_nobody(cast, client) -> None:
    ticket = _ticket(cast)
    copies.add(ticket, ["kim@acme.test"], how="agent")
    for person in (cast.reader, cast.outsider, cast.billing_admin):
        other = _as(Client(), person)
        assert other.get(f"/portal/requests/{ticket.reference}/").status_code == 404
        assert (
            other.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "a@b.test"}).status_code
            == 404
        )
        response = other.post(
            f"/portal/requests/{ticket.reference}/copied/remove/", {"email": "kim@acme.test"}
        )
        assert response.status_code == 404
    assert copies.addresses(ticket) == ["kim@acme.test"]


def test_the_organizations_admin_manages_copies(cast, client) -> None:
    ticket = _ticket(cast)
    admin = _as(client, cast.org_admin)
    admin.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "kim@acme.test"})
    admin.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "lee@acme.test"})
    admin.post(f"/portal/requests/{ticket.reference}/copied/remove/", {"email": "kim@acme.test"})
    assert copies.addresses(ticket) == ["lee@acme.test"]


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("dewi@acme.test", "is the requester"),
        ("support+1.abc@capgo.app", "the desk&#x27;s own address"),
        ("no-reply@acme.test", "automatic mailbox"),
        ("not an address", "is not an email address"),
    ],
)
def test_the_portal_says_why_an_address_is_not_copied(cast, client, address: str, said: str) -> None:
    ticket = _ticket(cast)
    _as(client, cast.developer)
    response = client.post(f"/portal/requests/{ticket.reference}/copied/", {"email": address}, follow=True)
    assert said in response.content.decode()
    assert copies.addresses(ticket) == []


def test_the_portal_says_it_in_indonesian(cast, client) -> None:
    ticket = _ticket(cast)
    _as(client, cast.developer)
    client.cookies["django_language"] = "id"
    response = client.post(
        f"/portal/requests/{ticket.reference}/copied/",
        {"email": "dewi@acme.test"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="id",
    )
    page = response.content.decode()
    assert "adalah pemohon" in page and "Disalin pada permintaan ini" in page


def test_the_limit_holds_in_the_portal(cast, client, settings) -> None:
    settings.CAPDESK_MAX_COPIED = 1
    ticket = _ticket(cast)
    _as(client, cast.developer)
    client.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "kim@acme.test"})
    response = client.post(
        f"/portal/requests/{ticket.reference}/copied/", {"email": "lee@acme.test"}, follow=True
    )
    assert "at most 1 copied addresses" in response.content.decode()
    assert copies.addresses(ticket) == ["kim@acme.test"]


def test_an_agent_copies_and_uncopies_from_the_ticket_page(cast, client) -> None:
    ticket = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    client.force_login(cast.agent)
    page = client.post(
        f"/console/tickets/{ticket.reference}/copied/", {"email": "kim@acme.test"}, follow=True
    ).content.decode()
    assert "kim@acme.test is copied on the ticket." in page
    assert "Copied on the ticket: kim@acme.test" in page  # the History
    assert "A public reply is emailed to dewi@acme.test and 1 copied address." in page
    message = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3")
    # The message shows a delivery line for each of its emails.
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert f'id="delivery-{message.pk}"' in page
    kim = OutboundEmail.objects.get(to="kim@acme.test")
    assert (
        f'id="delivery-{message.pk}-{kim.pk}"' in page and "Waiting to be emailed to kim@acme.test." in page
    )
    page = client.post(
        f"/console/tickets/{ticket.reference}/copied/remove/", {"email": "KIM@acme.test"}, follow=True
    ).content.decode()
    assert "No longer copied on the ticket: kim@acme.test" in page
    assert Event.objects.get(ticket=ticket, kind="copied.removed").actor_user == cast.agent
    refused = client.post(
        f"/console/tickets/{ticket.reference}/copied/", {"email": "support@capgo.app"}, follow=True
    ).content.decode()
    assert "support@capgo.app is the desk&#x27;s own address." in refused
    assert copies.addresses(ticket) == []


def test_a_merge_carries_the_copies_to_the_surviving_ticket(cast) -> None:
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(cast.developer, "Rollback again", email="dewi@acme.test", project=cast.project)
    copies.add(source, ["kim@acme.test", "lee@acme.test"], how="agent")
    copies.add(target, ["lee@acme.test"], how="agent")
    merge_tickets(source, target, agent=cast.agent)
    assert copies.addresses(source) == []
    assert sorted(copies.addresses(target)) == ["kim@acme.test", "lee@acme.test"]
    assert Event.objects.filter(ticket=target, kind="copied.added", data__how="merge").count() == 1
    # Kim, copied on the merged ticket, may still answer the conversation.
    assert may_reply(target, "Kim@acme.test")
