"""Copying people on a ticket (CCs) from the portal and the console, as each persona may."""

from __future__ import annotations

from typing import Any

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
    listed = omar.get("/portal/requests/").content.decode()
    assert ticket.reference in listed and "copied to you" in listed
    assert "copied to you" not in client.get("/portal/requests/").content.decode()  # Dewi's own
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
    assert "You are no longer copied on" in omar.get("/portal/").content.decode()
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
        ("dewi@acme.test", "is the requester&#x27;s address"),
        ("support+1.abc@capgo.app", "the support desk&#x27;s own address"),
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
    assert "adalah alamat pemohon" in page and "Tembusan permintaan ini" in page


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
    assert "A public reply is emailed to dewi@acme.test and to the copied addresses ticked above." in page
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
    again = client.post(
        f"/console/tickets/{ticket.reference}/copied/remove/", {"email": "kim@acme.test"}, follow=True
    )
    assert "That address was not copied." in again.content.decode()
    refused = client.post(
        f"/console/tickets/{ticket.reference}/copied/", {"email": "support@capgo.app"}, follow=True
    ).content.decode()
    assert "support@capgo.app is the support desk&#x27;s own address." in refused
    assert copies.addresses(ticket) == []


def test_a_merge_carries_the_copies_to_the_surviving_ticket(cast) -> None:
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(cast.developer, "Rollback again", email="dewi@acme.test", project=cast.project)
    copies.add(source, ["kim@acme.test", "lee@acme.test"], how="agent")
    copies.add(target, ["lee@acme.test"], how="agent")
    merge_tickets(source, target, agent=cast.agent)
    assert sorted(copies.addresses(target)) == ["kim@acme.test", "lee@acme.test"]
    # Still copied on the merged one too: their old links to it lead on to the survivor.
    assert copies.addresses(source) == ["kim@acme.test", "lee@acme.test"]
    assert Event.objects.filter(ticket=target, kind="copied.added", data__how="merge").count() == 1
    # Kim, copied on the merged ticket, may still answer the conversation.
    assert may_reply(target, "Kim@acme.test", authenticated=True)
    assert not may_reply(target, "Kim@acme.test")


def test_a_merge_of_another_requesters_ticket_carries_nobody(cast, client) -> None:
    """Merging is allowed within an organization; the people one requester copied must not
    thereby read another requester's conversation."""
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(
        cast.reader, "Crash", email="rudi@acme.test", project=cast.project, body="RUDI-PRIVATE-7781"
    )
    copies.add(source, ["omar@other.test"], how="portal", person=cast.developer)
    client.force_login(cast.agent)
    confirm = client.post(
        f"/console/tickets/{source.reference}/merge/", {"into": target.reference}
    ).content.decode()
    assert "and not copied on" in confirm and "omar@other.test" in confirm
    assert "dewi@acme.test will not see" in confirm
    merge_tickets(source, target, agent=cast.agent)
    assert copies.addresses(target) == []
    omar = _as(Client(), cast.outsider)
    assert omar.get(f"/portal/requests/{target.reference}/").status_code == 404
    assert "RUDI-PRIVATE-7781" not in omar.get(f"/portal/requests/{source.reference}/").content.decode()
    # Dewi, whose request it was, is told where it went, and is offered nothing that no longer applies.
    dewi = _as(Client(), cast.developer).get(f"/portal/requests/{source.reference}/").content.decode()
    assert "Our team merged this request into another one" in dewi
    assert 'id="copied"' not in dewi and "A reply opens a new request" not in dewi
    page = client.get(f"/console/tickets/{target.reference}/").content.decode()
    assert f"Not copied here from {source.reference}, which had another requester: omar@other.test" in page


def test_a_copied_persons_old_link_to_a_merged_request_leads_to_the_survivor(cast) -> None:
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(cast.developer, "Rollback again", email="dewi@acme.test", project=cast.project)
    copies.add(source, ["omar@other.test"], how="portal", person=cast.developer)
    merge_tickets(source, target, agent=cast.agent)
    response = _as(Client(), cast.outsider).get(f"/portal/requests/{source.reference}/")
    assert response.status_code == 302 and target.reference in response["Location"]


def test_an_address_typed_with_its_name_is_copied_as_the_address(cast, client) -> None:
    ticket = _ticket(cast)
    _as(client, cast.developer)
    response = client.post(
        f"/portal/requests/{ticket.reference}/copied/", {"email": "Ana Rivera <Ana@Acme.test>"}
    )
    assert response["Location"].endswith("#copied")
    assert copies.addresses(ticket) == ["ana@acme.test"]


