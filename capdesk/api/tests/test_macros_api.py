"""Agents' macros over the API: the console's rules, its checks, its audit entries and its filling."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import assert_error, open_ticket_for
from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.core.audit import Action
from capdesk.core.models import ActorKind, AuditEntry
from capdesk.testing.factories import make_user, restrict
from capdesk.tickets.models import Queue, Ticket

EN_BODY = "Hello {name}, which version of {project} runs? See {incident_url}."
ID_BODY = "Halo {name}, versi berapa yang dijalankan {project}?"


@pytest.fixture
def ani(cast) -> User:
    """A second agent, whose macros the first may read (when shared) but not change."""
    user = make_user("ani", staff=True)
    assert isinstance(user, User)
    return user


@pytest.fixture
def shelf(cast, ani) -> dict[str, Macro]:
    """The cast agent's shared macro (with its Indonesian text), Ani's shared one and Ani's private one."""
    return {
        "versions": actions.save_macro(
            owner=cast.agent,
            title="Ask for versions",
            body=EN_BODY,
            shared=True,
            translations={"id": {"title": "Minta versi", "body": ID_BODY}},
        ),
        "thanks": actions.save_macro(owner=ani, title="Thanks", body="Thanks, {name}!", shared=True),
        "draft": actions.save_macro(owner=ani, title="Ani's draft", body="Not ready", shared=False),
    }


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["title"] for m in response.json()["items"]]


# Reading -------------------------------------------------------------------------------


def test_an_agent_lists_their_own_and_the_shared_macros_not_anothers_private_one(tokens, api, shelf):
    assert _titles(api.get("/macros", tokens.agent)) == ["Ask for versions", "Thanks"]


def test_it_lists_them_with_their_author_and_translations(tokens, api, shelf):
    first = api.get("/macros", tokens.agent).json()["items"][0]
    assert first["owner"] == "agent"
    assert first["translations"] == {"id": {"title": "Minta versi", "body": ID_BODY}}
    assert first["body"] == EN_BODY


def test_it_filters_by_words_in_any_language_by_language_and_by_author(tokens, api, shelf):
    assert _titles(api.get("/macros?q=THANKS", tokens.agent)) == ["Thanks"]
    assert _titles(api.get("/macros?q=dijalankan", tokens.agent)) == ["Ask for versions"]
    assert _titles(api.get("/macros?language=id", tokens.agent)) == ["Ask for versions"]
    assert _titles(api.get("/macros?language=en", tokens.agent)) == ["Ask for versions", "Thanks"]
    assert _titles(api.get("/macros?mine=true", tokens.agent)) == ["Ask for versions"]
    assert _titles(api.get("/macros?mine=false", tokens.agent)) == ["Thanks"]


def test_it_refuses_a_language_the_desk_does_not_speak(tokens, api, shelf):
    assert_error(api.get("/macros?language=fr", tokens.agent), 422, "validation_error")


def test_it_pages_the_list_by_cursor(tokens, api, shelf):
    first = api.get("/macros?limit=1", tokens.agent).json()
    second = api.get(f"/macros?limit=1&cursor={first['next_cursor']}", tokens.agent).json()
    assert [m["title"] for m in first["items"] + second["items"]] == ["Ask for versions", "Thanks"]
    assert second["next_cursor"] is None
    assert_error(api.get("/macros?limit=0", tokens.agent), 422, "validation_error")


def test_it_reads_one_macro_the_token_owner_may_use_and_hides_anothers_private_one(tokens, api, shelf):
    assert api.get(f"/macros/{shelf['thanks'].pk}", tokens.agent).json()["owner"] == "ani"
    assert_error(api.get(f"/macros/{shelf['draft'].pk}", tokens.agent), 404, "not_found")
    assert_error(api.get("/macros/999999", tokens.agent), 404, "not_found")


def test_a_staff_read_only_token_reads_macros_but_writes_none(tokens, api, shelf):
    assert _titles(api.get("/macros", tokens.staff_reader)) == ["Ask for versions", "Thanks"]
    assert_error(api.post("/macros", tokens.staff_reader, {"title": "T", "body": "B"}), 403, "forbidden")
    macro = shelf["versions"].pk
    assert_error(api.call("PATCH", f"/macros/{macro}", tokens.staff_reader, {"title": "T"}), 403, "forbidden")
    assert_error(api.delete(f"/macros/{macro}", tokens.staff_reader), 403, "forbidden")


