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


# Templates in Indonesian (a status_admin token; the page's readers see the result) ---------


def _indonesian_templates(api_component: Component) -> None:
    status_actions.edit_component(
        api_component,
        name=api_component.name,
        description="",
        group=None,
        position=api_component.position,
        showcase=True,
        only_show_if_degraded=False,
        translations={"id": {"name": "API pembaruan langsung"}},
    )
    opening = IncidentTemplate.objects.create(
        slug="api-degraded-id",
        name="API melambat",
        language="id",
        status="investigating",
        title="{component} melambat",
        body="{component} menjawab dengan lambat.",
        impact="minor",
        component_status="partial_outage",
    )
    opening.components.add(api_component)
    IncidentTemplate.objects.create(
        slug="monitoring-id",
        name="Memantau",
        language="id",
        status="monitoring",
        body="Perbaikan untuk {component} ({incident}) sudah dirilis.",
    )


def test_an_indonesian_template_fills_the_indonesian_text_not_the_english(cast, tokens, api):
    component = _templates()
    _indonesian_templates(component)
    opened = api.post(
        "/status/incidents",
        tokens.status_admin,
        {"template": "api-degraded-id", "name": "Live update API slow", "body": "It answers slowly."},
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert (body["name"], body["updates"][0]["body"]) == ("Live update API slow", "It answers slowly.")
    assert body["translations"] == {"id": {"name": "API pembaruan langsung melambat"}}
    assert body["updates"][0]["translations"] == {
        "id": {"body": "API pembaruan langsung menjawab dengan lambat."}
    }
    assert (body["status"], body["impact"]) == ("investigating", "minor"), "the template's, as before"


def test_an_english_and_an_indonesian_template_fill_both_languages(cast, tokens, api):
    component = _templates()
    _indonesian_templates(component)
    opened = api.post(
        "/status/incidents", tokens.status_admin, {"template": ["api-degraded", "api-degraded-id"]}
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert body["name"] == "Live update API degraded"
    assert body["translations"] == {"id": {"name": "API pembaruan langsung melambat"}}
    assert (body["status"], body["impact"]) == ("identified", "major"), "the first template decides"
    assert Component.objects.get(pk=component.pk).status == "degraded_performance"
    update = api.post(
        f"/status/incidents/{body['public_id']}/updates",
        tokens.status_admin,
        {"template": ["monitoring", "monitoring-id"]},
    )
    assert update.status_code == 201, update.content
    last = update.json()["updates"][-1]
    assert last["body"] == "A fix for Live update API is out."
    assert last["translations"] == {
        "id": {
            "body": "Perbaikan untuk API pembaruan langsung (API pembaruan langsung melambat) sudah dirilis."
        }
    }


def test_the_indonesian_page_shows_what_the_indonesian_template_filled(cast, tokens, api, client):
    component = _templates()
    _indonesian_templates(component)
    api.post("/status/incidents", tokens.status_admin, {"template": ["api-degraded", "api-degraded-id"]})
    assert "API pembaruan langsung melambat" in client.get("/status/?lang=id").content.decode()
    english = client.get("/status/?lang=en").content.decode()
    assert "Live update API degraded" in english and "melambat" not in english


def test_translations_given_win_over_the_indonesian_template(cast, tokens, api):
    component = _templates()
    _indonesian_templates(component)
    opened = api.post(
        "/status/incidents",
        tokens.status_admin,
        {"template": ["api-degraded", "api-degraded-id"], "translations": {"id": {"name": "Judul kami"}}},
    )
    body = opened.json()
    assert body["translations"] == {"id": {"name": "Judul kami"}}
    assert body["updates"][0]["translations"] == {
        "id": {"body": "API pembaruan langsung menjawab dengan lambat."}
    }


def test_an_english_template_alone_fills_no_translation(cast, tokens, api):
    _templates()
    body = api.post("/status/incidents", tokens.status_admin, {"template": "api-degraded"}).json()
    assert body["translations"] == {} and body["updates"][0]["translations"] == {}


def test_an_indonesian_template_alone_leaves_the_english_text_to_the_caller(cast, tokens, api):
    _indonesian_templates(_templates())
    assert_error(
        api.post("/status/incidents", tokens.status_admin, {"template": "api-degraded-id"}),
        422,
        "validation_error",
    )
    assert_error(
        api.post("/status/incidents", tokens.status_admin, {"template": ["api-degraded", "monitoring"]}),
        422,
        "validation_error",
    )  # two English templates: which text?
    assert not Incident.objects.exists()