def test_a_suppressed_copied_address_is_shown_and_lifted_not_sent_again(cast, client) -> None:
    from capdesk.notify import suppressions
    from capdesk.notify.actions import deliver
    from capdesk.notify.models import Suppression

    ticket = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    copies.add(ticket, ["kim@acme.test"], how="agent")
    suppressions.suppress("kim@acme.test", reason=Suppression.Reason.BOUNCE)
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3")
    for email in OutboundEmail.objects.filter(ticket=ticket):
        deliver(email.pk)
    kim = OutboundEmail.objects.get(ticket=ticket, to="kim@acme.test")
    assert kim.state == "suppressed"
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    # Sending it again would only suppress it again: the card offers to lift the suppression.
    assert f"/emails/{kim.pk}/send-again/" not in page
    assert "on the suppression list" in page
    client.post(f"/console/tickets/{ticket.reference}/email-again/", {"address": "kim@acme.test"})
    assert not Suppression.objects.exists()
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert f"/emails/{kim.pk}/send-again/" in page
    # An address the ticket's replies no longer go to is neither lifted nor sent to from here.
    copies.remove(ticket, "kim@acme.test")
    suppressions.suppress("kim@acme.test", reason=Suppression.Reason.BOUNCE)
    client.post(f"/console/tickets/{ticket.reference}/email-again/", {"address": "kim@acme.test"})
    assert Suppression.objects.filter(address="kim@acme.test").exists()
    client.post(f"/console/tickets/{ticket.reference}/emails/{kim.pk}/send-again/")
    kim.refresh_from_db()
    assert kim.state == "suppressed"


def test_a_merged_ticket_has_no_copy_form(cast, client) -> None:
    source = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    target = open_for(cast.developer, "Rollback again", email="dewi@acme.test", project=cast.project)
    merge_tickets(source, target, agent=cast.agent)
    client.force_login(cast.agent)
    assert 'id="copied"' not in client.get(f"/console/tickets/{source.reference}/").content.decode()


def test_a_list_typed_in_the_copy_field_copies_each_address(cast, client) -> None:
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    client.post(
        f"/console/tickets/{ticket.reference}/copied/", {"email": "a@acme.test, Ben <b@acme.test>; c@x.test"}
    )
    assert copies.addresses(ticket) == ["a@acme.test", "b@acme.test", "c@x.test"]
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Copied on the ticket: a@acme.test, b@acme.test, c@x.test." in page
    portal = _as(Client(), cast.developer)
    portal.post(f"/portal/requests/{ticket.reference}/copied/", {"email": "d@acme.test e@acme.test"})
    assert copies.addresses(ticket)[3:] == ["d@acme.test", "e@acme.test"]


def test_someone_copied_reads_the_peoples_conversation_not_the_desks_replies_to_the_requester(
    cast, client
) -> None:
    """Standard replies speak of the requester's plan, projects and access: emailed to the
    requester alone, and shown in the portal and the API to who manages the request only."""
    from capdesk.api.actions import create_token

    ticket = _ticket(cast)
    standard = Message.objects.get(ticket=ticket, author_kind="system")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="AGENT-ANSWER-31")
    copies.add(ticket, [cast.outsider.primary_email], how="agent", user=cast.agent)
    marker = standard.body_text.splitlines()[2][:40]
    assert marker.strip()

    omar = _as(Client(), cast.outsider).get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "AGENT-ANSWER-31" in omar and marker not in omar
    dewi = _as(Client(), cast.developer).get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "AGENT-ANSWER-31" in dewi and marker in dewi

    for scope, path in (
        ("customer", "/api/customer/tickets/{}/messages"),
        ("read_only", "/api/tickets/{}/messages"),
    ):
        token = create_token(name=scope, scope=scope, person=cast.outsider).plaintext
        response = client.get(path.format(ticket.reference), headers={"Authorization": f"Bearer {token}"})
        kinds = [m["author_kind"] for m in response.json()["items"]]
        assert "system" not in kinds and "agent" in kinds, (scope, kinds)
        mine = create_token(name=scope, scope=scope, person=cast.developer).plaintext
        response = client.get(path.format(ticket.reference), headers={"Authorization": f"Bearer {mine}"})
        assert "system" in [m["author_kind"] for m in response.json()["items"]]


def test_someone_copied_is_not_told_the_policys_verdict_on_the_requester(cast, client) -> None:
    """The API's ticket rows: the requester (and their org admin) read scope, outcome and the
    requester's account; someone who sees the request only because they are copied does not."""
    from capdesk.api.actions import create_token

    ticket = _ticket(cast)
    copies.add(ticket, [cast.outsider.primary_email], how="agent", user=cast.agent)
    assert ticket.outcome and ticket.scope

    def rows(person, scope: str, path: str) -> list[dict[str, Any]]:
        token = create_token(name=scope, scope=scope, person=person).plaintext
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        items: list[dict[str, Any]] = body.get("items", [body])  # a page, or one ticket
        return items

    for scope, path in (
        ("customer", "/api/customer/tickets"),
        ("customer", f"/api/customer/tickets/{ticket.reference}"),
        ("read_only", "/api/tickets"),
        ("read_only", f"/api/tickets/{ticket.reference}"),
    ):
        (theirs,) = rows(cast.outsider, scope, path)
        assert (theirs["outcome"], theirs["scope"], theirs["requester"]) == ("", "", None), path
        assert theirs["subject"] == ticket.subject and theirs["copied"]
        (mine,) = rows(cast.developer, scope, path)
        assert mine["outcome"] == ticket.outcome and mine["requester"] == str(cast.developer.capgo_id), path
