import pytest

from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Ticket


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


def test_an_agent_signs_in_with_a_password_and_sees_the_queue(client, cast, ticket):
    response = client.post("/console/login/", {"username": "agent", "password": "correct horse battery"})
    assert response.status_code == 302
    page = client.get("/console/").content.decode()
    assert ticket.reference in page
    assert "Acme Apps" in page


@pytest.mark.parametrize("who", ["anonymous", "developer", "org_admin"])
def test_only_agents_reach_the_console(client, cast, ticket, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    for url in ["/console/", f"/console/tickets/{ticket.reference}/", "/console/quarantine/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/console/login/")
    response = client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": "hijack"})
    assert response.status_code == 302
    assert ticket.messages.count() == 1


def test_an_agent_replies_and_the_reply_is_audited(client, cast, ticket):
    client.force_login(cast.agent)
    client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": "Use `capgo bundle list`."})
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket.messages.filter(author_kind="agent", public=True).count() == 1
    assert Event.objects.filter(ticket=ticket, kind="message.agent", actor_user=cast.agent).exists()


def test_the_ticket_page_shows_the_customers_context(client, cast, ticket):
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "app_developer" in page
    assert "Developer or higher" in page
    assert "com.acme.shop" in page


def test_changing_severity_needs_a_reason_and_is_audited(client, cast, ticket):
    client.force_login(cast.agent)
    client.post(f"/console/tickets/{ticket.reference}/severity/", {"severity": "urgent", "reason": ""})
    ticket.refresh_from_db()
    assert ticket.severity == "normal"
    client.post(
        f"/console/tickets/{ticket.reference}/severity/",
        {"severity": "urgent", "reason": "production down for all users"},
    )
    ticket.refresh_from_db()
    assert ticket.severity == "urgent"
    event = Event.objects.get(ticket=ticket, kind="severity.changed")
    assert event.reason == "production down for all users"
    assert event.data == {"severity_from": "normal", "severity_to": "urgent"}


def test_quarantined_requests_are_listed_with_their_reason_and_can_be_retried(client, cast, run_worker):
    from capdesk.intake import actions as intake

    receipt = intake.receive(channel="portal", raw=b"{not json", authenticated_person=cast.developer)
    run_worker()
    client.force_login(cast.agent)
    page = client.get("/console/quarantine/").content.decode()
    assert "not a JSON document" in page
    client.post(f"/console/quarantine/{receipt.request.pk}/release/")
    # Processed at once, and the page says what became of it: the same bytes fail the same way.
    assert InboundRequest.objects.get().state == InboundRequest.State.QUARANTINED
    assert Ticket.objects.count() == 0
    page = client.get("/console/quarantine/").content.decode()
    assert f"Request {receipt.request.pk} was quarantined again: not a JSON document" in page


def _decided_ticket(cast):
    from capdesk.intake import actions as intake
    from capdesk.intake.web_channel import encode_payload

    payload = {
        "kind": "new",
        "subject": "Please debug our Angular router",
        "body": "Our own app.routes.ts throws 'Cannot match any routes'. Can your team fix our app code?",
        "project": "com.acme.shop",
    }
    receipt = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        authenticated_person=cast.developer,
        claimed_sender="dewi@acme.test",
    )
    intake.process(receipt.request.pk)
    return Ticket.objects.get()


def test_the_ticket_shows_its_decision_with_each_clause_and_its_text(client, cast):
    ticket = _decided_ticket(cast)
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "redirect_community" in page
    assert "out.app_code" in page
    assert "<strong>X1</strong> general troubleshooting of the user" in page


def test_an_agent_overrides_a_decision_with_a_reason_and_both_stay_visible(client, cast):
    ticket = _decided_ticket(cast)
    client.force_login(cast.agent)
    client.post(f"/console/tickets/{ticket.reference}/override/", {"outcome": "accept", "reason": ""})
    assert ticket.decisions.count() == 1
    client.post(
        f"/console/tickets/{ticket.reference}/override/",
        {"outcome": "accept", "reason": "Known plugin bug on our side, not their code"},
    )
    ticket.refresh_from_db()
    assert ticket.outcome == "accept"
    assert ticket.status == "open"
    original, override = ticket.decisions.order_by("created_at", "id")
    assert override.overrides == original
    assert override.decided_by == cast.agent
    event = Event.objects.get(ticket=ticket, kind="decision.overridden")
    assert event.reason == "Known plugin bug on our side, not their code"
    assert event.data["outcome_from"] == "redirect_community"
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Earlier decision" in page and "Known plugin bug" in page


def test_a_customer_cannot_override_a_decision(client, cast):
    ticket = _decided_ticket(cast)
    client.force_login(user_for_person(cast.developer))
    client.post(
        f"/console/tickets/{ticket.reference}/override/", {"outcome": "accept", "reason": "let me in"}
    )
    assert ticket.decisions.count() == 1


def test_agents_see_an_incidents_linked_tickets_and_link_or_unlink_by_hand(client, cast, ticket):
    from capdesk.status import actions as status_actions

    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    client.force_login(cast.agent)
    client.post(f"/console/tickets/{ticket.reference}/incident/", {"incident": "no-such-incident"})
    ticket.refresh_from_db()
    assert ticket.incident == ""
    client.post(f"/console/tickets/{ticket.reference}/incident/", {"incident": incident.public_id})
    ticket.refresh_from_db()
    assert ticket.incident == incident.public_id
    page = client.get("/console/incidents/").content.decode()
    assert "Bundle downloads failing" in page and ticket.reference in page
    client.post(f"/console/tickets/{ticket.reference}/incident/", {"incident": ""})
    ticket.refresh_from_db()
    assert ticket.incident == ""
    assert list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True).order_by("id"))[-2:] == [
        "incident.linked",
        "incident.unlinked",
    ]


def test_a_customer_cannot_link_incidents_or_see_the_incident_list(client, cast, ticket):
    client.force_login(user_for_person(cast.developer))
    assert client.get("/console/incidents/").status_code == 302
    client.post(f"/console/tickets/{ticket.reference}/incident/", {"incident": "x"})
    ticket.refresh_from_db()
    assert ticket.incident == ""


def test_the_ticket_shows_its_sla_clock_for_a_team_customer(client, cast, ticket):
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "First response" in page
    assert "left" in page and "(goal)" in page


def test_the_side_panel_speaks_indonesian_for_the_subscription_and_the_clock(client, cast) -> None:
    from capdesk.testing.requests import file_portal_request

    ticket = file_portal_request(cast.developer, "Bundle stuck", "It never applies.", project="com.acme.shop")
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "· Aktif" in page  # the organization's subscription (active in the personas)
    assert "respons pertama" in page.lower() and " left" not in page


def test_an_agents_reply_with_a_file_over_the_limit_keeps_the_text_and_says_why(client, cast, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from capdesk.testing.requests import open_for
    from capdesk.tickets.models import Message

    settings.CAPDESK_MAX_ATTACHMENT_BYTES = 1024 * 1024
    ticket = open_for(cast.developer, "Crash log", email="dewi@acme.test", project=cast.project)
    client.force_login(cast.agent)
    big = SimpleUploadedFile("trace.bin", b"x" * (1024 * 1024 + 1))
    page = client.post(
        f"/console/tickets/{ticket.reference}/reply/",
        {"body": "Here is the patched build, try it.", "attachment": big},
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "trace.bin" in text and "1 MB" in text
    assert "Here is the patched build, try it." in text  # the reply box keeps it
    assert not Message.objects.filter(ticket=ticket, author_kind="agent").exists()
