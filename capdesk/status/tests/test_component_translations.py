"""Components and groups have Indonesian names and descriptions, kept like an incident's.

Staff give them in the admin beside the English; the Indonesian page, the incident page,
the subscription form and Indonesian subscribers' emails show them, falling back to the
English where none was given; the Statuspage JSON stays English.
"""

import json
import re

import pytest
from django.test import Client

from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.status import actions, delivery
from capdesk.status.models import Component, ComponentGroup, StatusEvent

pytestmark = pytest.mark.usefixtures("frozen")

API_ID = {"id": {"name": "API pembaruan langsung", "description": "Melayani unduhan bundle."}}


@pytest.fixture
def translated(api: Component) -> Component:
    return actions.edit_component(
        api,
        name=api.name,
        description="Serves bundle downloads.",
        group=None,
        position=api.position,
        showcase=True,
        only_show_if_degraded=False,
        translations=API_ID,
    )


def _get(client: Client, path: str, language: str) -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


# Kept beside the English ------------------------------------------------------------------


def test_it_keeps_a_components_translation_and_an_empty_one_removes_it(translated):
    assert translated.text_in("name", "id") == "API pembaruan langsung"
    assert translated.text_in("name", "en") == "Live update API"
    edited = actions.edit_component(
        translated,
        name=translated.name,
        description=translated.description,
        group=None,
        position=translated.position,
        showcase=True,
        only_show_if_degraded=False,
        translations={"id": {"description": ""}},
    )
    assert edited.translations == {"id": {"name": "API pembaruan langsung"}}, "a name not given stays"


def test_it_refuses_a_language_the_page_is_not_offered_in(api):
    with pytest.raises(actions.StatusError):
        actions.create_component(name="Analytics", translations={"fr": {"name": "Analytique"}})
    assert not Component.objects.filter(name="Analytics").exists()


def test_a_group_has_its_indonesian_name_too(db):
    group = actions.create_group(name="Core services", translations={"id": {"name": "Layanan inti"}})
    assert group.text_in("name", "id") == "Layanan inti"
    actions.edit_group(group, name="Core", description="", position=1, translations={"id": {"name": ""}})
    group.refresh_from_db()
    assert (group.name, group.translations) == ("Core", {})


# Read by anonymous visitors ---------------------------------------------------------------


def test_the_indonesian_page_names_and_describes_components_in_indonesian(client, translated):
    page = _get(client, "/status/", "id")
    assert "<h3>API pembaruan langsung</h3>" in page
    assert "Melayani unduhan bundle." in page
    assert "Live update API" not in page


def test_the_english_page_is_unchanged(client, translated):
    page = _get(client, "/status/", "en")
    assert "<h3>Live update API</h3>" in page and "Serves bundle downloads." in page
    assert "pembaruan" not in page


def test_a_component_without_a_translation_reads_in_english_on_the_indonesian_page(
    client, translated, console
):
    page = _get(client, "/status/?lang=id", "en")
    assert "<h3>API pembaruan langsung</h3>" in page
    assert "<h3>Console</h3>" in page


def test_a_groups_heading_is_in_the_readers_language(client, api):
    group = actions.create_group(name="Core services", translations={"id": {"name": "Layanan inti"}})
    actions.edit_component(
        api,
        name=api.name,
        description="",
        group=group,
        position=api.position,
        showcase=True,
        only_show_if_degraded=False,
    )
    assert "<h3>Layanan inti</h3>" in _get(client, "/status/", "id")
    assert "<h3>Core services</h3>" in _get(client, "/status/", "en")


def test_the_incident_page_lists_the_affected_components_in_the_readers_language(client, translated):
    incident = actions.open_incident(
        name="Slow downloads", body="Looking.", components={translated: "degraded_performance"}
    )
    path = f"/status/incidents/{incident.public_id}"
    assert "API pembaruan langsung" in _get(client, path, "id")
    assert "Affects: Live update API" in _get(client, path, "en")


def test_the_subscription_form_offers_the_components_by_their_indonesian_names(client, translated):
    assert "API pembaruan langsung" in _get(client, "/status/subscribe/", "id")
    assert "API pembaruan langsung" not in _get(client, "/status/subscribe/", "en")


