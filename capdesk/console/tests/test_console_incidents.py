"""Staff with the status permissions open, update and resolve incidents from the console, from templates."""

from datetime import UTC, datetime

import pytest
import time_machine

from capdesk.status import actions as status_actions
from capdesk.status.models import Component, Incident, IncidentTemplate, StatusEvent

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def api_component(db):
    with time_machine.travel(NOW, tick=False):
        yield status_actions.create_component(name="Live update API")


@pytest.fixture
def templates(api_component):
    opening = IncidentTemplate.objects.create(
        slug="api-degraded",
        name="Live update API degraded — investigating",
        status="investigating",
        title="{component} degraded",
        body="{component} is slow since {started}. We are investigating.",
        impact="major",
        component_status="degraded_performance",
    )
    opening.components.add(api_component)
    IncidentTemplate.objects.create(
        slug="monitoring", name="Monitoring a fix", status="monitoring", body="A fix for {component} is out."
    )
    IncidentTemplate.objects.create(
        slug="resolved", name="Resolved", status="resolved", body="{component} works normally again."
    )


def test_it_prefills_the_new_incident_form_from_a_template(cast, client, templates):
    client.force_login(cast.admin)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/console/incidents/new/?template=api-degraded").content.decode()
    assert 'value="Live update API degraded"' in page
    assert "Live update API is slow since 2026-03-17 12:00 UTC. We are investigating." in page
    assert '<option value="major" selected>' in page
    preset = page.split('name="component_', 1)[1].split("</select>", 1)[0]
    assert '<option value="degraded_performance" selected>' in preset  # the template's preselection


def test_each_component_gets_its_own_status_and_blank_ones_are_left_alone(cast, client, api_component):
    other = status_actions.create_component(name="Console")
    client.force_login(cast.admin)
    response = client.post(
        "/console/incidents/new/",
        {
            "name": "Partial trouble",
            "body": "Looking",
            "impact": "minor",
            "status": "investigating",
            f"component_{api_component.pk}": "major_outage",
            f"component_{other.pk}": "degraded_performance",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses == {"Live update API": "major_outage", "Console": "degraded_performance"}
    page = client.get(f"/console/incidents/{incident.public_id}/").content.decode()
    assert 'name="component_' in page
    client.post(
        f"/console/incidents/{incident.public_id}/",
        {
            "name": "Partial trouble",
            "impact": "minor",
            "update_status": "identified",
            "update_body": "Console is fine again",
            f"component_{other.pk}": "operational",
        },
    )
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses == {"Live update API": "major_outage", "Console": "operational"}


def test_an_admin_opens_an_incident_and_it_is_published(cast, client, templates, api_component):
    client.force_login(cast.admin)
    template = IncidentTemplate.objects.get(slug="api-degraded")
    response = client.post(
        "/console/incidents/new/",
        {
            "template": template.pk,
            "name": "",
            "body": "",
            "impact": "major",
            "status": "investigating",
            f"component_{api_component.pk}": "degraded_performance",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/incidents/{incident.public_id}/"
    assert incident.name == "Live update API degraded" and incident.created_by == cast.admin
    assert Component.objects.get(pk=api_component.pk).status == "degraded_performance"
    assert StatusEvent.objects.filter(incident=incident).count() == 1
    assert "Live update API degraded" in client.get("/status/").content.decode()


def test_an_admin_posts_an_update_from_a_template_then_resolves(cast, client, templates, api_component):
    incident = status_actions.open_incident(
        name="Slow API", body="Looking", components={api_component: "partial_outage"}, notify=False
    )
    client.force_login(cast.admin)
    url = f"/console/incidents/{incident.public_id}/"
    prefilled = client.get(url + "?template=monitoring").content.decode()
    assert "A fix for Live update API is out." in prefilled
    response = client.post(
        url,
        {
            "name": "Slow API",
            "impact": "minor",
            "update_status": "monitoring",
            "update_body": "A fix for Live update API is out.",
            f"component_{api_component.pk}": "operational",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    assert Component.objects.get(pk=api_component.pk).status == "operational"
    page = client.get(url).content.decode()
    assert "Live update API works normally again." in page  # the resolve form, from the template
    resolved = client.post(url + "resolve/", {"body": "Live update API works normally again."})
    assert resolved.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.updates.all()[0].body == "Live update API works normally again."


def test_an_incident_needs_a_name_and_a_message_without_a_template(cast, client, api_component):
    client.force_login(cast.admin)
    response = client.post(
        "/console/incidents/new/",
        {
            "name": "",
            "body": "",
            "impact": "minor",
            "status": "investigating",
            f"component_{api_component.pk}": "major_outage",
        },
    )
    assert response.status_code == 200
    assert "An incident needs a name." in response.content.decode()
    assert not Incident.objects.exists()
    assert Component.objects.get(pk=api_component.pk).status == "operational"


def test_agents_without_the_status_permissions_only_see_the_list(cast, client, templates):
    incident = status_actions.open_incident(name="Slow API", body="Looking", notify=False)
    client.force_login(cast.agent)
    listing = client.get("/console/incidents/").content.decode()
    assert "Slow API" in listing and "/console/incidents/new/" not in listing
    assert client.get("/console/incidents/new/").status_code == 403
    assert client.get(f"/console/incidents/{incident.public_id}/").status_code == 403
    refused = client.post(
        "/console/incidents/new/", {"template": "1", "impact": "minor", "status": "investigating"}
    )
    assert refused.status_code == 403
    assert Incident.objects.count() == 1


def test_maintenance_is_not_run_from_the_incident_pages(cast, client):
    window = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    maintenance = status_actions.schedule_maintenance(
        name="Database upgrade", scheduled_for=window, scheduled_until=window.replace(hour=3), notify=False
    )
    client.force_login(cast.admin)
    assert client.get(f"/console/incidents/{maintenance.public_id}/").status_code == 404
    assert client.post(f"/console/incidents/{maintenance.public_id}/resolve/", {}).status_code == 404


def test_the_incident_pages_speak_indonesian(cast, client, templates):
    client.force_login(cast.admin)
    page = client.get("/console/incidents/new/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Buka insiden" in page and "Mulai dari templat" in page


def test_an_admin_finishes_maintenance_from_a_template_in_the_django_admin(cast, client, api_component):
    IncidentTemplate.objects.create(
        slug="maintenance-finished",
        name="Maintenance finished",
        status="completed",
        body="{component} is done.",
    )
    window = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    maintenance = status_actions.schedule_maintenance(
        name="Database upgrade",
        scheduled_for=window,
        scheduled_until=window.replace(hour=3),
        components=[api_component],
        notify=False,
    )
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/status/maintenance/{maintenance.pk}/change/",
        {
            "name": "Database upgrade",
            "scheduled_for_0": "2026-03-20",
            "scheduled_for_1": "02:00:00",
            "scheduled_until_0": "2026-03-20",
            "scheduled_until_1": "03:00:00",
            "template": IncidentTemplate.objects.get().pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    assert maintenance.updates.all()[0].body == "Live update API is done."
