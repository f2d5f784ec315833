import json

import pytest
from django.contrib.auth.models import User
from time_machine import travel

from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import make_user
from capdesk.tickets import actions as ticket_actions


@pytest.fixture
def ticket(cast):
    return ticket_actions.open_ticket(
        subject="Rollback question",
        body="How do I roll back?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


def test_it_fills_an_agents_macro_with_the_tickets_details(cast, ticket):
    macro = actions.save_macro(
        owner=cast.agent,
        title="Rollback",
        body="Hello {name},\n\n{reference} on {project} ({organization}, {plan}): run `npx @capgo/cli bundle list`.\n{unknown}",
        shared=True,
    )
    filled = macros.render_macro(f"m:{macro.pk}", ticket, cast.agent)
    assert filled is not None
    assert filled.body.startswith("Hello Dewi Developer,\n\n")
    assert f"{ticket.reference} on com.acme.shop (Acme Apps, Team)" in filled.body
    # What the desk cannot fill stays visible, so the agent notices.
    assert "{unknown}" in filled.body


def test_it_offers_the_policys_standard_replies_as_macros(cast, ticket):
    keys = [key for key, _title in macros.available(cast.agent)]
    assert "std:redirect_community" in keys
    filled = macros.render_macro("std:accept", ticket, cast.agent)
    assert filled is not None
    assert ticket.reference in filled.body and "com.acme.shop" in filled.body
    assert "{sla_note}" not in filled.body


def test_it_keeps_an_unshared_macro_to_its_author(cast, ticket):
    other = make_user("other", staff=True)
    assert isinstance(other, User)
    private = Macro.objects.create(owner=other, title="Mine only", body="secret", shared=False)
    assert f"m:{private.pk}" not in [key for key, _ in macros.available(cast.agent)]
    assert macros.render_macro(f"m:{private.pk}", ticket, cast.agent) is None


def test_it_puts_the_chosen_macro_in_the_reply_box_without_a_script(client, cast, ticket):
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", {"macro": "std:need_project"}).content.decode()
    assert "Hello Dewi Developer" in page.split('id="id_body"')[1].split("</textarea>")[0]


def test_it_serves_a_filled_macro_as_json_for_the_reply_box(client, cast, ticket):
    macro = actions.save_macro(owner=cast.agent, title="Hi", body="Hi {name}, see {reference}.", shared=False)
    client.force_login(cast.agent)
    response = client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": f"m:{macro.pk}"})
    assert json.loads(response.content)["body"] == f"Hi Dewi Developer, see {ticket.reference}.\n"
    assert client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": "m:999"}).status_code == 404


def test_it_lets_an_agent_write_edit_and_delete_their_macros_only(client, cast):
    client.force_login(cast.agent)
    client.post("/console/macros/", {"title": "Thanks", "body": "Thanks {name}!", "shared": "on"})
    macro = Macro.objects.get()
    client.post(f"/console/macros/?edit={macro.pk}", {"title": "Thanks", "body": "Thank you {name}!"})
    macro.refresh_from_db()
    assert macro.body == "Thank you {name}!" and not macro.shared
    client.force_login(cast.admin)
    client.post(f"/console/macros/{macro.pk}/delete/")
    assert Macro.objects.count() == 1
    client.force_login(cast.agent)
    client.post(f"/console/macros/{macro.pk}/delete/")
    assert Macro.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider"])
def test_it_keeps_macros_and_presence_from_customers(client, cast, ticket, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    assert client.get("/console/macros/").status_code == 302
    assert (
        client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": "std:accept"}).status_code == 302
    )
    assert client.post(f"/console/tickets/{ticket.reference}/presence/").status_code == 302


def test_it_tells_an_agent_who_else_is_viewing_or_replying_until_they_leave(client, cast, ticket):
    with travel("2026-11-27 10:00:00Z", tick=False) as clock:
        client.force_login(cast.admin)
        client.post(f"/console/tickets/{ticket.reference}/presence/", {"replying": "1"})
        client.force_login(cast.agent)
        data = json.loads(client.post(f"/console/tickets/{ticket.reference}/presence/").content)
        assert data["others"] == [{"name": "admin", "replying": True}]
        page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
        assert "admin is replying to this ticket." in page
        clock.shift(actions.PRESENCE_TTL.total_seconds() + 1)
        data = json.loads(client.post(f"/console/tickets/{ticket.reference}/presence/").content)
        assert data["others"] == []
