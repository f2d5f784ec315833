import json

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import assert_error
from capdesk.directory.models import Person
from capdesk.intake.models import InboundRequest
from capdesk.testing.factories import PersonFactory, bind, make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket


def _body(cast, **fields):
    return {
        "account_id": str(cast.developer.capgo_id),
        "subject": "Channel stuck",
        "body": "The production channel of com.acme.shop keeps serving 1.0.0.",
        "project": "com.acme.shop",
        **fields,
    }


def test_the_same_key_and_body_file_one_ticket_and_get_the_same_answer(cast, tokens, api):
    first = api.post("/tickets", tokens.platform, _body(cast), **{"Idempotency-Key": "k-1"})
    again = api.post("/tickets", tokens.platform, _body(cast), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    assert InboundRequest.objects.count() == 1


def test_the_same_document_with_other_spacing_and_key_order_is_the_same_request(cast, tokens, api):
    api.post("/tickets", tokens.platform, _body(cast), **{"Idempotency-Key": "k-1"})
    reordered = json.dumps(dict(reversed(list(_body(cast).items()))), indent=4)
    again = api.client.post(
        "/api/tickets",
        reordered,
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens.platform}", "Idempotency-Key": "k-1"},
    )
    assert again.status_code == 201
    assert Ticket.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(cast, tokens, api):
    api.post("/tickets", tokens.platform, _body(cast), **{"Idempotency-Key": "k-1"})
    other = api.post(
        "/tickets", tokens.platform, _body(cast, subject="Another"), **{"Idempotency-Key": "k-1"}
    )
    assert_error(other, 422, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


def test_without_a_key_each_call_files_a_new_request(cast, tokens, api):
    api.post("/tickets", tokens.platform, _body(cast))
    api.post("/tickets", tokens.platform, _body(cast))
    assert Ticket.objects.count() == 2


def test_keys_belong_to_their_token(cast, tokens, api):
    second_platform = create_token(name="p2", scope="platform", user=make_user("p2")).plaintext
    api.post("/tickets", tokens.platform, _body(cast), **{"Idempotency-Key": "same"})
    api.post("/tickets", second_platform, _body(cast), **{"Idempotency-Key": "same"})
    assert Ticket.objects.count() == 2


def test_a_create_that_failed_can_be_retried_with_its_key(cast, tokens, api):
    newcomer = "8b0b7a3e-2f76-4c1b-9a57-0c2d7c9f1e11"
    body = _body(cast, account_id=newcomer)
    assert_error(
        api.post("/tickets", tokens.platform, body, **{"Idempotency-Key": "k-9"}), 422, "unknown_account"
    )
    person = PersonFactory.create(capgo_id=newcomer, email="new@acme.test")
    bind(person, "app_developer", project=cast.project)
    retried = api.post("/tickets", tokens.platform, body, **{"Idempotency-Key": "k-9"})
    assert retried.status_code == 201
    assert Ticket.objects.get().requester == Person.objects.get(capgo_id=newcomer)


def test_a_retried_reply_is_sent_once(cast, tokens, api):
    ticket = ticket_actions.open_ticket(
        subject="Q", body="Q?", channel="portal", requester=cast.developer, requester_email="dewi@acme.test"
    )
    path = f"/tickets/{ticket.reference}/replies"
    first = api.post(path, tokens.agent, {"body": "Answer"}, **{"Idempotency-Key": "r-1"})
    again = api.post(path, tokens.agent, {"body": "Answer"}, **{"Idempotency-Key": "r-1"})
    assert first.json() == again.json()
    assert Message.objects.filter(ticket=ticket, author_kind="agent").count() == 1


def test_a_key_used_on_another_operation_is_refused(cast, tokens, api):
    ticket = ticket_actions.open_ticket(
        subject="Q", body="Q?", channel="portal", requester=cast.developer, requester_email="dewi@acme.test"
    )
    api.post("/tickets", tokens.agent, _body(cast), **{"Idempotency-Key": "k"})
    reply = api.post(
        f"/tickets/{ticket.reference}/replies", tokens.agent, _body(cast), **{"Idempotency-Key": "k"}
    )
    assert_error(reply, 422, "idempotency_key_reused")
