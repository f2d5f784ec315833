from capdesk.status.demo import load_demo
from capdesk.status.models import Component, Incident


def test_the_demo_seeds_capgos_components_a_resolved_incident_and_upcoming_maintenance(db, client):
    assert load_demo() == {"components": 6, "incidents": 1, "maintenance": 1, "templates": 6}
    assert list(Component.objects.values_list("name", flat=True)) == [
        "Live update API", "Console", "CLI and bundle upload", "Capgo Build", "Analytics", "Website",
    ]  # fmt: skip
    past = Incident.objects.get(kind="incident")
    assert past.status == "resolved"
    assert [u.status for u in past.updates.all()] == ["resolved", "monitoring", "identified", "investigating"]
    upcoming = client.get("/api/v2/scheduled-maintenances/upcoming.json").json()
    assert [m["name"] for m in upcoming["scheduled_maintenances"]] == ["Database upgrade"]
    assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "none"
    # In Indonesian too, on the page; the Statuspage JSON stays English.
    page = client.get("/status/?lang=id").content.decode()
    assert "Peningkatan basis data" in page
    assert "<h3>API pembaruan langsung</h3>" in page and "<h3>Konsol</h3>" in page
    assert "<h3>Capgo Build</h3>" in page and "Build native iOS dan Android di cloud." in page
    incident = client.get(f"/status/incidents/{past.public_id}?lang=id").content.decode()
    assert "Unduhan bundle lambat di Asia" in incident and "node CDN di Singapura" in incident


def test_the_demo_is_safe_to_load_twice(db):
    load_demo()
    assert load_demo() == {"components": 0, "incidents": 0, "maintenance": 0, "templates": 0}
    assert Incident.objects.count() == 2


def test_loading_the_demo_again_names_components_made_before_they_had_translations(db):
    load_demo()
    Component.objects.update(translations={})
    Component.objects.filter(name="Analytics").update(translations={"id": {"name": "Analisis"}})
    load_demo()
    assert Component.objects.get(name="Console").text_in("name", "id") == "Konsol"
    assert Component.objects.get(name="Analytics").text_in("name", "id") == "Analisis", "an admin's stays"
