from datetime import UTC, datetime, timedelta

import pytest

from capdesk.status import actions
from capdesk.status.actions import StatusError
from capdesk.status.models import Component, ComponentStatusChange, Incident, PageState, StatusEvent

from .conftest import NOW


def _version() -> int:
    return PageState.objects.get(pk=1).version


def test_it_opens_an_incident_with_its_first_update_and_component_history(api, console):
    before = _version()
    incident = actions.open_incident(
        name="Updates are slow to download",
        body="We are investigating slow bundle downloads.",
        impact="major",
        components={api: "partial_outage"},
    )
    assert incident.status == "investigating"
    assert incident.started_at == NOW
    assert [u.status for u in incident.updates.all()] == ["investigating"]
    assert list(incident.components.all()) == [api]
    api.refresh_from_db()
    assert api.status == "partial_outage"
    change = ComponentStatusChange.objects.get()
    assert (change.old_status, change.new_status, change.incident, change.at) == (
        "operational",
        "partial_outage",
        incident,
        NOW,
    )
    assert change.update == incident.updates.get()
    assert _version() > before
    event = StatusEvent.objects.get()
    assert event.kind == "incident_update"
    assert event.payload["incident"]["name"] == "Updates are slow to download"


def test_it_stamps_monitoring_and_resolution_times_as_updates_arrive(api, frozen):
    incident = actions.open_incident(name="Outage", body="Looking", components={api: "major_outage"})
    frozen.shift(timedelta(minutes=10))
    actions.post_incident_update(
        incident, status="monitoring", body="A fix is out", components={api: "operational"}
    )
    assert incident.monitoring_at == NOW + timedelta(minutes=10)
    assert incident.resolved_at is None
    frozen.shift(timedelta(minutes=20))
    actions.resolve_incident(incident)
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at == NOW + timedelta(minutes=30)
    assert incident.updates.all()[0].body == "This incident has been resolved."


def test_resolving_puts_components_back_to_operational_unless_another_incident_holds_them(api, console):
    first = actions.open_incident(
        name="A", body="a", components={api: "major_outage", console: "degraded_performance"}
    )
    actions.open_incident(name="B", body="b", components={console: "degraded_performance"})
    actions.resolve_incident(first)
    api.refresh_from_db()
    console.refresh_from_db()
    assert api.status == "operational"
    assert console.status == "degraded_performance"


def test_it_refuses_a_maintenance_status_on_an_incident(api):
    incident = actions.open_incident(name="A", body="a")
    with pytest.raises(StatusError):
        actions.post_incident_update(incident, status="in_progress", body="no")
    with pytest.raises(StatusError):
        actions.open_incident(name="B", body="b", status="resolved")


def test_component_names_are_unique_across_components_and_groups_whatever_the_case(api):
    with pytest.raises(StatusError):
        actions.create_component(name="live UPDATE api")
    with pytest.raises(StatusError):
        actions.create_group(name="Live Update API")
    group = actions.create_group(name="Builds")
    with pytest.raises(StatusError):
        actions.create_component(name="builds", group=group)


def test_setting_the_same_status_twice_records_one_change(api):
    assert actions.set_component_status(api, "degraded_performance") is not None
    assert actions.set_component_status(api, "degraded_performance") is None
    assert ComponentStatusChange.objects.count() == 1
    assert StatusEvent.objects.get().kind == "component_update"


def test_a_postmortem_follows_only_a_resolved_incident(api):
    incident = actions.open_incident(name="A", body="a")
    with pytest.raises(StatusError):
        actions.publish_postmortem(incident, body="Root cause ...")
    actions.resolve_incident(incident)
    actions.publish_postmortem(incident, body="Root cause: a full disk.")
    incident.refresh_from_db()
    assert incident.status == "postmortem"
    assert incident.postmortem_body == "Root cause: a full disk."
    assert incident.postmortem_published_at == NOW