@pytest.mark.parametrize("who", ["developer", "outsider", "platform", "status_admin"])
def test_tokens_of_customers_the_platform_and_the_status_page_reach_no_macro(tokens, api, shelf, who):
    token = getattr(tokens, who)
    macro = shelf["versions"].pk
    assert_error(api.get("/macros", token), 403, "forbidden")
    assert_error(api.get(f"/macros/{macro}", token), 403, "forbidden")
    assert_error(api.post("/macros", token, {"title": "T", "body": "B"}), 403, "forbidden")
    assert_error(api.call("PATCH", f"/macros/{macro}", token, {"title": "T"}), 403, "forbidden")
    assert_error(api.delete(f"/macros/{macro}", token), 403, "forbidden")
    assert Macro.objects.get(pk=macro).title == "Ask for versions"


def test_a_customer_token_reaches_no_macro_even_on_its_own_ticket(cast, api, shelf):
    token = create_token(name="dewi", scope="customer", person=cast.developer).plaintext
    ticket = open_ticket_for(cast.developer, cast.project, "Rollback")
    assert_error(api.get("/macros", token), 403, "forbidden")
    assert_error(
        api.get(f"/tickets/{ticket.reference}/macros/{shelf['versions'].pk}", token), 403, "forbidden"
    )


def test_without_a_token_every_macro_operation_answers_401(api, shelf):
    macro = shelf["versions"].pk
    assert_error(api.get("/macros", None), 401, "unauthorized")
    assert_error(api.get(f"/macros/{macro}", None), 401, "unauthorized")
    assert_error(api.post("/macros", None, {"title": "T", "body": "B"}), 401, "unauthorized")
    assert_error(api.call("PATCH", f"/macros/{macro}", None, {"title": "T"}), 401, "unauthorized")
    assert_error(api.delete(f"/macros/{macro}", None), 401, "unauthorized")
    assert_error(api.get(f"/tickets/CAP-1/macros/{macro}", None), 401, "unauthorized")


# Writing -------------------------------------------------------------------------------


def test_an_agent_writes_a_macro_of_their_own_with_its_indonesian_text(cast, tokens, api):
    body = {
        "title": " Ask for logs ",
        "body": "Hi {name}, please send the device log.",
        "shared": False,
        "translations": {"id": {"title": "Minta log", "body": "Hai {name}, kirim log perangkat."}},
    }
    response = api.post("/macros", tokens.agent, body)
    assert response.status_code == 201, response.content
    macro = Macro.objects.get(pk=response.json()["id"])
    assert (macro.owner, macro.title, macro.shared) == (cast.agent, "Ask for logs", False)
    assert macro.text_in("body", "id") == "Hai {name}, kirim log perangkat."
    assert response.json()["translations"] == {
        "id": {"title": "Minta log", "body": "Hai {name}, kirim log perangkat."}
    }


def test_it_refuses_an_unknown_placeholder_in_the_text_or_a_translation(tokens, api):
    body = {"title": "Typo", "body": "Hi {nmae}", "translations": {"id": {"body": "Hai {nama} {name}"}}}
    error = assert_error(api.post("/macros", tokens.agent, body), 422, "unknown_placeholder")
    assert error["details"] == [
        {"loc": ["body"], "placeholders": ["nmae"]},
        {"loc": ["translations", "id", "body"], "placeholders": ["nama"]},
    ]
    assert "{nmae}" in error["message"] and "{nama}" in error["message"]
    assert not Macro.objects.exists()


def test_it_takes_doubled_braces_as_a_literal_brace(tokens, api):
    response = api.post("/macros", tokens.agent, {"title": "JSON", "body": 'Send {{"debug": true}}'})
    assert response.status_code == 201, response.content


def test_it_refuses_a_translation_the_desk_has_no_reader_for_and_a_blank_title(tokens, api):
    french = {"title": "T", "body": "B", "translations": {"fr": {"body": "Bonjour"}}}
    assert_error(api.post("/macros", tokens.agent, french), 422, "validation_error")
    subject = {"title": "T", "body": "B", "translations": {"id": {"subject": "S"}}}
    assert_error(api.post("/macros", tokens.agent, subject), 422, "validation_error")
    assert_error(api.post("/macros", tokens.agent, {"title": "   ", "body": "B"}), 422, "validation_error")
    assert_error(api.post("/macros", tokens.agent, {"title": "T"}), 422, "validation_error")
    assert not Macro.objects.exists()


