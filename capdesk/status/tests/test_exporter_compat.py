"""Compatibility: the PyPI package statuspage-prometheus-exporter reads the running desk correctly.

Skipped where the package is not installed (it is not one of the desk's dependencies);
run it with the package on the path to check a change to the v2 JSON against a real
consumer: ``pip install statuspage-prometheus-exporter``.
"""

import importlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from capdesk.status import actions


@pytest.fixture
def exporter(tmp_path, monkeypatch, live_server):
    services = tmp_path / "services.json"
    services.write_text(
        json.dumps({"capgo": {"url": f"{live_server.url}/api/v2/summary.json", "name": "Capgo"}})
    )
    monkeypatch.setenv("SERVICES_JSON_PATH", str(services))
    monkeypatch.chdir(tmp_path)  # it keeps a cache/ folder in the working directory
    # A plain import: the exporter is in the dev lock, so a broken install fails, not skips.
    checker = importlib.import_module("statuspage_prometheus_exporter.service_checker")
    checker = importlib.reload(checker)  # it reads services.json when imported
    return lambda: checker.check_service_status("capgo", checker.SERVICES["capgo"])


@pytest.mark.django_db(transaction=True)
def test_the_exporter_reports_indicator_components_incidents_and_maintenance(exporter):
    api = actions.create_component(name="Live update API")
    actions.create_component(name="Console")
    healthy = exporter()
    assert (healthy["success"], healthy["raw_status"], healthy["status"]) == (True, "none", 1)

    incident = actions.open_incident(
        name="Bundle downloads fail",
        body="Investigating.",
        impact="major",
        components={api: "partial_outage"},
    )
    now = timezone.now()
    maintenance = actions.schedule_maintenance(
        name="Database upgrade",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
    )
    result = exporter()
    assert result["raw_status"] == "major"
    assert [(i["id"], i["impact"], i["affected_components"]) for i in result["incident_metadata"]] == [
        (incident.public_id, "major", ["Live update API"])
    ]
    assert [m["id"] for m in result["maintenance_metadata"]] == [maintenance.public_id]
    assert ("Live update API", "partial_outage") in [
        (c["name"], c["status"]) for c in result["component_metadata"]
    ]

    actions.resolve_incident(incident)
    assert exporter()["incident_metadata"] == []
