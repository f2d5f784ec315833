import json

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from time_machine import travel

from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.core.models import AuditEntry
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Decision


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


def test_it_offers_the_standard_replies_an_agent_sends_by_hand_by_title_in_order(cast, ticket):
    offered = macros.available(cast.agent)[:3]
    assert offered == [
        ("std:need_project", "Ask which app the request is about"),
        ("std:deny_unregistered", "Ask for the account's registered email"),
        ("std:deny_role", "Explain that Developer access is needed"),
    ]
    assert not any(title.startswith("Standard reply") for _key, title in macros.available(cast.agent))


@pytest.mark.parametrize("reply", ["accept", "accept_premium", "accept_billing", "triage", "verify_sender"])
def test_it_does_not_offer_the_acknowledgements_the_desk_sends_on_its_own(cast, ticket, reply):
    assert f"std:{reply}" not in [key for key, _title in macros.available(cast.agent)]
    assert macros.render_macro(f"std:{reply}", ticket, cast.agent) is None


def test_it_titles_the_standard_macros_in_the_agents_language(cast, ticket):
    with translation.override("id"):
        titles = dict(macros.available(cast.agent))
    assert titles["std:deny_unregistered"] == "Minta alamat email akun yang terdaftar"


def test_it_fills_a_standard_macro_with_the_apps_and_prices_the_reply_lists(cast, ticket):
    need_project = macros.render_macro("std:need_project", ticket, cast.agent)
    offer = macros.render_macro("std:premium_lead_offer", ticket, cast.agent)
    assert need_project is not None and offer is not None
    assert "- com.acme.shop (Acme Shop, Acme Apps)" in need_project.body
    assert "{" not in offer.body  # hours, prices and the sales contact come from the policy


def test_it_names_who_can_grant_developer_access_in_the_role_macro(cast):
    reader_ticket = ticket_actions.open_ticket(
        subject="Bundle upload",
        body="How do I upload?",
        channel="portal",
        requester=cast.reader,
        requester_email="rudi@acme.test",
        project=cast.project,
    )
    filled = macros.render_macro("std:deny_role", reader_ticket, cast.agent)
    assert filled is not None
    assert "- Ana Admin" in filled.body and "{grantors}" not in filled.body


def test_it_leaves_out_the_clause_citation_of_a_reply_no_decision_chose(cast, ticket):
    # The ticket was accepted; an agent who redirects it by hand has no decision citing
    # the redirect's clauses, so the line would cite the accept's clauses, or none.
    Decision.objects.create(
        ticket=ticket,
        outcome="accept",
        scope="fix.how_to",
        group="covered",
        confidence=0.9,
        severity="normal",
        queue="support",
        reply="accept",
        clauses=["S2.2", "E1", "E4"],
    )
    filled = macros.render_macro("std:redirect_community", ticket, cast.agent)
    assert filled is not None
    assert "clauses" not in filled.body and "S2.2" not in filled.body
    assert "(C4)" in filled.body  # the policy's own citations in the text stay (POLICY.md)
    assert "{reason}" in filled.body  # the agent writes why


def test_it_cites_the_clauses_of_the_decision_that_chose_the_same_reply(cast, ticket):
    Decision.objects.create(
        ticket=ticket,
        outcome="redirect_community",
        scope="out.app_code",
        group="not_covered",
        confidence=0.9,
        severity="normal",
        queue="support",
        reply="redirect_community",
        clauses=["X1", "C4"],
    )
    filled = macros.render_macro("std:redirect_community", ticket, cast.agent)
    assert filled is not None
    assert "This decision rests on the support policy, clauses X1, C4." in filled.body


def test_it_lists_the_standard_macros_with_what_each_is_for(client, cast):
    client.force_login(cast.agent)
    page = client.get("/console/macros/").content.decode()
    standard = page.split('id="standard-macros"')[1].split("</div>")[0]
    assert "Ask for the account&#x27;s registered email" in standard
    assert "Asks the sender to write from the address registered on their Capgo account." in standard
    assert "We have your request" not in standard


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
    assert client.post(f"/console/macros/{macro.pk}/delete/").status_code == 404
    assert Macro.objects.count() == 1
    assert not AuditEntry.objects.filter(action="console.macro_deleted").exists(), "nothing was removed"
    client.force_login(cast.agent)
    client.post(f"/console/macros/{macro.pk}/delete/")
    assert Macro.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider"])
def test_it_keeps_macros_and_presence_from_customers(client, cast, ticket, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    assert client.get("/console/macros/").status_code == 302
    assert (
        client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": "std:deny_role"}).status_code
        == 302
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
