"""Only staff post incidents, and what they post through the admin goes through the actions."""

from datetime import timedelta

from django.utils import timezone

from capdesk.status import actions
from capdesk.status.models import Component, Incident, StatusEvent


def _incident_form(api):
    return {
        "name": "Bundle downloads fail",
        "impact": "major",
        "status": "investigating",
        "body": "We are looking into failed bundle downloads.",
        "affected": [api.pk],
        "component_status": "major_outage",
    }


def test_an_admin_posts_an_incident_with_its_components_and_history(cast, client, api):
    client.force_login(cast.admin)
    response = client.post("/admin/status/incident/add/", _incident_form(api))
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.created_by == cast.admin
    assert incident.updates.get().body == "We are looking into failed bundle downloads."
    assert Component.objects.get(pk=api.pk).status == "major_outage"
    assert StatusEvent.objects.filter(incident=incident).count() == 1


def test_an_admin_posts_an_update_and_resolves(cast, client, api):
    client.force_login(cast.admin)
    client.post("/admin/status/incident/add/", _incident_form(api))
    incident = Incident.objects.get()
    url = f"/admin/status/incident/{incident.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url, {"name": incident.name, "impact": "major", "update_status": "resolved", "update_body": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert Component.objects.get(pk=api.pk).status == "operational"


def test_an_admin_schedules_maintenance(cast, client, api):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/maintenance/add/",
        {
            "name": "Database upgrade",
            "scheduled_for_0": "2026-03-20",
            "scheduled_for_1": "02:00:00",
            "scheduled_until_0": "2026-03-20",
            "scheduled_until_1": "03:00:00",
            "auto_transition": "on",
            "body": "",
            "affected": [api.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    maintenance = Incident.objects.get(kind="maintenance")
    assert maintenance.status == "scheduled"
    assert list(maintenance.components.all()) == [api]


def test_the_anonymous_public_cannot_post_an_incident(client, api):
    response = client.post("/admin/status/incident/add/", _incident_form(api))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Incident.objects.exists()


def test_staff_without_the_permission_cannot_post_an_incident(cast, client, api):
    client.force_login(cast.agent)
    response = client.post("/admin/status/incident/add/", _incident_form(api))
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_duplicate_component_name_is_refused_in_the_form(cast, client, api):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/component/add/",
        {
            "name": "LIVE update api",
            "description": "",
            "position": 3,
            "status": "operational",
            "showcase": "on",
        },
    )
    assert response.status_code == 200
    assert "already named" in response.content.decode()
    assert Component.objects.count() == 1


def test_a_maintenance_update_without_text_says_what_its_status_means(cast, client, api):
    start = timezone.now() + timedelta(days=1)
    maintenance = actions.schedule_maintenance(
        name="Database upgrade", scheduled_for=start, scheduled_until=start + timedelta(hours=1)
    )
    client.force_login(cast.admin)
    local = timezone.localtime
    response = client.post(
        f"/admin/status/maintenance/{maintenance.pk}/change/",
        {
            "name": "Database upgrade",
            "scheduled_for_0": f"{local(maintenance.scheduled_for):%Y-%m-%d}",
            "scheduled_for_1": f"{local(maintenance.scheduled_for):%H:%M:%S}",
            "scheduled_until_0": f"{local(maintenance.scheduled_until):%Y-%m-%d}",
            "scheduled_until_1": f"{local(maintenance.scheduled_until):%H:%M:%S}",
            "auto_transition": "on",
            "update_status": "verifying",
            "update_body": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    update = maintenance.updates.latest("pk")
    assert update.status == "verifying"
    assert update.body == "Verification is currently underway for the maintenance items."
    assert "id" in update.translations  # a stock text carries its translation
