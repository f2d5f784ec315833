"""Incident templates: placeholders filled safely, typos refused, and the admin forms filled from them."""

import pytest
from django.core.exceptions import ValidationError

from capdesk.status import incident_templates
from capdesk.status.demo import load_demo
from capdesk.status.incident_templates import fill, unknown_placeholders
from capdesk.status.models import Component, Incident, IncidentTemplate


def test_it_fills_known_placeholders_and_leaves_the_rest_as_written():
    text = "{component} slow since {started}; {unknown} and {{literal}}"
    assert fill(text, {"component": "Console", "started": "2026-03-17 12:00 UTC"}) == (
        "Console slow since 2026-03-17 12:00 UTC; {unknown} and {literal}"
    )


def test_it_cannot_reach_attributes_or_format_specs_through_a_placeholder():
    values = {"component": "Console"}
    assert fill("{component.__class__} {component!r} {component:>20}", values) == (
        "{component.__class__} {component!r} {component:>20}"
    )
    assert unknown_placeholders("{component.__class__} {component}") == {"component.__class__"}


def test_it_refuses_to_save_a_template_with_an_unknown_placeholder(db):
    template = IncidentTemplate(slug="typo", name="Typo", status="investigating", body="{componnet} is down")
    with pytest.raises(ValidationError, match="componnet"):
        template.full_clean()
    IncidentTemplate(slug="ok", name="Fine", status="investigating", body="{component} is down").full_clean()


def test_it_fills_a_template_for_an_incident_with_its_components_and_start(api, frozen):
    template = IncidentTemplate.objects.create(
        slug="t", name="T", status="monitoring", body="Fix for {component} ({incident}) since {started}."
    )
    incident = Incident.objects.create(name="Slow API", status="investigating")
    incident.components.add(api)
    filled = incident_templates.render(template, incident=incident)
    assert filled.body == "Fix for Live update API (Slow API) since 2026-03-17 12:00 UTC."
    assert filled.status == "monitoring"


def test_the_demo_seeds_capgos_templates_once(db):
    load_demo()
    slugs = set(IncidentTemplate.objects.values_list("slug", flat=True))
    assert {"api-degraded-investigating", "uploads-failing-identified", "monitoring", "resolved"} <= slugs
    assert {"maintenance-started", "maintenance-finished"} <= slugs
    for template in IncidentTemplate.objects.all():
        template.full_clean()  # every seeded placeholder is a known one
    api_template = IncidentTemplate.objects.get(slug="api-degraded-investigating")
    assert [c.name for c in api_template.components.all()] == ["Live update API"]
    assert load_demo()["templates"] == 0


def test_an_admin_opens_an_incident_from_a_template_in_the_django_admin(cast, client, api, frozen):
    template = IncidentTemplate.objects.create(
        slug="api-down",
        name="API down",
        status="investigating",
        title="{component} degraded",
        body="{component} is slow since {started}.",
        impact="major",
    )
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/incident/add/",
        {
            "template": template.pk,
            "name": "",
            "impact": "major",
            "status": "investigating",
            "body": "",
            "affected": [api.pk],
            "component_status": "degraded_performance",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.name == "Live update API degraded"
    assert incident.updates.get().body == "Live update API is slow since 2026-03-17 12:00 UTC."
    assert Component.objects.get(pk=api.pk).status == "degraded_performance"


def test_a_message_typed_by_the_admin_wins_over_the_template(cast, client, api):
    template = IncidentTemplate.objects.create(slug="m", name="M", status="monitoring", body="Template text")
    incident = Incident.objects.create(name="Slow", status="investigating", impact="minor")
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/status/incident/{incident.pk}/change/",
        {"name": "Slow", "impact": "minor", "template": template.pk, "update_body": "Typed by hand"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    update = incident.updates.get()
    assert (update.status, update.body) == ("monitoring", "Typed by hand")
