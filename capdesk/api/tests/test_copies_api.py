"""Copying people on a ticket over the API: agents on any ticket, customers as in the portal (each persona)."""

from __future__ import annotations

import pytest

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import assert_error, open_ticket_for
from capdesk.notify.models import OutboundEmail
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.models import Event

pytestmark = pytest.mark.django_db


def customer_token(person, scope: str = "customer") -> str:
    return create_token(name="mine", scope=scope, person=person).plaintext


def test_an_agent_copies_and_uncopies_addresses(cast, tokens, tickets_of_both_orgs, api) -> None:
    mine, _ = tickets_of_both_orgs
    response = api.post(
        f"/tickets/{mine.reference}/copied",
        tokens.agent,
        {"emails": ["Kim <KIM@acme.test>", "lee@partner.test"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["copied"] == ["kim@acme.test", "lee@partner.test"]
    added = Event.objects.get(ticket=mine, kind="copied.added")
    assert added.actor_user == cast.agent and added.data["how"] == "api"
    # Again: nothing changes.
    again = api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": ["kim@acme.test"]})
    assert again.json()["copied"] == ["kim@acme.test", "lee@partner.test"]

    assert api.delete(f"/tickets/{mine.reference}/copied/KIM@acme.test", tokens.agent).status_code == 204
    assert copies.addresses(mine) == ["lee@partner.test"]
    assert_error(
        api.delete(f"/tickets/{mine.reference}/copied/kim@acme.test", tokens.agent), 404, "not_found"
    )


def test_an_address_that_may_not_be_copied_refuses_the_whole_call(
    cast, tokens, tickets_of_both_orgs, api
) -> None:
    mine, _ = tickets_of_both_orgs
    error = assert_error(
        api.post(
            f"/tickets/{mine.reference}/copied",
            tokens.agent,
            {"emails": ["kim@acme.test", mine.requester_email]},
        ),
        422,
        "copy_refused",
    )
    assert mine.requester_email in error["message"]
    assert copies.addresses(mine) == []
    assert_error(
        api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": ["not an address"]}),
        422,
        "copy_refused",
    )
    assert_error(
        api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": []}), 422, "validation_error"
    )


def test_a_merged_ticket_sends_the_caller_to_the_survivor(cast, tokens, tickets_of_both_orgs, api) -> None:
    mine, _ = tickets_of_both_orgs
    survivor = open_ticket_for(cast.developer, cast.project, "Same thing")
    merge_tickets(mine, survivor, agent=cast.agent)
    error = assert_error(
        api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": ["kim@acme.test"]}),
        409,
        "merged",
    )
    assert survivor.reference in error["message"]


def test_tokens_that_are_not_agents_may_not_use_the_staff_routes(
    cast, tokens, tickets_of_both_orgs, api
) -> None:
    mine, _ = tickets_of_both_orgs
    path = f"/tickets/{mine.reference}/copied"
    for token in (tokens.platform, tokens.status_admin, tokens.staff_reader, tokens.developer):
        assert api.post(path, token, {"emails": ["kim@acme.test"]}).status_code == 403
        assert api.delete(f"{path}/kim@acme.test", token).status_code == 403
    assert_error(api.post(path, None, {"emails": ["kim@acme.test"]}), 401, "unauthorized")
    assert copies.addresses(mine) == []


def test_an_agent_reply_leaves_out_an_address_it_names(cast, tokens, tickets_of_both_orgs, api) -> None:
    mine, _ = tickets_of_both_orgs
    copies.add(mine, ["kim@acme.test", "lee@partner.test"], how="agent")
    response = api.post(
        f"/tickets/{mine.reference}/replies",
        tokens.agent,
        {"body": "Try beta.", "leave_out": ["lee@partner.test"]},
    )
    assert response.status_code == 201, response.content
    sent = set(
        OutboundEmail.objects.filter(ticket_id=mine.pk, kind="agent_reply").values_list("to", flat=True)
    )
    assert sent == {mine.requester_email, "kim@acme.test"}


def test_the_requester_and_the_org_admin_copy_colleagues_on_a_request(
    cast, tickets_of_both_orgs, api
) -> None:
    mine, theirs = tickets_of_both_orgs
    path = f"/customer/tickets/{mine.reference}/copied"
    response = api.post(path, customer_token(cast.developer), {"emails": ["kim@acme.test"]})
    assert response.status_code == 200, response.content
    assert response.json()["copied"] == ["kim@acme.test"]
    added = Event.objects.get(ticket=mine, kind="copied.added")
    assert added.actor_person == cast.developer
    response = api.post(path, customer_token(cast.org_admin), {"emails": [cast.reader.primary_email]})
    assert response.json()["copied"] == ["kim@acme.test", cast.reader.primary_email]
    assert api.delete(f"{path}/kim@acme.test", customer_token(cast.org_admin)).status_code == 204

    # Someone who sees the request only because they are copied takes themselves off, nobody else.
    reader = customer_token(cast.reader)
    assert_error(api.post(path, reader, {"emails": ["x@acme.test"]}), 403, "forbidden")
    copies.add(mine, ["kim@acme.test"], how="agent")
    assert_error(api.delete(f"{path}/kim@acme.test", reader), 403, "forbidden")
    assert api.delete(f"{path}/{cast.reader.primary_email}", reader).status_code == 204
    assert_error(api.get(f"/customer/tickets/{mine.reference}/messages", reader), 404, "not_found")

    # The other organization's customer, and a read-only token, get nothing done.
    outsider = customer_token(cast.outsider)
    assert_error(api.post(path, outsider, {"emails": ["x@other.test"]}), 404, "not_found")
    assert_error(api.delete(f"{path}/kim@acme.test", outsider), 404, "not_found")
    read_only = customer_token(cast.developer, scope="read_only")
    assert api.post(path, read_only, {"emails": ["x@acme.test"]}).status_code == 403
    assert copies.addresses(mine) == ["kim@acme.test"]
    assert copies.addresses(theirs) == []
