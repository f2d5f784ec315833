from capdesk.api.tests.conftest import assert_error
from capdesk.status.models import Incident


def _open(api, token, **fields):
    return api.post(
        "/status/incidents", token, {"name": "Updates delayed", "body": "Investigating", **fields}
    )


def test_a_status_admin_token_opens_updates_and_resolves_an_incident(cast, tokens, api):
    opened = _open(api, tokens.status_admin, impact="major")
    assert opened.status_code == 201, opened.content
    public_id = opened.json()["public_id"]
    incident = Incident.objects.get(public_id=public_id)
    assert (incident.status, incident.impact, incident.created_by) == ("investigating", "major", cast.admin)
    update = api.post(
        f"/status/incidents/{public_id}/updates", tokens.status_admin, {"status": "identified", "body": "CDN"}
    )
    assert update.status_code == 201
    assert [u["status"] for u in update.json()["updates"]] == ["investigating", "identified"]
    resolved = api.post(f"/status/incidents/{public_id}/resolve", tokens.status_admin, {})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"]
    again = api.post(f"/status/incidents/{public_id}/resolve", tokens.status_admin, {})
    assert again.json()["updates"] == resolved.json()["updates"]


def test_the_public_status_document_shows_an_incident_opened_through_the_api(cast, tokens, api, client):
    public_id = _open(api, tokens.status_admin).json()["public_id"]
    unresolved = client.get("/api/v2/incidents/unresolved.json").json()
    assert public_id in [i["id"] for i in unresolved["incidents"]]


def test_only_status_admin_tokens_run_the_status_page(cast, tokens, api):
    for token in (tokens.agent, tokens.platform, tokens.developer, tokens.staff_reader):
        assert_error(_open(api, token), 403, "forbidden")
    assert not Incident.objects.exists()


def test_any_token_lists_incidents_and_filters_the_unresolved(cast, tokens, api):
    first = _open(api, tokens.status_admin).json()["public_id"]
    second = _open(api, tokens.status_admin, name="Builds slow").json()["public_id"]
    api.post(f"/status/incidents/{first}/resolve", tokens.status_admin, {})
    listed = api.get("/status/incidents", tokens.developer).json()["items"]
    assert [i["public_id"] for i in listed] == [second, first]
    open_only = api.get("/status/incidents?unresolved=true", tokens.agent).json()["items"]
    assert [i["public_id"] for i in open_only] == [second]
    assert_error(api.get("/status/incidents", None), 401, "unauthorized")


def test_a_retried_open_with_the_same_key_opens_one_incident(cast, tokens, api):
    key = {"Idempotency-Key": "outage-1"}
    first = api.post("/status/incidents", tokens.status_admin, {"name": "Down", "body": "Looking"}, **key)
    again = api.post("/status/incidents", tokens.status_admin, {"name": "Down", "body": "Looking"}, **key)
    assert first.json() == again.json()
    assert Incident.objects.count() == 1


def test_an_unknown_incident_or_a_bad_status_is_refused(cast, tokens, api):
    assert_error(api.post("/status/incidents/nope/resolve", tokens.status_admin, {}), 404, "not_found")
    public_id = _open(api, tokens.status_admin).json()["public_id"]
    bad = api.post(
        f"/status/incidents/{public_id}/updates", tokens.status_admin, {"status": "exploded", "body": "x"}
    )
    assert_error(bad, 422, "validation_error")


def test_a_status_admin_gives_and_reads_the_indonesian_text_as_translations(cast, tokens, api, client):
    opened = _open(
        api,
        tokens.status_admin,
        translations={"id": {"name": "Pembaruan tertunda", "body": "Sedang diselidiki"}},
    )
    assert opened.status_code == 201, opened.content
    public_id = opened.json()["public_id"]
    assert opened.json()["translations"] == {"id": {"name": "Pembaruan tertunda"}}
    assert opened.json()["updates"][0]["translations"] == {"id": {"body": "Sedang diselidiki"}}
    update = api.post(
        f"/status/incidents/{public_id}/updates",
        tokens.status_admin,
        {"status": "identified", "body": "CDN", "translations": {"id": {"body": "Masalah CDN"}}},
    )
    assert update.json()["updates"][-1]["translations"] == {"id": {"body": "Masalah CDN"}}
    resolved = api.post(
        f"/status/incidents/{public_id}/resolve",
        tokens.status_admin,
        {"translations": {"id": {"body": "Beres"}}},
    )
    assert resolved.json()["updates"][-1]["translations"] == {"id": {"body": "Beres"}}
    # Statuspage's contract is English: the v2 JSON never carries the translations.
    unresolved = client.get("/api/v2/incidents.json").json()
    assert unresolved["incidents"][0]["name"] == "Updates delayed"
    assert "translations" not in unresolved["incidents"][0]


def test_a_translation_into_a_language_the_page_is_not_in_is_refused(cast, tokens, api):
    refused = _open(api, tokens.status_admin, translations={"fr": {"name": "Mises à jour en retard"}})
    assert_error(refused, 422, "validation_error")
    assert not Incident.objects.exists()
