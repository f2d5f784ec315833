"""/api/customer/: a customer (or Capgo's dashboard for them) lists their requests and replies, scoped as the portal."""

import time
import uuid

import jwt
import pytest

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import assert_error
from capdesk.intake.models import InboundRequest
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message

DASHBOARD_KEY = "a-shared-secret-for-the-customer-api-tests-32b"


@pytest.fixture
def requests(cast, tickets_of_both_orgs):
    mine, theirs = tickets_of_both_orgs
    ticket_actions.reply_as_agent(mine, agent=cast.agent, body="Which bundle version?")
    return mine, theirs


def customer_token(person):
    return create_token(name="mine", scope="customer", person=person).plaintext


@pytest.fixture
def dashboard(settings, cast):
    """Capgo's dashboard: its platform token, and a fresh signed identity for each call."""
    settings.CAPDESK_DASHBOARD_JWT_KEY = DASHBOARD_KEY
    settings.CAPDESK_DASHBOARD_JWT_ALGORITHMS = ["HS256"]
    from capdesk.testing.factories import make_user

    platform = create_token(name="platform", scope="platform", user=make_user("capgo-platform")).plaintext

    def identity(person, **claims):
        now = int(time.time())
        signed = {
            "sub": str(person.capgo_id),
            "aud": "capdesk",
            "iss": "https://console.capgo.app",
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return {"X-Capgo-Identity": jwt.encode(signed, DASHBOARD_KEY, algorithm="HS256")}

    return platform, identity


def _references(response):
    assert response.status_code == 200, response.content
    return [t["reference"] for t in response.json()["items"]]


def test_a_developer_lists_only_their_own_requests(cast, requests, api):
    mine, _ = requests
    assert _references(api.get("/customer/tickets", customer_token(cast.developer))) == [mine.reference]


def test_a_customer_of_another_org_sees_none_of_them_and_cannot_reply(cast, requests, api):
    mine, theirs = requests
    token = customer_token(cast.outsider)
    assert _references(api.get("/customer/tickets", token)) == [theirs.reference]
    assert_error(api.get(f"/customer/tickets/{mine.reference}", token), 404, "not_found")
    assert api.get(f"/customer/tickets/{theirs.reference}", token).json()["reference"] == theirs.reference
    assert_error(api.get(f"/customer/tickets/{mine.reference}/messages", token), 404, "not_found")
    assert_error(
        api.post(f"/customer/tickets/{mine.reference}/replies", token, {"body": "Hi"}), 404, "not_found"
    )
    assert not InboundRequest.objects.exists(), "nothing is stored for a ticket they cannot see"


def test_an_app_reader_on_the_project_does_not_see_a_colleagues_request(cast, requests, api):
    mine, _ = requests
    token = customer_token(cast.reader)
    assert _references(api.get("/customer/tickets", token)) == []
    assert_error(
        api.post(f"/customer/tickets/{mine.reference}/replies", token, {"body": "Hi"}), 404, "not_found"
    )


def test_an_org_admin_sees_the_organizations_requests_as_in_the_portal(cast, requests, api):
    mine, _ = requests
    assert _references(api.get("/customer/tickets", customer_token(cast.org_admin))) == [mine.reference]


def test_the_conversation_leaves_out_internal_notes(cast, requests, api):
    mine, _ = requests
    response = api.get(f"/customer/tickets/{mine.reference}/messages", customer_token(cast.developer))
    bodies = [m["body_text"] for m in response.json()["items"]]
    assert "Which bundle version?" in bodies
    assert not any("INTERNAL" in b for b in bodies)


def test_a_developer_replies_through_intake_once_per_idempotency_key(cast, requests, api):
    mine, _ = requests
    token = customer_token(cast.developer)
    path = f"/customer/tickets/{mine.reference}/replies"
    first = api.post(path, token, {"body": "Bundle 1.2.3"}, **{"Idempotency-Key": "r-1"})
    again = api.post(path, token, {"body": "Bundle 1.2.3"}, **{"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201, first.content
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    inbound = InboundRequest.objects.get()
    assert (inbound.channel, inbound.authenticated_person, inbound.state) == (
        "api",
        cast.developer,
        InboundRequest.State.PROCESSED,
    )
    message = Message.objects.get(source=inbound)
    assert (message.ticket, message.author_kind, message.author_person) == (
        mine,
        Message.Author.CUSTOMER,
        cast.developer,
    )
    assert first.json()["id"] == message.pk
    mine.refresh_from_db()
    assert mine.status == "open", "the customer wrote again: back to the agents"


def test_a_read_only_token_reads_but_cannot_reply(cast, requests, api):
    mine, _ = requests
    token = create_token(name="ro", scope="read_only", person=cast.developer).plaintext
    assert _references(api.get("/customer/tickets", token)) == [mine.reference]
    assert_error(
        api.post(f"/customer/tickets/{mine.reference}/replies", token, {"body": "Hi"}), 403, "forbidden"
    )


def test_staff_and_status_tokens_are_sent_to_their_own_routes(cast, tokens, requests, api):
    for token in (tokens.agent, tokens.staff_reader, tokens.status_admin):
        assert api.get("/customer/tickets", token).status_code == 403


def test_the_dashboard_acts_for_the_customer_its_identity_token_names(cast, requests, api, dashboard):
    mine, theirs = requests
    platform, identity = dashboard
    listed = api.get("/customer/tickets", platform, **identity(cast.outsider, email="omar@other.test"))
    assert _references(listed) == [theirs.reference]
    response = api.post(
        f"/customer/tickets/{mine.reference}/replies",
        platform,
        {"body": "From the dashboard"},
        **identity(cast.developer),
    )
    assert response.status_code == 201, response.content
    assert Message.objects.get(body_text="From the dashboard").author_email == "dewi@acme.test"


def test_the_platform_token_alone_names_no_customer(cast, requests, api, dashboard):
    platform, identity = dashboard
    assert_error(api.get("/customer/tickets", platform), 401, "identity_required")
    forged = identity(cast.developer)
    forged["X-Capgo-Identity"] = jwt.encode(
        {"sub": str(cast.developer.capgo_id)}, "not-the-key-but-as-long-as-a-real-one-32b", algorithm="HS256"
    )
    assert_error(api.get("/customer/tickets", platform, **forged), 401, "invalid_identity")


def test_an_identity_token_is_used_once(cast, requests, api, dashboard):
    platform, identity = dashboard
    once = identity(cast.developer)
    assert api.get("/customer/tickets", platform, **once).status_code == 200
    assert_error(api.get("/customer/tickets", platform, **once), 401, "invalid_identity")


def test_a_reader_copied_on_a_colleagues_request_sees_it_with_who_is_copied(cast, requests, api):
    """Copying (tickets.copies) opens one request to the copied person, and only that one."""
    from capdesk.tickets import copies

    mine, _ = requests
    token = customer_token(cast.reader)
    copies.add(mine, [cast.reader.primary_email, "kim@acme.test"], how="agent")
    response = api.get("/customer/tickets", token)
    assert _references(response) == [mine.reference]
    assert response.json()["items"][0]["copied"] == [cast.reader.primary_email, "kim@acme.test"]
    reply = api.post(f"/customer/tickets/{mine.reference}/replies", token, {"body": "Same here"})
    assert reply.status_code in (201, 202), reply.content
    copies.remove(mine, cast.reader.primary_email)
    assert _references(api.get("/customer/tickets", token)) == []


def test_a_reply_to_a_closed_request_says_which_ticket_it_went_to(cast, tickets_of_both_orgs, api):
    """It opens a follow-up (tickets.follow_ups): the answer names it, and the follow-up names the closed one."""
    from capdesk.tickets.models import Status, Ticket

    mine, _ = tickets_of_both_orgs
    ticket_actions.change_status(mine, Status.CLOSED, agent=cast.agent)
    token = customer_token(cast.developer)
    response = api.post(
        f"/customer/tickets/{mine.reference}/replies",
        token,
        {"body": "It is back"},
        **{"Idempotency-Key": "z-1"},
    )
    assert response.status_code == 201, response.content
    follow_up = Ticket.objects.get(follow_up_of=mine)
    assert response.json()["ticket"] == follow_up.reference
    listed = api.get("/customer/tickets", token).json()["items"]
    assert {t["reference"]: t["follow_up_of"] for t in listed}[follow_up.reference] == mine.reference
