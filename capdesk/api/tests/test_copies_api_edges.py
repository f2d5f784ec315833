"""The copies API at its edges: leave_out as typed, typos, merged requests, over-long addresses (review 61)."""

from __future__ import annotations

import pytest

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import open_ticket_for
from capdesk.notify.models import OutboundEmail
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets

pytestmark = pytest.mark.django_db

LEE = "lee@partner.test"


def _sent(ticket) -> set[str]:
    return set(
        OutboundEmail.objects.filter(ticket_id=ticket.pk, kind="agent_reply").values_list("to", flat=True)
    )


def test_it_leaves_out_an_address_written_as_the_copy_route_accepts_it(
    cast, tokens, tickets_of_both_orgs, api
) -> None:
    mine, _ = tickets_of_both_orgs
    # The copy route takes "Name <address>" (copies._clean); the same form in leave_out must match.
    assert (
        api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": [f"Lee <{LEE}>"]}).status_code
        == 200
    )
    response = api.post(
        f"/tickets/{mine.reference}/replies",
        tokens.agent,
        {"body": "Try beta.", "leave_out": [f"Lee <{LEE}>"]},
    )
    assert response.status_code == 201, response.content
    assert LEE not in _sent(mine), "the reply was emailed to the address the agent left out"


def test_it_refuses_a_leave_out_address_that_is_not_copied(cast, tokens, tickets_of_both_orgs, api) -> None:
    mine, _ = tickets_of_both_orgs
    copies.add(mine, [LEE], how="agent")
    # A typo: the agent means lee@partner.test; silently accepting it emails Lee the reply.
    response = api.post(
        f"/tickets/{mine.reference}/replies",
        tokens.agent,
        {"body": "Try beta.", "leave_out": ["lee@parter.test"]},
    )
    assert response.status_code == 422, (response.status_code, _sent(mine))
    body = response.json()
    assert set(body) == {"error"} and "lee@parter.test" in body["error"]["message"]
    assert body["error"]["code"] == "not_copied" and body["error"]["details"] == {
        "not_copied": ["lee@parter.test"]
    }
    # The requester is never left out; an internal note emails nobody.
    requester = api.post(
        f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "x", "leave_out": [mine.requester_email]}
    )
    assert requester.status_code == 422 and requester.json()["error"]["code"] == "not_copied"
    note = api.post(
        f"/tickets/{mine.reference}/replies",
        tokens.agent,
        {"body": "x", "internal": True, "leave_out": [LEE]},
    )
    assert note.status_code == 422 and note.json()["error"]["code"] == "leave_out_internal"
    assert (
        _sent(mine) == set() and not mine.messages.filter(author_kind="agent").exclude(public=False).exists()
    )


def test_a_copied_customer_is_not_told_the_reference_of_a_survivor_they_cannot_see(cast, api) -> None:
    # Dewi's request, Rudi copied on it, merged into Ana's request (another requester): Rudi is not carried.
    source = open_ticket_for(cast.developer, cast.project, "Bundle not applied")
    target = open_ticket_for(cast.org_admin, cast.project, "Ana's own request")
    copies.add(source, [cast.reader.primary_email], how="agent")
    merge_tickets(source, target, agent=cast.agent)
    rudi = create_token(name="mine", scope="customer", person=cast.reader).plaintext
    assert api.get(f"/customer/tickets/{target.reference}/messages", rudi).status_code == 404

    own = api.delete(f"/customer/tickets/{source.reference}/copied/{cast.reader.primary_email}", rudi)
    assert own.status_code == 409 and "cannot see" in own.json()["error"]["message"]
    other = api.delete(f"/customer/tickets/{source.reference}/copied/dewi@acme.test", rudi)
    assert other.status_code == 403
    for response in (own, other):
        assert target.reference not in response.content.decode(), response.content


def test_an_address_longer_than_the_column_is_refused_not_stored(
    cast, tokens, tickets_of_both_orgs, api
) -> None:
    mine, _ = tickets_of_both_orgs
    # validate_email takes up to 320 characters; Copied.email is an EmailField of 254. SQLite
    # stores it anyway, PostgreSQL raises DataError (a 500). The portal cuts its input at 254.
    long = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"
    assert len(long) > 254
    response = api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": [long]})
    assert response.status_code == 422, response.status_code
    assert response.json()["error"]["code"] == "copy_refused"
    assert copies.addresses(mine) == []


def test_an_item_naming_two_addresses_is_refused_not_cut_to_the_first(
    cast, tokens, tickets_of_both_orgs, api
) -> None:
    mine, _ = tickets_of_both_orgs
    response = api.post(
        f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": ["x1@acme.test, x2@acme.test"]}
    )
    assert response.status_code == 422 and "more than one address" in response.json()["error"]["message"]
    assert copies.addresses(mine) == []
