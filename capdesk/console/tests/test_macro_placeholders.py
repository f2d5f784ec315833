"""A macro's placeholders never reach the customer as written: refused on save, named on insert, refused on send."""

import json

import pytest

from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.notify.models import OutboundEmail
from capdesk.status import actions as status_actions
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import Message

HTMX = {"HX-Request": "true"}


@pytest.fixture
def ticket(cast):
    return ticket_actions.open_ticket(
        subject="Updates fail",
        body="Nothing downloads since this morning.",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


@pytest.fixture
def incident(db):
    return status_actions.open_incident(name="Update downloads failing", body="Looking", notify=False)


def _public_replies(ticket):
    return Message.objects.filter(ticket=ticket, author_kind="agent", public=True)


def test_it_refuses_to_save_a_macro_with_an_unknown_placeholder_and_names_it(client, cast):
    client.force_login(cast.agent)
    page = client.post("/console/macros/", {"title": "Hi", "body": "Hello {nmae}, see {reference}."})
    assert page.status_code == 200
    assert "Unknown placeholder: {nmae}." in page.content.decode()
    assert not Macro.objects.exists()


def test_it_saves_a_macro_with_known_placeholders_and_literal_braces(client, cast):
    client.force_login(cast.agent)
    body = 'Hi {name}, {incident_url}; config: {{"autoUpdate": true}} and {"a": 1}.'
    client.post("/console/macros/", {"title": "Hi", "body": body, "shared": "on"})
    assert Macro.objects.get().body == body


def test_it_names_the_placeholders_a_macro_left_unfilled_by_the_reply_box(client, cast, ticket, incident):
    client.force_login(cast.agent)
    data = json.loads(
        client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": "std:refer_status"}).content
    )
    assert data["unfilled"] == ["incident_title", "incident_started", "incident_url"]
    page = client.get(f"/console/tickets/{ticket.reference}/", {"macro": "std:refer_status"}).content.decode()
    notice = page.split('id="macro-unfilled"')[1].split("</p>")[0]
    assert "hidden" not in notice.split(">")[0]
    assert "Still to fill in before sending: {incident_title}, {incident_started}, {incident_url}." in notice
    assert "Link the ticket to its incident" in notice


def test_it_fills_the_incident_of_a_linked_ticket_and_says_nothing_is_left(client, cast, ticket, incident):
    # Only the linked incident fills these: with several open, guessing could point the customer elsewhere.
    link_incident(ticket, incident.public_id, agent=cast.agent)
    client.force_login(cast.agent)
    filled = macros.render_macro("std:refer_status", ticket, cast.agent)
    assert filled is not None and filled.unfilled == () and "Update downloads failing" in filled.body
    page = client.get(f"/console/tickets/{ticket.reference}/", {"macro": "std:refer_status"}).content.decode()
    assert 'id="macro-unfilled" role="status"' in page
    assert page.split('id="macro-unfilled"')[1].split(">")[0].rstrip().endswith("hidden")


def test_it_refuses_a_public_reply_with_a_placeholder_and_keeps_the_text_without_a_script(
    client, cast, ticket
):
    client.force_login(cast.agent)
    body = "Halo, see {incident_title} (sejak {incident_started}): {incident_url}"
    response = client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": body})
    assert response.status_code == 422
    page = response.content.decode()
    errors = page.split('id="reply-errors"')[1].split("</div>")[0]
    assert "{incident_title}, {incident_started}, {incident_url}" in errors
    assert "Halo, see {incident_title}" in page.split('id="id_body"')[1].split("</textarea>")[0]
    assert not _public_replies(ticket).exists()
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()


def test_it_refuses_a_public_reply_with_a_placeholder_over_htmx_and_leaves_the_box_alone(
    client, cast, ticket
):
    client.force_login(cast.agent)
    response = client.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": "Hi {name}, {reason}"}, headers=HTMX
    )
    assert response["HX-Retarget"] == "#reply-errors"
    assert "Fill in or remove {name}, {reason} before sending" in response.content.decode()
    assert not _public_replies(ticket).exists()


def test_it_lets_an_internal_note_hold_a_placeholder(client, cast, ticket):
    client.force_login(cast.agent)
    client.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": "Send {incident_url} later", "internal": "on"}
    )
    assert Message.objects.filter(ticket=ticket, public=False, body_text="Send {incident_url} later").exists()


@pytest.mark.parametrize(
    "body",
    [
        'Send us the config: {"a": 1, "appId": "com.acme.shop"}',
        "Use `{name}` in your template, or:\n\n```js\nconst s = `${name}`; const o = {name};\n```\n",
        "Literal {{name}} braces, and {nmae} which is no placeholder.",
    ],
)
def test_it_sends_braces_that_are_not_an_unfilled_placeholder(client, cast, ticket, body):
    client.force_login(cast.agent)
    response = client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": body})
    assert response.status_code == 302
    assert _public_replies(ticket).get().body_text == body.strip()


def test_it_names_only_exact_known_placeholders_left_in_a_reply(db):
    assert macros.placeholders_left("{incident_url} {INCIDENT_URL} { name } {name}{name} {grantors}") == [
        "incident_url",
        "name",
        "grantors",
    ]


def test_an_agents_old_macro_with_a_typo_is_still_named_when_inserted(cast, ticket):
    macro = actions.save_macro(owner=cast.agent, title="Old", body="Hi {nmae}, {reason}", shared=False)
    filled = macros.render_macro(f"m:{macro.pk}", ticket, cast.agent)
    assert filled is not None and filled.unfilled == ("nmae", "reason")
