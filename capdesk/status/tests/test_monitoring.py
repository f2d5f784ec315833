"""Monitors notice first: consecutive failures open an automatic incident; recovery moves it to monitoring."""

import socket
from datetime import timedelta

from capdesk.status import actions, monitor_actions, monitoring
from capdesk.status.models import Component, Incident, Monitor
from capdesk.status.probes import Outcome

from .target import closed_port, http_target


def _monitor(component, target, **fields) -> Monitor:
    defaults = {
        "kind": "tcp",
        "interval_seconds": 30,
        "timeout_seconds": 1,
        "retries": 0,
        "failure_threshold": 2,
    }
    return Monitor.objects.create(
        name=f"{component.name} check", component=component, target=target, **{**defaults, **fields}
    )


def _sweep(frozen, seconds=31) -> int:
    ran = monitoring.run_due()
    frozen.shift(timedelta(seconds=seconds))
    return ran


def test_consecutive_failures_open_one_automatic_incident_and_recovery_moves_it_to_monitoring(api, frozen):
    port = closed_port()
    monitor = _monitor(api, f"127.0.0.1:{port}")
    assert _sweep(frozen) == 1
    assert not Incident.objects.exists()  # one failure is not an outage
    assert _sweep(frozen) == 1
    incident = Incident.objects.get()
    assert incident.automatic and incident.status == "investigating"
    assert list(incident.components.all()) == [api]
    assert Component.objects.get(pk=api.pk).status == "major_outage"
    _sweep(frozen)
    assert Incident.objects.count() == 1  # still the same incident

    with socket.socket() as listener:  # the service comes back
        listener.bind(("127.0.0.1", port))
        listener.listen()
        _sweep(frozen)
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    assert Component.objects.get(pk=api.pk).status == "operational"
    monitor.refresh_from_db()
    assert monitor.consecutive_failures == 0 and monitor.last_ok is True
    assert [r.ok for r in monitor.results.order_by("at")] == [False, False, False, True]


def test_a_monitor_only_runs_when_due(api, frozen):
    with http_target() as base:
        _monitor(api, f"{base}/ok", kind="http", interval_seconds=60)
        assert monitoring.run_due() == 1
        assert monitoring.run_due() == 0
        frozen.shift(timedelta(seconds=61))
        assert monitoring.run_due() == 1


def test_a_failure_while_monitoring_reopens_the_investigation(api, frozen):
    monitor = _monitor(api, "127.0.0.1:1", failure_threshold=1)
    monitor_actions.record_result(monitor, Outcome(False, 5, "ConnectionRefusedError"))
    monitor_actions.record_result(monitor, Outcome(True, 5))
    incident = Incident.objects.get()
    assert incident.status == "monitoring"
    monitor_actions.record_result(monitor, Outcome(False, 5, "ConnectionRefusedError"))
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert Component.objects.get(pk=api.pk).status == "major_outage"
    assert Incident.objects.count() == 1


def test_a_monitor_joins_an_incident_a_person_already_opened(api, frozen):
    manual = actions.open_incident(name="We see errors", body="Looking", components={api: "partial_outage"})
    monitor = _monitor(api, "127.0.0.1:1", failure_threshold=1)
    monitor_actions.record_result(monitor, Outcome(False, 5, "refused"))
    assert Incident.objects.count() == 1
    monitor.refresh_from_db()
    assert monitor.incident == manual


def test_after_a_person_resolves_it_the_next_outage_is_a_new_incident(api, frozen):
    monitor = _monitor(api, "127.0.0.1:1", failure_threshold=1)
    monitor_actions.record_result(monitor, Outcome(False, 5, "refused"))
    first = Incident.objects.get()
    monitor_actions.record_result(monitor, Outcome(True, 5))
    actions.resolve_incident(first)
    monitor_actions.record_result(monitor, Outcome(True, 5))
    monitor.refresh_from_db()
    assert monitor.incident is None
    monitor_actions.record_result(monitor, Outcome(False, 5, "refused"))
    assert Incident.objects.filter(automatic=True).count() == 2


def test_old_results_are_pruned(api, frozen):
    monitor = _monitor(api, "127.0.0.1:1", failure_threshold=99)
    monitor_actions.record_result(monitor, Outcome(True, 5))
    frozen.shift(timedelta(days=31))
    monitor_actions.record_result(monitor, Outcome(True, 5))
    assert monitor_actions.prune_results() == 1
    assert monitor.results.count() == 1
