"""Assigning a ticket from its page to any agent who works its queue, or to nobody, with and without htmx."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from capdesk.console import actions as console_actions
from capdesk.console.models import Away
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas, make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Queue, Ticket

HX = {"HTTP_HX_REQUEST": "true"}


def _staff(username: str) -> User:
    """An active agent; make_user is typed for any user model, the desk's is Django's own."""
    user = make_user(username, staff=True)
    assert isinstance(user, User)
    return user


def _open(cast: Personas) -> Ticket:
    return ticket_actions.open_ticket(
        subject="Rollback loop",
        body="The app rolls back to 1.4.1.",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


def _select(html: str) -> str:
    return html.split('<select name="assignee" id="assign-assignee">')[1].split("</select>")[0]


@pytest.fixture
def agent_client(client: Client, cast) -> Client:
    client.force_login(cast.agent)
    return client


def test_it_offers_nobody_and_every_active_agent_with_the_queues_rotation_first(cast, agent_client):
    ticket = _open(cast)
    ana = _staff("ana")
    zed = _staff("zed")
    Away.objects.create(user=zed)
    gone = _staff("gone")
    gone.is_active = False
    gone.save()
    console_actions.set_rotation_membership(ticket.queue, zed, member=True)

    html = agent_client.get(f"/console/tickets/{ticket.reference}/").content.decode()

    select = _select(html)
    assert '<label for="assign-assignee">' in html
    assert select.index(">nobody<") < select.index("In this queue&#x27;s rotation")
    rotation, others = select.split("Other agents")
    assert "zed (away)" in rotation and "ana" not in rotation
    assert all(f">{name}<" in others for name in ("admin", "agent", "ana"))
    # Nobody who may not work the queue: no former agent, no customer's account.
    assert "gone" not in select and "Dewi" not in select and str(ana.pk) in select


def test_it_gives_the_ticket_to_the_chosen_agent_and_history_says_who_had_it(cast, agent_client):
    ticket = _open(cast)
    ana = _staff("ana")
    ticket_actions.assign(ticket, cast.agent, agent=cast.agent)

    response = agent_client.post(f"/console/tickets/{ticket.reference}/assign/", {"assignee": str(ana.pk)})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == ana
    event = ticket.events.filter(kind="assigned").latest("pk")
    assert event.actor_user == cast.agent
    assert event.data == {"assignee_from": cast.agent.pk, "assignee_to": ana.pk}
    page = agent_client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Assigned to ana (was: agent)" in page


def test_it_unassigns_the_ticket_when_nobody_is_chosen(cast, agent_client):
    ticket = _open(cast)
    ticket_actions.assign(ticket, cast.admin, agent=cast.admin)

    agent_client.post(f"/console/tickets/{ticket.reference}/assign/", {"assignee": ""})

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(kind="assigned").latest("pk").data["assignee_to"] is None


def test_it_answers_htmx_with_the_side_panel_and_the_history_out_of_band(cast, agent_client):
    ticket = _open(cast)
    ana = _staff("ana")

    response = agent_client.post(
        f"/console/tickets/{ticket.reference}/assign/", {"assignee": str(ana.pk)}, **HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="ticket-facts">')
    # The select now shows the new assignee as chosen.
    assert f'<option value="{ana.pk}" selected>ana</option>' in _select(html)
    history = html.split('<ul id="history-events" hx-swap-oob="true">')[1]
    assert "Assigned to ana (was: nobody)" in history.rsplit("<li", 1)[-1]


@pytest.mark.parametrize(
    "who",
    ["customer", "former agent", "no such id", "not a number"],
)
def test_it_refuses_anyone_who_may_not_work_the_queue_with_400_and_the_reason(cast, agent_client, who):
    ticket = _open(cast)
    former = _staff("former")
    former.is_active = False
    former.save()
    customer = user_for_person(cast.developer)
    value, said = {
        "customer": (str(customer.pk), f"{customer.username} cannot be given this ticket"),
        "former agent": (str(former.pk), "former cannot be given this ticket"),
        "no such id": ("999999", "There is no such agent."),
        "not a number": ("ana", "There is no such agent."),
    }[who]

    plain = agent_client.post(f"/console/tickets/{ticket.reference}/assign/", {"assignee": value})
    htmx = agent_client.post(f"/console/tickets/{ticket.reference}/assign/", {"assignee": value}, **HX)

    assert plain.status_code == 400 and htmx.status_code == 400
    reason = re.search(r'<p class="notice" role="alert">([^<]+)</p>', htmx.content.decode())
    assert reason is not None
    assert said in reason.group(1)
    assert who.startswith("no") or reason.group(1).endswith("only active agents work the Support queue.")
    # Without JavaScript the whole page comes back, with the same reason over the side panel.
    assert "<h1>" in plain.content.decode() and reason.group(1) in plain.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None and not ticket.events.filter(kind="assigned").exists()


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider", "billing_admin"])
def test_it_sends_everyone_but_agents_to_the_console_sign_in_and_changes_nothing(cast, client, who):
    ticket = _open(cast)
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))

    response = client.post(f"/console/tickets/{ticket.reference}/assign/", {"assignee": str(cast.agent.pk)})

    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_me_goes_through_the_same_action_and_a_second_click_records_nothing(cast, agent_client):
    ticket = _open(cast)

    agent_client.post(f"/console/tickets/{ticket.reference}/take/")
    agent_client.post(f"/console/tickets/{ticket.reference}/take/", **HX)

    ticket.refresh_from_db()
    assert ticket.assignee == cast.agent and ticket.status == "open"
    assert ticket.events.filter(kind="assigned").count() == 1


def test_the_action_refuses_an_account_that_is_not_an_agent(cast):
    ticket = _open(cast)
    with pytest.raises(console_actions.NotAssignable, match="only active agents"):
        console_actions.assign_ticket(ticket, user_for_person(cast.developer), agent=cast.agent)


def test_the_refusal_names_the_tickets_queue(cast):
    ticket = _open(cast)
    billing = Queue.objects.create(slug="billing", name="Billing")
    Ticket.objects.filter(pk=ticket.pk).update(queue=billing)
    ticket.refresh_from_db()
    with pytest.raises(console_actions.NotAssignable, match="the Billing queue"):
        console_actions.assign_ticket(ticket, user_for_person(cast.developer), agent=cast.agent)
