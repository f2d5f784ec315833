from capdesk.api.tests.conftest import assert_error, open_ticket_for
from capdesk.intake.models import InboundRequest
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Message, Ticket


def _new(cast, **fields):
    return {
        "account_id": str(cast.developer.capgo_id),
        "subject": "Live update not applied",
        "body": "Since bundle 1.2.3 the update is downloaded but never applied on com.acme.shop.",
        "project": "com.acme.shop",
        "severity": "high",
        **fields,
    }


def test_it_files_a_platform_request_through_intake_under_the_policy(cast, tokens, api):
    response = api.post("/tickets", tokens.platform, _new(cast))
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(body["reference"]) or 0)
    inbound = InboundRequest.objects.get()
    assert inbound.channel == "api"
    assert inbound.state == InboundRequest.State.PROCESSED
    assert inbound.authenticated_person == cast.developer
    assert inbound.ticket == ticket
    assert ticket.channel == "api"
    assert ticket.requester == cast.developer
    assert ticket.project == cast.project
    assert ticket.decisions.count() == 1
    assert body["outcome"] == ticket.outcome != ""
    assert body["project"] == "com.acme.shop"
    assert body["organization"] == str(cast.org.capgo_id)


def test_a_request_naming_a_project_of_another_organization_is_stored_and_quarantined(cast, tokens, api):
    response = api.post("/tickets", tokens.platform, _new(cast, project="com.other.app"))
    assert response.status_code == 202
    assert response.json()["state"] == "quarantined"
    assert "does not belong" in response.json()["reason"]
    assert Ticket.objects.count() == 0
    assert InboundRequest.objects.get().state == InboundRequest.State.QUARANTINED


def test_it_refuses_an_unknown_account_or_an_address_not_registered_on_it(cast, tokens, api):
    unknown = api.post(
        "/tickets", tokens.platform, _new(cast, account_id="00000000-0000-4000-8000-000000000000")
    )
    assert_error(unknown, 422, "unknown_account")
    foreign = api.post("/tickets", tokens.platform, _new(cast, email="omar@other.test"))
    assert_error(foreign, 422, "unregistered_email")
    assert InboundRequest.objects.count() == 0


def test_only_platform_and_agent_tokens_file_requests(cast, tokens, api):
    for token in (tokens.developer, tokens.staff_reader, tokens.status_admin):
        assert_error(api.post("/tickets", token, _new(cast)), 403, "forbidden")
    assert api.post("/tickets", tokens.agent, _new(cast)).status_code == 201


def test_the_platform_reads_tickets_as_the_account_it_names(cast, tokens, api, tickets_of_both_orgs):
    mine, theirs = tickets_of_both_orgs
    as_dewi = api.get(f"/tickets?account_id={cast.developer.capgo_id}", tokens.platform).json()
    assert [t["reference"] for t in as_dewi["items"]] == [mine.reference]
    as_omar = api.get(f"/tickets?account_id={cast.outsider.capgo_id}", tokens.platform).json()
    assert [t["reference"] for t in as_omar["items"]] == [theirs.reference]
    not_his = api.get(f"/tickets/{mine.reference}?account_id={cast.outsider.capgo_id}", tokens.platform)
    assert_error(not_his, 404, "not_found")
    assert_error(api.get("/tickets", tokens.platform), 422, "account_id_required")


def test_a_customer_token_sees_only_their_tickets_and_never_an_internal_note(
    cast, tokens, api, tickets_of_both_orgs
):
    mine, theirs = tickets_of_both_orgs
    listed = api.get("/tickets", tokens.developer).json()
    assert [t["reference"] for t in listed["items"]] == [mine.reference]
    assert_error(api.get(f"/tickets/{theirs.reference}", tokens.developer), 404, "not_found")
    conversation = api.get(f"/tickets/{mine.reference}/messages", tokens.developer)
    assert conversation.status_code == 200
    assert "INTERNAL" not in conversation.content.decode()
    assert [m["author_kind"] for m in conversation.json()["items"]] == ["customer"]


