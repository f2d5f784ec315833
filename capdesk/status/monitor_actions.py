"""What a monitor's result changes: its counters, and past the threshold, an incident.

N consecutive failed runs open an automatic incident on the component (or join one a
person already opened); the first passing run afterwards moves it to ``monitoring`` and
puts the component back to operational, but never resolves it: a person confirms
(Statuspage's advice, and a flapping service should not close and reopen incidents).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from capdesk.status import actions
from capdesk.status.models import (
    UNRESOLVED_INCIDENT,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Monitor,
    MonitorResult,
)
from capdesk.status.probes import Outcome

RESULTS_KEPT_DAYS = 30
RECOVERED_BODY = (
    "Our automatic checks pass again and the service looks healthy. We are monitoring; "
    "the incident will be resolved once we have confirmed it."
)


def _open_incident_of(monitor: Monitor) -> Incident | None:
    incident = monitor.incident
    if incident is not None and incident.status in UNRESOLVED_INCIDENT:
        return incident
    return None


def _fail(monitor: Monitor, outcome: Outcome, at: datetime) -> None:
    if monitor.consecutive_failures < monitor.failure_threshold:
        return
    component = monitor.component
    incident = _open_incident_of(monitor)
    if incident is None:
        # A person may already be on it: join their incident rather than open a second one.
        incident = component.incidents.filter(
            kind=Incident.Kind.INCIDENT, status__in=UNRESOLVED_INCIDENT
        ).first()
        if incident is None:
            incident = actions.open_incident(
                name=f"{component.name} is not responding",
                body=f"Our automatic checks of {component.name} are failing ({outcome.error}). We are investigating.",
                impact="major" if monitor.failure_status != ComponentStatus.DEGRADED_PERFORMANCE else "minor",
                components={component: monitor.failure_status},
                automatic=True,
                at=at,
            )
        monitor.incident = incident
        return
    if incident.status == IncidentStatus.MONITORING:
        # It failed again while we watched: back to investigating, component down again.
        actions.post_incident_update(
            incident,
            status=IncidentStatus.INVESTIGATING,
            body=f"Our automatic checks of {component.name} are failing again ({outcome.error}).",
            components={component: monitor.failure_status},
            at=at,
        )


def _recover(monitor: Monitor, at: datetime) -> None:
    incident = _open_incident_of(monitor)
    if incident is None or incident.status == IncidentStatus.MONITORING:
        return
    component = monitor.component
    back = {component: ComponentStatus.OPERATIONAL} if component.status != ComponentStatus.OPERATIONAL else {}
    actions.post_incident_update(
        incident, status=IncidentStatus.MONITORING, body=RECOVERED_BODY, components=back, at=at
    )


@transaction.atomic
def record_result(monitor: Monitor, outcome: Outcome, *, at: datetime | None = None) -> MonitorResult:
    """Store one run's outcome and move the monitor's incident accordingly."""
    moment = at or timezone.now()
    locked = (
        Monitor.objects.select_for_update(of=("self",))
        .select_related("component", "incident")
        .get(pk=monitor.pk)
    )
    result = MonitorResult.objects.create(
        monitor=locked, at=moment, ok=outcome.ok, latency_ms=outcome.latency_ms, error=outcome.error[:500]
    )
    locked.last_checked_at = moment
    locked.last_ok = outcome.ok
    locked.last_error = outcome.error[:500]
    if outcome.ok:
        locked.consecutive_failures = 0
        _recover(locked, moment)
    else:
        locked.consecutive_failures += 1
        _fail(locked, outcome, moment)
    if locked.incident is not None and locked.incident.status not in UNRESOLVED_INCIDENT:
        locked.incident = None  # a person resolved it: the next outage is a new incident
    locked.save()
    return result


def prune_results(now: datetime | None = None) -> int:
    """Keep a month of raw results; incidents and component history keep the long record."""
    cutoff = (now or timezone.now()) - timedelta(days=RESULTS_KEPT_DAYS)
    deleted, _ = MonitorResult.objects.filter(at__lt=cutoff).delete()
    return deleted