def test_statuspages_json_keeps_the_english_names(client, translated):
    components = json.loads(_get(client, "/api/v2/components.json", "id"))["components"]
    assert [c["name"] for c in components] == ["Live update API"]


# Emails to subscribers ----------------------------------------------------------------------


def _subscriber(client: Client, email: str, language: str) -> None:
    client.post(
        "/status/subscribe/", {"kind": "email", "email": email}, headers={"accept-language": language}
    )
    sent = OutboundEmail.objects.filter(kind="status_confirm", to=email).latest("created_at")
    match = re.search(r"http://127\.0\.0\.1:8000(/status/subscribe/confirm/\S+/)", sent.body_text)
    assert match
    client.post(match.group(1))


def _emails_after(change) -> tuple[OutboundEmail, OutboundEmail]:
    StatusEvent.objects.all().delete()
    change()
    for pk in StatusEvent.objects.values_list("pk", flat=True):
        delivery.fan_out(pk)
    updates = OutboundEmail.objects.filter(kind="status_update")
    return updates.get(to="dewi@kopinusantara.id"), updates.get(to="sam@example.com")


def test_subscribers_read_the_affected_components_in_their_language(client, translated, console):
    _subscriber(client, "dewi@kopinusantara.id", "id")
    _subscriber(client, "sam@example.com", "en")
    indonesian, english = _emails_after(
        lambda: actions.open_incident(
            name="Slow", body="Looking.", components={translated: "partial_outage", console: "partial_outage"}
        )
    )
    assert "API pembaruan langsung, Console" in indonesian.body_text, "Console has no translation"
    assert "Affects: Live update API, Console" in english.body_text


def test_a_component_status_email_names_the_component_in_the_subscribers_language(client, translated):
    _subscriber(client, "dewi@kopinusantara.id", "id")
    _subscriber(client, "sam@example.com", "en")
    indonesian, english = _emails_after(lambda: actions.set_component_status(translated, "major_outage"))
    assert "API pembaruan langsung" in indonesian.subject and "API pembaruan langsung" in indonesian.body_text
    assert "Live update API" in english.subject and "pembaruan" not in english.body_text


# Edited by staff in the admin ---------------------------------------------------------------


def test_an_admin_gives_a_component_its_indonesian_name_and_description(cast, client, api):
    client.force_login(cast.admin)
    url = f"/admin/status/component/{api.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="name_in_id"' in form and 'name="description_in_id"' in form
    response = client.post(
        url,
        {
            "name": "Live update API",
            "name_in_id": "API pembaruan langsung",
            "description": "",
            "description_in_id": "Melayani unduhan bundle.",
            "position": api.position,
            "status": "operational",
            "showcase": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Component.objects.get(pk=api.pk).translations == API_ID
    shown = client.get(url).content.decode()
    assert 'value="API pembaruan langsung"' in shown, "the change form shows the Indonesian name given"


def test_an_admin_names_a_new_group_in_indonesian(cast, client, db):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/componentgroup/add/",
        {"name": "Core services", "name_in_id": "Layanan inti", "description": "", "position": 1},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ComponentGroup.objects.get().translations == {"id": {"name": "Layanan inti"}}


def test_staff_without_the_permission_cannot_rename_a_component(cast, client, api):
    client.force_login(cast.agent)
    response = client.post(
        f"/admin/status/component/{api.pk}/change/",
        {"name": api.name, "name_in_id": "Dibajak", "position": 0, "status": "operational"},
    )
    assert response.status_code == 403
    assert Component.objects.get(pk=api.pk).translations == {}


def test_the_portals_known_issues_name_components_in_the_customers_language(cast, client, translated):
    actions.open_incident(name="Slow", body="Looking.", notify=False, components={translated: "major_outage"})
    client.force_login(user_for_person(cast.developer))
    assert "API pembaruan langsung" in _get(client, "/portal/requests/new/", "id")
    assert "Live update API" in _get(client, "/portal/requests/new/", "en")
