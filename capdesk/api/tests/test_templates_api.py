"""The REST API opens and updates incidents from a template named by its slug."""

from capdesk.api.tests.conftest import assert_error
from capdesk.status import actions as status_actions
from capdesk.status.models import Component, Incident, IncidentTemplate


def _templates():
    api = status_actions.create_component(name="Live update API")
    opening = IncidentTemplate.objects.create(
        slug="api-degraded",
        name="API degraded",
        status="identified",
        title="{component} degraded",
        body="{component} answers slowly.",
        impact="major",
        component_status="degraded_performance",
    )
    opening.components.add(api)
    IncidentTemplate.objects.create(
        slug="monitoring", name="Monitoring", status="monitoring", body="A fix for {component} is out."
    )
    return api


def test_it_opens_an_incident_from_a_template(cast, tokens, api):
    component = _templates()
    opened = api.post("/status/incidents", tokens.status_admin, {"template": "api-degraded"})
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert (body["name"], body["status"], body["impact"]) == (
        "Live update API degraded",
        "identified",
        "major",
    )
    assert body["updates"][0]["body"] == "Live update API answers slowly."
    assert Component.objects.get(pk=component.pk).status == "degraded_performance"


def test_it_posts_an_update_from_a_template_filled_for_the_incident(cast, tokens, api):
    _templates()
    public_id = api.post("/status/incidents", tokens.status_admin, {"template": "api-degraded"}).json()[
        "public_id"
    ]
    update = api.post(
        f"/status/incidents/{public_id}/updates", tokens.status_admin, {"template": "monitoring"}
    )
    assert update.status_code == 201, update.content
    last = update.json()["updates"][-1]
    assert (last["status"], last["body"]) == ("monitoring", "A fix for Live update API is out.")


def test_fields_given_win_over_the_template(cast, tokens, api):
    _templates()
    opened = api.post(
        "/status/incidents",
        tokens.status_admin,
        {"template": "api-degraded", "name": "Our name", "body": "Our words", "impact": "minor"},
    )
    body = opened.json()
    assert (body["name"], body["impact"], body["updates"][0]["body"]) == ("Our name", "minor", "Our words")


def test_an_unknown_template_or_a_missing_text_is_a_validation_error(cast, tokens, api):
    assert_error(
        api.post("/status/incidents", tokens.status_admin, {"template": "nope"}), 422, "validation_error"
    )
    assert_error(
        api.post("/status/incidents", tokens.status_admin, {"name": "No body"}), 422, "validation_error"
    )
    assert not Incident.objects.exists()
