"""Staff give an incident's text in Indonesian where they open, update and resolve it; nobody else can."""

from datetime import UTC, datetime

import pytest
import time_machine

from capdesk.status import actions as status_actions
from capdesk.status.models import Component, Incident, IncidentTemplate
from capdesk.testing.factories import make_user

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def api_component(db):
    with time_machine.travel(NOW, tick=False):
        yield status_actions.create_component(name="Live update API")


def _new_incident(**extra: str) -> dict[str, str]:
    return {
        "name": "Bundle downloads slow",
        "body": "We are investigating slow downloads.",
        "impact": "minor",
        "status": "investigating",
        **extra,
    }


def test_the_forms_ask_for_each_text_in_indonesian_next_to_the_english(cast, client, api_component):
    client.force_login(cast.admin)
    page = client.get("/console/incidents/new/").content.decode()
    assert page.index('name="name"') < page.index('name="name_in_id"') < page.index('name="impact"')
    assert page.index('name="body"') < page.index('name="body_in_id"')
    assert "Name in Bahasa Indonesia (optional)" in page
    incident = status_actions.open_incident(name="Slow API", body="Looking", notify=False)
    detail = client.get(f"/console/incidents/{incident.public_id}/").content.decode()
    assert 'name="update_body_in_id"' in detail and 'name="body_in_id"' in detail  # update and resolve


def test_an_admin_opens_an_incident_with_its_indonesian_text(cast, client, api_component):
    client.force_login(cast.admin)
    response = client.post(
        "/console/incidents/new/",
        _new_incident(name_in_id="Unduhan bundle lambat", body_in_id="Kami sedang menyelidikinya."),
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.name == "Bundle downloads slow"
    assert incident.text_in("name", "id") == "Unduhan bundle lambat"
    assert incident.updates.get().text_in("body", "id") == "Kami sedang menyelidikinya."
    assert "Unduhan bundle lambat" in client.get("/status/?lang=id").content.decode()


def test_the_indonesian_fields_are_optional(cast, client, api_component):
    client.force_login(cast.admin)
    assert client.post("/console/incidents/new/", _new_incident()).status_code == 302
    assert Incident.objects.get().translations == {}


def test_an_admin_corrects_the_indonesian_name_posts_an_update_and_resolves_in_indonesian(
    cast, client, api_component
):
    incident = status_actions.open_incident(
        name="Slow API", body="Looking", translations={"id": {"name": "API lambat"}}, notify=False
    )
    client.force_login(cast.admin)
    url = f"/console/incidents/{incident.public_id}/"
    assert 'value="API lambat"' in client.get(url).content.decode()  # the change form shows it
    response = client.post(
        url,
        {
            "name": "Slow API",
            "name_in_id": "API melambat",
            "impact": "minor",
            "update_status": "identified",
            "update_body": "A bad cache node.",
            "update_body_in_id": "Node cache yang rusak.",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.text_in("name", "id") == "API melambat"
    assert incident.updates.all()[0].text_in("body", "id") == "Node cache yang rusak."
    assert "Node cache yang rusak." in client.get(url).content.decode()  # staff see what they posted
    resolved = client.post(url + "resolve/", {"body": "Fixed.", "body_in_id": "Sudah diperbaiki."})
    assert resolved.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.updates.all()[0].text_in("body", "id") == "Sudah diperbaiki."


def test_an_indonesian_template_fills_the_indonesian_fields(cast, client, api_component):
    template = IncidentTemplate.objects.create(
        slug="api-lambat",
        name="API lambat",
        language="id",
        status="investigating",
        title="{component} lambat",
        body="{component} lambat sejak {started}.",
    )
    template.components.add(api_component)
    client.force_login(cast.admin)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/console/incidents/new/?template=api-lambat").content.decode()
    name_in_id = page.split('name="name_in_id"', 1)[1].split(">", 1)[0]
    assert 'value="Live update API lambat"' in name_in_id
    assert "Live update API lambat sejak 2026-03-17 12:00 UTC." in page.split('name="body_in_id"', 1)[1]
    response = client.post(
        "/console/incidents/new/",
        _new_incident(template=str(template.pk), name="Live update API slow", body="Slow since noon."),
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.name == "Live update API slow"  # the English the admin typed
    assert incident.text_in("name", "id") == "Live update API lambat"
    assert incident.updates.get().body == "Slow since noon."
    assert incident.updates.get().text_in("body", "id").startswith("Live update API lambat sejak")


def test_an_indonesian_template_alone_leaves_the_english_text_to_write(cast, client, api_component):
    template = IncidentTemplate.objects.create(
        slug="api-lambat",
        name="API lambat",
        language="id",
        status="investigating",
        title="API lambat",
        body="Lambat.",
    )
    client.force_login(cast.admin)
    response = client.post(
        "/console/incidents/new/", _new_incident(template=str(template.pk), name="", body="")
    )
    assert response.status_code == 200
    assert "An incident needs a name." in response.content.decode()
    assert not Incident.objects.exists()


def test_someone_who_is_not_staff_cannot_post_indonesian_text(cast, client, api_component):
    incident = status_actions.open_incident(name="Slow API", body="Looking", notify=False)
    client.force_login(make_user("customer"))
    refused = client.post("/console/incidents/new/", _new_incident(name_in_id="Tidak boleh"))
    assert refused.status_code in (302, 403)
    update = client.post(
        f"/console/incidents/{incident.public_id}/",
        {"name": "Slow API", "name_in_id": "Diretas", "impact": "minor"},
    )
    assert update.status_code in (302, 403)
    incident.refresh_from_db()
    assert Incident.objects.count() == 1 and incident.translations == {}


def test_an_agent_without_the_status_permissions_cannot_post_either(cast, client, api_component):
    client.force_login(cast.agent)
    assert client.post("/console/incidents/new/", _new_incident(name_in_id="Tidak boleh")).status_code == 403
    assert not Incident.objects.exists()


def test_the_django_admin_takes_the_indonesian_text_too(cast, client, api_component):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/incident/add/",
        {
            **_new_incident(name_in_id="Unduhan lambat", body_in_id="Sedang diselidiki."),
            "affected": [api_component.pk],
            "component_status": "degraded_performance",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.text_in("name", "id") == "Unduhan lambat"
    assert Component.objects.get(pk=api_component.pk).status == "degraded_performance"
    maintenance = client.post(
        "/admin/status/maintenance/add/",
        {
            "name": "Database upgrade",
            "name_in_id": "Peningkatan basis data",
            "scheduled_for_0": "2026-03-20",
            "scheduled_for_1": "02:00:00",
            "scheduled_until_0": "2026-03-20",
            "scheduled_until_1": "03:00:00",
            "auto_transition": "on",
            "body": "",
            "body_in_id": "",
        },
    )
    assert maintenance.status_code == 302, maintenance.content.decode()[:2000]
    window = Incident.objects.get(kind="maintenance")
    assert window.text_in("name", "id") == "Peningkatan basis data"
    # Nobody typed a message: the stock text, and its own Indonesian translation.
    assert (
        window.updates.get().text_in("body", "id")
        == "Kami akan melakukan pemeliharaan terjadwal selama waktu ini."
    )