def test_an_agent_token_sees_every_ticket_and_the_internal_notes(cast, tokens, api, tickets_of_both_orgs):
    mine, theirs = tickets_of_both_orgs
    listed = api.get("/tickets", tokens.agent).json()
    assert {t["reference"] for t in listed["items"]} == {mine.reference, theirs.reference}
    notes = api.get(f"/tickets/{mine.reference}/messages", tokens.agent).json()["items"]
    assert [(m["author_kind"], m["public"]) for m in notes] == [("customer", True), ("agent", False)]
    staff_reader = api.get(f"/tickets/{mine.reference}/messages", tokens.staff_reader).json()["items"]
    assert [m["public"] for m in staff_reader] == [True]


def test_it_pages_with_a_cursor_without_repeating_or_skipping_a_ticket(cast, tokens, api):
    made = [open_ticket_for(cast.developer, cast.project, f"Question {n}") for n in range(5)]
    seen, cursor = [], None
    for _ in range(5):
        path = "/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path, tokens.agent).json()
        seen += [t["reference"] for t in page["items"]]
        # A ticket filed between two pages does not shift the pages already served.
        if not cursor:
            open_ticket_for(cast.developer, cast.project, "Filed meanwhile")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t.reference for t in reversed(made)]


def test_it_filters_tickets(cast, tokens, api, tickets_of_both_orgs):
    mine, theirs = tickets_of_both_orgs
    ticket_actions.change_status(theirs, "solved", agent=cast.agent)
    solved = api.get("/tickets?status=solved", tokens.agent).json()["items"]
    assert [t["reference"] for t in solved] == [theirs.reference]
    acme = api.get("/tickets?project=com.acme.shop", tokens.agent).json()["items"]
    assert [t["reference"] for t in acme] == [mine.reference]
    by_org = api.get(f"/tickets?organization={cast.org.capgo_id}", tokens.agent).json()["items"]
    assert [t["reference"] for t in by_org] == [mine.reference]
    assert_error(api.get("/tickets?status=bogus", tokens.agent), 422, "validation_error")


def test_an_agent_token_replies_as_its_owner_and_the_reply_is_audited(
    cast, tokens, api, tickets_of_both_orgs
):
    mine, _ = tickets_of_both_orgs
    response = api.post(
        f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "Run `npx @capgo/cli doctor`."}
    )
    assert response.status_code == 201
    assert response.json()["author"] == "agent"
    message = Message.objects.get(pk=response.json()["id"])
    assert message.author_user == cast.agent
    assert message.public
    assert Event.objects.filter(ticket=mine, kind="message.agent", actor_user=cast.agent).exists()
    mine.refresh_from_db()
    assert mine.status == "pending"


def test_an_agent_token_changes_a_status_with_a_reason_in_the_audit_trail(
    cast, tokens, api, tickets_of_both_orgs
):
    mine, _ = tickets_of_both_orgs
    response = api.post(
        f"/tickets/{mine.reference}/status", tokens.agent, {"status": "solved", "reason": "fixed"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "solved"
    event = Event.objects.get(ticket=mine, kind="status.changed")
    assert (event.actor_user, event.reason) == (cast.agent, "fixed")


def test_read_only_tokens_neither_reply_nor_change_status(cast, tokens, api, tickets_of_both_orgs):
    mine, _ = tickets_of_both_orgs
    for token in (tokens.developer, tokens.staff_reader, tokens.platform):
        assert_error(api.post(f"/tickets/{mine.reference}/replies", token, {"body": "x"}), 403, "forbidden")
        assert_error(
            api.post(f"/tickets/{mine.reference}/status", token, {"status": "closed"}), 403, "forbidden"
        )
    mine.refresh_from_db()
    assert mine.status != "closed"
    assert mine.messages.filter(author_kind="agent", public=True).count() == 0


def test_decisions_are_read_by_staff_tokens_only(cast, tokens, api):
    filed = api.post("/tickets", tokens.platform, _new(cast)).json()
    decisions = api.get(f"/tickets/{filed['reference']}/decisions", tokens.agent)
    assert decisions.status_code == 200
    [decision] = decisions.json()
    assert decision["outcome"] == filed["outcome"]
    assert decision["clauses"]
    assert api.get(f"/tickets/{filed['reference']}/decisions", tokens.staff_reader).status_code == 200
    assert_error(api.get(f"/tickets/{filed['reference']}/decisions", tokens.developer), 403, "forbidden")
