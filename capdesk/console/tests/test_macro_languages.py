"""An agent's macro in Bahasa Indonesia too: written beside the English, inserted in the ticket's language."""

import json

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.core.translations import TranslationError
from capdesk.portal.actions import user_for_person
from capdesk.status import actions as status_actions
from capdesk.testing.factories import make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import Ticket

ID_TITLE = "Minta versi"
ID_BODY = "Halo {name}, versi berapa yang dijalankan {project}? Tingkat: {severity}."
EN_BODY = "Hello {name}, which versions does {project} run? Severity: {severity}."


def _ticket(cast, language: str) -> Ticket:
    ticket = ticket_actions.open_ticket(
        subject="Rollback question",
        body="How do I roll back?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    Ticket.objects.filter(pk=ticket.pk).update(language=language, severity="high")
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def macro(cast):
    return actions.save_macro(
        owner=cast.agent,
        title="Ask for versions",
        body=EN_BODY,
        shared=True,
        translations={"id": {"title": ID_TITLE, "body": ID_BODY}},
    )


def _insert(client, ticket, key):
    return json.loads(client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": key}).content)


def _notice(page: str, name: str) -> str:
    return page.split(f'id="{name}"')[1].split("</p>")[0]


def test_it_saves_a_macros_indonesian_title_and_text_from_the_form(client, cast):
    client.force_login(cast.agent)
    response = client.post(
        "/console/macros/",
        {"title": "Ask for versions", "body": EN_BODY, "title_in_id": ID_TITLE, "body_in_id": ID_BODY},
    )
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.translations == {"id": {"title": ID_TITLE, "body": ID_BODY}}
    listed = client.get("/console/macros/").content.decode()
    assert 'In Bahasa Indonesia: <span lang="id">Minta versi</span>' in listed
    assert "Halo {name}, versi berapa" in listed
    editing = client.get("/console/macros/", {"edit": macro.pk}).content.decode()
    assert 'name="title_in_id"' in editing and f'value="{ID_TITLE}"' in editing
    assert "Halo {name}, versi berapa" in editing.split('name="body_in_id"')[1].split("</textarea>")[0]


def test_it_removes_the_indonesian_text_when_its_fields_are_emptied(client, cast, macro):
    client.force_login(cast.agent)
    client.post(
        f"/console/macros/?edit={macro.pk}",
        {"title": "Ask for versions", "body": EN_BODY, "title_in_id": "", "body_in_id": ""},
    )
    macro.refresh_from_db()
    assert macro.translations == {}


def test_it_refuses_an_unknown_placeholder_in_the_indonesian_text_and_names_it(client, cast):
    client.force_login(cast.agent)
    page = client.post(
        "/console/macros/",
        {"title": "Hi", "body": "Hello {name}.", "title_in_id": "Hai", "body_in_id": "Halo {nama}."},
    )
    assert page.status_code == 200
    assert "Unknown placeholder: {nama}." in page.content.decode()
    assert not Macro.objects.exists()


def test_it_refuses_text_in_a_language_the_desk_does_not_speak(cast):
    with pytest.raises(TranslationError):
        actions.save_macro(
            owner=cast.agent, title="Hi", body="Hi", shared=True, translations={"fr": {"body": "Salut"}}
        )


def test_it_inserts_the_indonesian_text_on_an_indonesian_ticket_with_values_in_indonesian(
    client, cast, macro
):
    ticket = _ticket(cast, "id")
    client.force_login(cast.agent)
    data = _insert(client, ticket, f"m:{macro.pk}")
    assert data["title"] == ID_TITLE
    assert (
        data["body"]
        == "Halo Dewi Developer, versi berapa yang dijalankan com.acme.shop? Tingkat: Tinggi (P2).\n"
    )
    assert data["language"] == "id"
    assert data["language_notice"] == "Inserted in Indonesian."


def test_it_inserts_the_english_text_on_an_english_ticket(client, cast, macro):
    ticket = _ticket(cast, "en")
    client.force_login(cast.agent)
    data = _insert(client, ticket, f"m:{macro.pk}")
    assert (
        data["body"] == "Hello Dewi Developer, which versions does com.acme.shop run? Severity: High (P2).\n"
    )
    assert (data["language"], data["language_notice"]) == ("en", "Inserted in English.")


def test_it_falls_back_to_english_and_says_so_when_the_macro_has_no_indonesian_text(client, cast):
    plain = actions.save_macro(owner=cast.agent, title="Ask", body=EN_BODY, shared=False)
    ticket = _ticket(cast, "id")
    client.force_login(cast.agent)
    data = _insert(client, ticket, f"m:{plain.pk}")
    # The values follow the text, so the English reply does not carry an Indonesian label.
    assert data["body"].endswith("Severity: High (P2).\n")
    assert data["language"] == "en"
    assert data["language_notice"] == "This macro has no text in Indonesian: inserted in English."


def test_it_says_which_language_went_in_without_a_script(client, cast, macro):
    ticket = _ticket(cast, "id")
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", {"macro": f"m:{macro.pk}"}).content.decode()
    assert "Halo Dewi Developer" in page.split('id="id_body"')[1].split("</textarea>")[0]
    notice = _notice(page, "macro-language")
    assert "hidden" not in notice.split(">")[0] and "Inserted in Indonesian." in notice
    # Both notices: the language, and the placeholders left (none here).
    assert _notice(page, "macro-unfilled").split(">")[0].rstrip().endswith("hidden")
    plain = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert _notice(plain, "macro-language").split(">")[0].rstrip().endswith("hidden")


def test_it_keeps_both_notices_when_an_indonesian_macro_leaves_a_placeholder(client, cast):
    macro = actions.save_macro(
        owner=cast.agent,
        title="Out of scope",
        body="Hello {name}: {reason}",
        shared=True,
        translations={"id": {"body": "Halo {name}: {reason}"}},
    )
    ticket = _ticket(cast, "id")
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", {"macro": f"m:{macro.pk}"}).content.decode()
    assert "Inserted in Indonesian." in _notice(page, "macro-language")
    assert "Still to fill in before sending: {reason}." in _notice(page, "macro-unfilled")
    # Without its own title the macro keeps the English one.
    assert _insert(client, ticket, f"m:{macro.pk}")["title"] == "Out of scope"


def test_it_says_a_standard_reply_went_in_the_tickets_language(client, cast):
    ticket = _ticket(cast, "id")
    client.force_login(cast.agent)
    data = _insert(client, ticket, "std:need_project")
    assert (data["language"], data["language_notice"]) == ("id", "Inserted in Indonesian.")


def test_it_names_the_linked_incident_in_the_tickets_language(cast):
    incident = status_actions.open_incident(
        name="Bundle downloads failing",
        body="Looking",
        notify=False,
        translations={"id": {"name": "Unduhan bundle gagal"}},
    )
    indonesian, english = _ticket(cast, "id"), _ticket(cast, "en")
    for ticket in (indonesian, english):
        link_incident(ticket, incident.public_id, agent=cast.agent)
    in_id = macros.render_macro("std:refer_status", indonesian, cast.agent)
    in_en = macros.render_macro("std:refer_status", english, cast.agent)
    assert in_id is not None and "Unduhan bundle gagal" in in_id.body
    assert in_en is not None and "Bundle downloads failing" in in_en.body


def test_another_agent_can_neither_change_a_macro_nor_its_indonesian_text(client, cast, macro):
    other = make_user("other", staff=True)
    assert isinstance(other, User)
    client.force_login(other)
    editing = client.get("/console/macros/", {"edit": macro.pk}).content.decode()
    assert ID_BODY not in editing.split("<aside>")[1]  # the form is a new macro's, empty
    client.post(
        f"/console/macros/?edit={macro.pk}",
        {"title": "Hijacked", "body": "Hi", "title_in_id": "Dibajak", "body_in_id": "Hai"},
    )
    macro.refresh_from_db()
    assert macro.title == "Ask for versions"
    assert macro.translations == {"id": {"title": ID_TITLE, "body": ID_BODY}}
    # What they posted became their own macro.
    assert Macro.objects.get(owner=other).translations == {"id": {"title": "Dibajak", "body": "Hai"}}


def test_a_private_macros_indonesian_text_stays_with_its_author(cast):
    private = actions.save_macro(
        owner=cast.admin, title="Mine", body="Hi", shared=False, translations={"id": {"body": "Rahasia"}}
    )
    assert macros.render_macro(f"m:{private.pk}", _ticket(cast, "id"), cast.agent) is None


@pytest.mark.parametrize("who", ["anonymous", "developer", "org_admin", "outsider"])
def test_customers_and_anonymous_can_neither_write_nor_insert_a_macro(client, cast, macro, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    response = client.post(
        "/console/macros/", {"title": "x", "body": "x", "title_in_id": "y", "body_in_id": "y"}
    )
    assert response.status_code == 302
    ticket = _ticket(cast, "id")
    assert (
        client.get(f"/console/tickets/{ticket.reference}/macro/", {"macro": f"m:{macro.pk}"}).status_code
        == 302
    )
    assert Macro.objects.count() == 1


def test_it_tells_an_agent_reading_the_console_in_indonesian_in_indonesian(cast):
    plain = actions.save_macro(owner=cast.agent, title="Ask", body=EN_BODY, shared=False)
    filled = macros.render_macro(f"m:{plain.pk}", _ticket(cast, "id"), cast.agent)
    assert filled is not None
    with translation.override("id"):
        notice = filled.language_notice()
    assert notice == "Makro ini tidak punya teks dalam bahasa Indonesia: disisipkan dalam bahasa Inggris."