def test_maintenance_runs_its_lifecycle_and_returns_components(api, console):
    maintenance = actions.schedule_maintenance(
        name="Database upgrade",
        scheduled_for=NOW + timedelta(days=2),
        scheduled_until=NOW + timedelta(days=2, hours=1),
        components=[api],
    )
    assert (maintenance.status, maintenance.impact) == ("scheduled", "maintenance")
    actions.start_maintenance(maintenance)
    api.refresh_from_db()
    assert api.status == "under_maintenance"
    actions.complete_maintenance(maintenance)
    api.refresh_from_db()
    maintenance.refresh_from_db()
    assert api.status == "operational"
    assert maintenance.status == "completed"
    assert maintenance.resolved_at == NOW


def test_a_maintenance_window_ends_after_it_starts(db, frozen):
    with pytest.raises(StatusError):
        actions.schedule_maintenance(name="X", scheduled_for=NOW, scheduled_until=NOW)


def test_moving_the_window_bumps_the_calendar_sequence_and_keeping_it_does_not(api):
    maintenance = actions.schedule_maintenance(
        name="Upgrade",
        scheduled_for=NOW + timedelta(days=1),
        scheduled_until=NOW + timedelta(days=1, hours=2),
    )
    actions.reschedule_maintenance(
        maintenance, scheduled_for=NOW + timedelta(days=1), scheduled_until=NOW + timedelta(days=1, hours=2)
    )
    assert maintenance.sequence == 0
    actions.reschedule_maintenance(
        maintenance, scheduled_for=NOW + timedelta(days=3), scheduled_until=NOW + timedelta(days=3, hours=2)
    )
    assert maintenance.sequence == 1
    assert maintenance.started_at == NOW + timedelta(days=3)
    assert maintenance.updates.count() == 2


def test_the_scheduler_opens_and_closes_maintenance_windows_on_time(api, frozen):
    maintenance = actions.schedule_maintenance(
        name="Upgrade",
        scheduled_for=NOW + timedelta(hours=1),
        scheduled_until=NOW + timedelta(hours=2),
        components=[api],
    )
    assert actions.advance_maintenances() == 0
    frozen.move_to(NOW + timedelta(hours=1))
    assert actions.advance_maintenances() == 1
    maintenance.refresh_from_db()
    assert maintenance.status == "in_progress"
    assert Component.objects.get(pk=api.pk).status == "under_maintenance"
    frozen.move_to(NOW + timedelta(hours=2, minutes=1))
    assert actions.advance_maintenances() == 1
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    assert Component.objects.get(pk=api.pk).status == "operational"


def test_backfilled_incidents_keep_their_own_times(api):
    then = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
    incident = actions.open_incident(name="Old", body="x", components={api: "major_outage"}, at=then)
    actions.resolve_incident(incident, at=then + timedelta(hours=1))
    incident.refresh_from_db()
    assert (incident.started_at, incident.resolved_at) == (then, then + timedelta(hours=1))
    assert list(ComponentStatusChange.objects.values_list("at", flat=True)) == [
        then,
        then + timedelta(hours=1),
    ]
    assert Incident.objects.get().updates.count() == 2


def test_a_moved_window_says_so_in_words_people_read_in_each_language(api):
    maintenance = actions.schedule_maintenance(
        name="Upgrade",
        scheduled_for=NOW + timedelta(days=1),
        scheduled_until=NOW + timedelta(days=1, hours=2),
    )
    start, end = NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2)
    actions.reschedule_maintenance(maintenance, scheduled_for=start, scheduled_until=end)
    update = maintenance.updates.latest("pk")
    window = f"{start:%Y-%m-%d %H:%M} UTC", f"{end:%Y-%m-%d %H:%M} UTC"
    assert update.body == f"The maintenance window has moved: {window[0]} to {window[1]}."
    assert (
        update.translations["id"]["body"]
        == f"Jadwal pemeliharaan dipindahkan: {window[0]} sampai {window[1]}."
    )
    # What staff wrote is what readers get.
    actions.reschedule_maintenance(
        maintenance,
        scheduled_for=NOW + timedelta(days=4),
        scheduled_until=end + timedelta(days=1),
        body="Moved.",
    )
    assert maintenance.updates.latest("pk").body == "Moved."
    assert maintenance.updates.latest("pk").translations == {}