def test_a_retried_create_with_its_idempotency_key_writes_one_macro(tokens, api):
    body = {"title": "Once", "body": "Only once"}
    first = api.post("/macros", tokens.agent, body, **{"Idempotency-Key": "macro-1"})
    again = api.post("/macros", tokens.agent, body, **{"Idempotency-Key": "macro-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Macro.objects.count() == 1


def test_an_agent_changes_only_the_fields_they_send(tokens, api, shelf):
    macro = shelf["versions"]
    response = api.call("PATCH", f"/macros/{macro.pk}", tokens.agent, {"shared": False})
    assert response.status_code == 200, response.content
    macro.refresh_from_db()
    assert (macro.title, macro.body, macro.shared) == ("Ask for versions", EN_BODY, False)
    assert macro.text_in("body", "id") == ID_BODY


def test_an_empty_translation_removes_it_and_an_unknown_placeholder_changes_nothing(tokens, api, shelf):
    macro = shelf["versions"]
    typo = api.call("PATCH", f"/macros/{macro.pk}", tokens.agent, {"body": "Hi {nmae}"})
    assert_error(typo, 422, "unknown_placeholder")
    removed = api.call(
        "PATCH", f"/macros/{macro.pk}", tokens.agent, {"translations": {"id": {"title": "", "body": ""}}}
    )
    assert removed.json()["translations"] == {}
    macro.refresh_from_db()
    assert (macro.body, macro.translations) == (EN_BODY, {})


def test_another_agent_reads_a_shared_macro_but_may_neither_change_nor_remove_it(ani, api, shelf):
    token = create_token(name="ani", scope="agent", user=ani).plaintext
    macro = shelf["versions"]
    assert api.get(f"/macros/{macro.pk}", token).status_code == 200
    assert_error(api.call("PATCH", f"/macros/{macro.pk}", token, {"title": "Hijacked"}), 403, "forbidden")
    assert_error(api.delete(f"/macros/{macro.pk}", token), 403, "forbidden")
    macro.refresh_from_db()
    assert macro.title == "Ask for versions"
    assert not AuditEntry.objects.filter(action__startswith="console.macro_").exists()


def test_an_agent_cannot_find_anothers_private_macro_to_change_it(tokens, api, shelf):
    draft = shelf["draft"]
    assert_error(
        api.call("PATCH", f"/macros/{draft.pk}", tokens.agent, {"title": "Mine now"}), 404, "not_found"
    )
    assert_error(api.delete(f"/macros/{draft.pk}", tokens.agent), 404, "not_found")
    assert Macro.objects.filter(pk=draft.pk, title="Ani's draft").exists()


def test_an_agent_removes_their_own_macro(tokens, api, shelf):
    macro = shelf["versions"]
    assert api.delete(f"/macros/{macro.pk}", tokens.agent).status_code == 204
    assert not Macro.objects.filter(pk=macro.pk).exists()
    assert_error(api.delete(f"/macros/{macro.pk}", tokens.agent), 404, "not_found")


def test_it_audits_a_save_a_change_and_a_removal_as_the_console_does_by_the_token(cast, tokens, api):
    made = api.post("/macros", tokens.agent, {"title": "Thanks", "body": "Thanks {name}!"}).json()
    api.call(
        "PATCH",
        f"/macros/{made['id']}",
        tokens.agent,
        {"shared": False, "translations": {"id": {"body": "Terima kasih"}}},
    )
    api.delete(f"/macros/{made['id']}", tokens.agent)

    saved = list(AuditEntry.objects.filter(action=Action.MACRO_SAVED).order_by("pk"))
    assert [e.details for e in saved] == [
        {"title": "Thanks", "shared": True, "edited": False, "languages": []},
        {"title": "Thanks", "shared": False, "edited": True, "languages": ["id"]},
    ]
    deleted = AuditEntry.objects.get(action=Action.MACRO_DELETED)
    for entry in (*saved, deleted):
        assert (entry.target_type, entry.target_id) == ("macro", str(made["id"]))
        assert (entry.actor_kind, entry.actor_user_id) == (ActorKind.TOKEN, cast.agent.pk)
        assert entry.actor_label.startswith("agent (cdk_")


# Filling one in for a ticket -----------------------------------------------------------


def _ticket(cast, language: str = "en") -> Ticket:
    ticket = open_ticket_for(cast.developer, cast.project, "Rollback question")
    Ticket.objects.filter(pk=ticket.pk).update(language=language)
    ticket.refresh_from_db()
    return ticket


def test_it_fills_a_macro_for_a_ticket_as_the_console_inserts_it_and_sends_nothing(cast, tokens, api, shelf):
    ticket = _ticket(cast)
    macro = shelf["versions"]
    response = api.get(f"/tickets/{ticket.reference}/macros/{macro.pk}", tokens.agent)
    assert response.status_code == 200, response.content
    data = response.json()
    console = macros.render_macro(f"m:{macro.pk}", ticket, cast.agent)
    assert console is not None
    assert (data["title"], data["body"], data["unfilled"]) == (
        console.title,
        console.body,
        list(console.unfilled),
    )
    assert data["body"].startswith("Hello Dewi Developer, which version of com.acme.shop runs?")
    assert data["unfilled"] == ["incident_url"]
    assert (data["macro"], data["ticket"], data["language"], data["ticket_language"]) == (
        macro.pk,
        ticket.reference,
        "en",
        "en",
    )
    assert not ticket.messages.filter(author_kind="agent").exists()


def test_it_fills_the_indonesian_text_for_a_ticket_in_indonesian(cast, tokens, api, shelf):
    ticket = _ticket(cast, "id")
    data = api.get(f"/tickets/{ticket.reference}/macros/{shelf['versions'].pk}", tokens.agent).json()
    assert (data["title"], data["language"], data["ticket_language"]) == ("Minta versi", "id", "id")
    assert data["body"] == "Halo Dewi Developer, versi berapa yang dijalankan com.acme.shop?\n"
    assert data["unfilled"] == []


def test_it_says_the_text_went_in_english_when_the_macro_has_no_indonesian(cast, tokens, api, shelf):
    ticket = _ticket(cast, "id")
    data = api.get(f"/tickets/{ticket.reference}/macros/{shelf['thanks'].pk}", tokens.agent).json()
    assert (data["body"], data["language"], data["ticket_language"]) == (
        "Thanks, Dewi Developer!\n",
        "en",
        "id",
    )


def test_the_filled_text_with_a_placeholder_left_is_refused_by_the_reply_endpoint(cast, tokens, api, shelf):
    ticket = _ticket(cast)
    filled = api.get(f"/tickets/{ticket.reference}/macros/{shelf['versions'].pk}", tokens.agent).json()
    refused = api.post(f"/tickets/{ticket.reference}/replies", tokens.agent, {"body": filled["body"]})
    assert assert_error(refused, 422, "unfilled_placeholder")["details"] == {
        "placeholders": filled["unfilled"]
    }


def test_it_fills_no_macro_the_token_owner_may_not_use_nor_on_a_ticket_they_cannot_see(
    cast, tokens, api, shelf
):
    ticket = _ticket(cast)
    assert_error(
        api.get(f"/tickets/{ticket.reference}/macros/{shelf['draft'].pk}", tokens.agent), 404, "not_found"
    )
    assert_error(
        api.get(f"/tickets/CAP-999999/macros/{shelf['versions'].pk}", tokens.agent), 404, "not_found"
    )
    staff_read = api.get(f"/tickets/{ticket.reference}/macros/{shelf['versions'].pk}", tokens.staff_reader)
    assert staff_read.status_code == 200
    assert_error(
        api.get(f"/tickets/{ticket.reference}/macros/{shelf['versions'].pk}", tokens.developer),
        403,
        "forbidden",
    )


def test_an_agent_restricted_to_a_queue_reads_every_macro_but_fills_one_only_on_its_tickets(cast, api, shelf):
    """Macros belong to no queue; the tickets they are filled in for do."""
    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    sales = Queue.objects.create(slug="sales", name="Sales")
    restrict(martin, sales)
    token = create_token(name="martin", scope="agent", user=martin).plaintext
    support, lead = _ticket(cast), _ticket(cast)
    Ticket.objects.filter(pk=lead.pk).update(queue=sales)
    macro = shelf["versions"].pk
    assert _titles(api.get("/macros", token)) == ["Ask for versions", "Thanks"]
    assert api.get(f"/tickets/{lead.reference}/macros/{macro}", token).status_code == 200
    assert_error(api.get(f"/tickets/{support.reference}/macros/{macro}", token), 404, "not_found")
