"""Statuspage's public v2 JSON: exact keys, nulls not gaps, RFC 3339 times, caching headers."""

import json
import re
from datetime import timedelta

import pytest

from capdesk.status import actions

from .conftest import NOW

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components", "scheduled_for", "scheduled_until",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
PATHS = [
    "summary", "status", "components", "incidents", "incidents/unresolved",
    "scheduled-maintenances", "scheduled-maintenances/upcoming", "scheduled-maintenances/active",
]  # fmt: skip


def _get(client, path):
    response = client.get(f"/api/v2/{path}.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def outage(api, console, frozen):
    incident = actions.open_incident(
        name="Bundle downloads fail", body="Investigating.", impact="major", components={api: "major_outage"}
    )
    frozen.shift(timedelta(minutes=5))
    actions.post_incident_update(incident, status="identified", body="A bad deploy.")
    return incident


def test_the_anonymous_public_reads_every_document_with_cors_and_short_caching(client, outage):
    for path in PATHS:
        response = client.get(f"/api/v2/{path}.json")
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("application/json")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "max-age=" in response["Cache-Control"]
        assert "stale-while-revalidate=" in response["Cache-Control"]
        assert set(response.json()["page"]) == PAGE_KEYS


def test_head_is_answered_2xx(client, outage):
    for path in PATHS:
        assert client.head(f"/api/v2/{path}.json").status_code == 200
    assert client.head("/status.json").status_code == 200


def test_unknown_documents_are_not_found(client, db):
    assert client.get("/api/v2/pages.json").status_code == 404


def test_summary_has_statuspages_shape_and_values(client, outage, api):
    doc = _get(client, "summary")
    assert list(doc) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    # A component in major outage outweighs the incident's declared impact.
    assert doc["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert [set(c) for c in doc["components"]] == [COMPONENT_KEYS, COMPONENT_KEYS]
    live = next(c for c in doc["components"] if c["name"] == "Live update API")
    assert live["status"] == "major_outage"
    assert live["description"] is None and live["group_id"] is None and live["start_date"] is None
    (incident,) = doc["incidents"]
    assert set(incident) == INCIDENT_KEYS
    assert incident["shortlink"] == f"http://127.0.0.1:8000/status/incidents/{incident['id']}"
    assert incident["monitoring_at"] is None and incident["resolved_at"] is None
    assert incident["scheduled_for"] is None
    assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]
    first = incident["incident_updates"][-1]
    assert set(first) == UPDATE_KEYS
    assert first["affected_components"] == [
        {
            "code": api.public_id,
            "name": "Live update API",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert incident["incident_updates"][0]["affected_components"] is None


def test_times_are_rfc3339_with_an_offset_in_the_page_zone(client, outage, settings):
    doc = _get(client, "incidents")
    incident = doc["incidents"][0]
    for key in ("created_at", "updated_at", "started_at"):
        assert RFC3339.match(incident[key]), incident[key]
    assert incident["started_at"] == "2026-03-17T12:00:00.000+00:00"
    settings.CAPDESK_STATUS_TIME_ZONE = "Asia/Jakarta"
    actions.touch_page()  # a settings change is a deployment; the next render picks it up
    doc = _get(client, "incidents")
    assert doc["incidents"][0]["started_at"] == "2026-03-17T19:00:00.000+07:00"
    assert doc["page"]["time_zone"] == "Asia/Jakarta"


def test_ids_are_stable_and_opaque(client, outage):
    first, second = _get(client, "incidents"), _get(client, "incidents")
    assert first["incidents"][0]["id"] == second["incidents"][0]["id"] == outage.public_id
    assert re.fullmatch(r"[a-z0-9]{12}", outage.public_id)
    assert first["page"]["id"] == second["page"]["id"]


def test_unresolved_lists_only_open_incidents_and_resolution_shows_in_the_list(client, outage, frozen):
    assert len(_get(client, "incidents/unresolved")["incidents"]) == 1
    frozen.shift(timedelta(minutes=30))
    actions.resolve_incident(outage)
    assert _get(client, "incidents/unresolved")["incidents"] == []
    listed = _get(client, "incidents")["incidents"][0]
    assert listed["status"] == "resolved"
    assert listed["resolved_at"] == "2026-03-17T12:35:00.000+00:00"
    assert _get(client, "status")["status"]["indicator"] == "none"


def test_list_documents_hold_at_most_fifty_items_newest_first(client, api, frozen):
    for n in range(55):
        frozen.shift(timedelta(minutes=1))
        actions.open_incident(name=f"Incident {n}", body="x", impact="none", notify=False)
    incidents = _get(client, "incidents")["incidents"]
    assert len(incidents) == 50
    assert incidents[0]["name"] == "Incident 54"
    assert len(_get(client, "incidents/unresolved")["incidents"]) == 50
    assert len(_get(client, "summary")["incidents"]) == 50


def test_maintenance_documents_split_upcoming_and_active(client, api):
    soon = actions.schedule_maintenance(
        name="Upgrade", scheduled_for=NOW + timedelta(days=1), scheduled_until=NOW + timedelta(days=1, hours=1),
        components=[api],
    )  # fmt: skip
    now = actions.schedule_maintenance(
        name="Now", scheduled_for=NOW - timedelta(minutes=5), scheduled_until=NOW + timedelta(hours=1),
        components=[api],
    )  # fmt: skip
    actions.start_maintenance(now)
    assert [m["id"] for m in _get(client, "scheduled-maintenances/upcoming")["scheduled_maintenances"]] == [
        soon.public_id
    ]
    active = _get(client, "scheduled-maintenances/active")["scheduled_maintenances"]
    assert [m["id"] for m in active] == [now.public_id]
    assert active[0]["impact"] == "maintenance"
    assert active[0]["scheduled_until"] == "2026-03-17T13:00:00.000+00:00"
    summary = _get(client, "summary")
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Now", "Upgrade"]
    assert summary["status"]["indicator"] == "maintenance"
    assert len(_get(client, "scheduled-maintenances")["scheduled_maintenances"]) == 2


def test_strict_mode_never_emits_maintenance_values(client, api, settings):
    settings.CAPDESK_STATUS_STRICT = True
    running = actions.schedule_maintenance(
        name="Now", scheduled_for=NOW, scheduled_until=NOW + timedelta(hours=1), components=[api]
    )
    actions.start_maintenance(running)
    for path in PATHS:
        text = client.get(f"/api/v2/{path}.json").content.decode()
        assert '"maintenance"' not in text, path
        assert "under_maintenance" not in text, path
    assert _get(client, "status")["status"] == {
        "indicator": "none",
        "description": "Service Under Maintenance",
    }


def test_groups_are_listed_as_components_followed_by_their_members(client, db, frozen):
    group = actions.create_group(name="Builds")
    ios = actions.create_component(name="iOS builds", group=group)
    android = actions.create_component(name="Android builds", group=group)
    actions.set_component_status(ios, "partial_outage")
    components = _get(client, "components")["components"]
    assert [c["name"] for c in components] == ["Builds", "iOS builds", "Android builds"]  # by position
    heading = components[0]
    assert heading["group"] is True
    assert heading["status"] == "partial_outage"
    assert sorted(heading["components"]) == sorted([ios.public_id, android.public_id])
    assert components[2]["group_id"] == group.public_id


def test_a_change_is_visible_at_once_despite_the_cache(client, api):
    assert _get(client, "status")["status"]["indicator"] == "none"
    actions.set_component_status(api, "degraded_performance")
    assert _get(client, "status")["status"]["indicator"] == "minor"


def test_a_matching_etag_gets_304(client, outage):
    first = client.get("/api/v2/summary.json")
    again = client.get("/api/v2/summary.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == "*"


def test_the_summary_costs_a_fixed_number_of_queries(client, api, console, django_assert_max_num_queries):
    for n in range(10):
        actions.open_incident(name=f"I{n}", body="b", components={api: "degraded_performance"}, notify=False)
    with django_assert_max_num_queries(20):
        client.get("/api/v2/summary.json")


def test_the_footer_document_says_up_with_the_uptime(client, api):
    response = client.get("/status.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content) == {"indicator": "up", "uptime": "100.00%"}


def test_the_footer_document_says_down_during_a_major_outage(client, outage, frozen):
    frozen.shift(timedelta(hours=1))
    doc = client.get("/status.json").json()
    assert doc["indicator"] == "down"
    assert doc["uptime"] != "100.00%"
