"""The API refuses a public reply that still holds a macro placeholder, as the console does."""

from capdesk.api.tests.conftest import assert_error
from capdesk.tickets.models import Message


def test_it_answers_422_to_a_public_reply_with_an_unfilled_placeholder(tokens, api, tickets_of_both_orgs):
    mine, _ = tickets_of_both_orgs
    response = api.post(f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "See {incident_url}"})
    error = assert_error(response, 422, "unfilled_placeholder")
    assert error["details"] == {"placeholders": ["incident_url"]}
    assert not Message.objects.filter(ticket=mine, public=True, author_kind="agent").exists()


def test_it_takes_the_same_text_as_an_internal_note_and_json_in_a_reply(tokens, api, tickets_of_both_orgs):
    mine, _ = tickets_of_both_orgs
    note = api.post(
        f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "See {incident_url}", "internal": True}
    )
    assert note.status_code == 201
    reply = api.post(f"/tickets/{mine.reference}/replies", tokens.agent, {"body": 'Set {"a": 1} please.'})
    assert reply.status_code == 201


def test_it_sends_the_braces_when_the_agent_says_they_are_meant(tokens, api, tickets_of_both_orgs):
    mine, _ = tickets_of_both_orgs
    body = "Write {name} in the dialog text; the plugin fills it in."
    response = api.post(
        f"/tickets/{mine.reference}/replies", tokens.agent, {"body": body, "as_written": True}
    )
    assert response.status_code == 201
    assert Message.objects.get(ticket=mine, public=True, author_kind="agent").body_text == body
