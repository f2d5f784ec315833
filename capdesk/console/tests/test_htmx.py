"""htmx fragments: the same views answer a part of the page when htmx asks, and the whole page otherwise."""

from __future__ import annotations

import pytest
from django.test import Client

from capdesk.testing.factories import Personas
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket

HX = {"HTTP_HX_REQUEST": "true"}


def _open(cast: Personas, subject: str = "Rollback loop") -> Ticket:
    return ticket_actions.open_ticket(
        subject=subject,
        body="The app rolls back to 1.4.1.",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


@pytest.fixture
def agent_client(client: Client, cast) -> Client:
    client.force_login(cast.agent)
    return client


def test_a_reply_posted_by_htmx_comes_back_as_the_new_message_and_the_side_panel(cast, agent_client):
    ticket = _open(cast)

    response = agent_client.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": "Try `npx @capgo/cli`."}, **HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<article") and "npx @capgo/cli" in html
    assert 'id="ticket-facts" hx-swap-oob="true"' in html and "Pending customer" in html
    assert 'id="flash" role="status" aria-live="polite" hx-swap-oob="true"' in html and "Reply sent." in html
    assert "<html" not in html
    assert ticket.messages.filter(author_kind="agent").count() == 1


def test_the_same_reply_without_javascript_redirects_to_the_ticket_page(cast, agent_client):
    ticket = _open(cast)

    response = agent_client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": "Hello"})

    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{ticket.reference}/"


def test_an_empty_reply_by_htmx_is_shown_above_the_reply_box_and_nothing_is_sent(cast, agent_client):
    ticket = _open(cast)

    response = agent_client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": ""}, **HX)

    assert response["HX-Retarget"] == "#reply-errors"
    assert "empty or too long" in response.content.decode()
    assert ticket.messages.count() == 1


def test_assigning_and_changing_status_by_htmx_redraw_the_side_panel(cast, agent_client):
    ticket = _open(cast)

    taken = agent_client.post(f"/console/tickets/{ticket.reference}/take/", **HX).content.decode()
    solved = agent_client.post(f"/console/tickets/{ticket.reference}/status/", {"status": "solved"}, **HX)

    # The Assignee fact, not the assign select, which names every agent either way.
    assert taken.startswith('<div id="ticket-facts">') and "<dt>Assignee</dt><dd>agent</dd>" in taken
    assert "Solved" in solved.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == cast.agent and ticket.status == "solved"
    # The History list comes along out of band, ending with the change just made.
    history = (
        solved.content.decode().split('<ul id="history-events" hx-swap-oob="true">')[1].split("</ul>")[0]
    )
    last = ticket.events.order_by("created_at", "pk").last()
    assert last is not None and last.kind in history.rsplit("<li>", 1)[-1]
    assert "assigned" in taken.split('id="history-events"')[1]


def test_a_severity_change_without_a_reason_says_so_in_the_side_panel(cast, agent_client):
    ticket = _open(cast)
    response = agent_client.post(
        f"/console/tickets/{ticket.reference}/severity/", {"severity": "urgent"}, **HX
    )
    assert "needs a reason" in response.content.decode()


def test_the_list_answers_htmx_with_its_rows_only_and_varies_on_the_header(cast, agent_client):
    _open(cast, "Rollback loop")
    _open(cast, "Invoice VAT")

    rows = agent_client.get("/console/", {"q": "", "status": "new"}, **HX)
    page = agent_client.get("/console/", {"status": "new"})

    assert rows.content.decode().lstrip().startswith("<tr")
    assert "Rollback loop" in rows.content.decode() and "<h1>" not in rows.content.decode()
    assert "<h1>" in page.content.decode()
    assert "HX-Request" in rows["Vary"] and "HX-Request" in page["Vary"]


def test_a_history_restore_by_htmx_gets_the_whole_page(cast, agent_client):
    response = agent_client.get("/console/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<h1>" in response.content.decode()


def test_the_fragments_take_a_fixed_number_of_queries(cast, agent_client, django_assert_max_num_queries):
    tickets = [_open(cast, f"Rollback {n}") for n in range(12)]
    ticket = tickets[0]
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Earlier answer")

    # Baselines measured on 12 tickets: the action's own writes (message, event, SLA, outbox,
    # webhooks, who is copied) and then the fragment: the message and its files and emails, facts,
    # roles and SLA clocks.
    with django_assert_max_num_queries(23):
        agent_client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": "More"}, **HX)
    with django_assert_max_num_queries(16):
        agent_client.post(f"/console/tickets/{ticket.reference}/status/", {"status": "open"}, **HX)
    # The rows: no query per ticket (organization, project, assignee and queue are joined).
    with django_assert_max_num_queries(4):
        agent_client.get("/console/", {"status": "open"}, **HX)
