"""Atlassian Statuspage's public v2 JSON documents, field for field.

Every key Statuspage sends is present (``null`` when there is no value, never missing),
times are RFC 3339 with the page zone's offset and milliseconds, ids are the rows'
public ids, and list documents hold at most 50 items, newest first, as Statuspage's do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from capdesk.status import config
from capdesk.status.indicator import (
    Overall,
    overall_status,
    strict_component_status,
    strict_impact,
    worst_component_status,
)
from capdesk.status.models import (
    ACTIVE_MAINTENANCE,
    UNRESOLVED_INCIDENT,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    MaintenanceStatus,
    PageState,
)

LIST_LIMIT = 50
Json = dict[str, Any]


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment, config.page_zone()).isoformat(timespec="milliseconds")


def page_state() -> PageState:
    """The version row; created on first read, so the cache keys of an empty page are stable too."""
    state = PageState.objects.filter(pk=1).first()
    if state is None:
        state, _ = PageState.objects.get_or_create(
            pk=1, defaults={"version": 0, "updated_at": timezone.now()}
        )
    return state


def page_json(state: PageState | None = None) -> Json:
    state = state or page_state()
    return {
        "id": config.page_id(),
        "name": config.page_name(),
        "url": config.page_url(),
        "time_zone": config.time_zone_name(),
        "updated_at": rfc3339(state.updated_at),
    }


def component_json(component: Component, strict: bool) -> Json:
    return {
        "id": component.public_id,
        "name": component.name,
        "status": strict_component_status(component.status, strict),
        "created_at": rfc3339(component.created_at),
        "updated_at": rfc3339(component.updated_at),
        "position": component.position,
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": component.group.public_id if component.group else None,
        "page_id": config.page_id(),
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def group_json(group: ComponentGroup, members: list[Component], strict: bool) -> Json:
    """A group is listed as a component with ``group: true`` and the ids of its members."""
    status = worst_component_status(c.status for c in members)
    return {
        "id": group.public_id,
        "name": group.name,
        "status": strict_component_status(status, strict),
        "created_at": rfc3339(group.created_at),
        "updated_at": rfc3339(max([group.updated_at, *(c.updated_at for c in members)])),
        "position": group.position,
        "description": group.description or None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": config.page_id(),
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.public_id for c in members],
    }


def components_json(strict: bool) -> list[Json]:
    """Groups and components in page order, each group followed by its members."""
    components = list(Component.objects.select_related("group"))
    groups = list(ComponentGroup.objects.all())
    members: dict[int, list[Component]] = {g.pk: [] for g in groups}
    top: list[tuple[int, str, Json]] = []
    for component in components:
        if component.group_id is not None and component.group_id in members:
            members[component.group_id].append(component)
        else:
            top.append((component.position, component.name, component_json(component, strict)))
    rows: list[Json] = []
    entries: list[tuple[int, str, ComponentGroup | None, Json | None]] = [
        (g.position, g.name, g, None) for g in groups
    ] + [(pos, name, None, doc) for pos, name, doc in top]
    for _pos, _name, group, doc in sorted(entries, key=lambda e: (e[0], e[1].lower())):
        if group is None:
            assert doc is not None
            rows.append(doc)
            continue
        if not members[group.pk]:
            continue  # an empty group says nothing about any service
        rows.append(group_json(group, members[group.pk], strict))
        rows.extend(component_json(c, strict) for c in members[group.pk])
    return rows


def _affected(update: IncidentUpdate, strict: bool) -> list[Json] | None:
    changes = list(update.component_changes.all())
    if not changes:
        return None
    return [
        {
            "code": change.component.public_id,
            "name": change.component.name,
            "old_status": strict_component_status(change.old_status, strict),
            "new_status": strict_component_status(change.new_status, strict),
        }
        for change in changes
    ]


def update_json(update: IncidentUpdate, incident: Incident, strict: bool) -> Json:
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": incident.public_id,
        "created_at": rfc3339(update.created_at),
        "updated_at": rfc3339(update.updated_at),
        "display_at": rfc3339(update.display_at),
        "affected_components": _affected(update, strict),
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(incident: Incident, strict: bool) -> Json:
    updates = sorted(incident.updates.all(), key=lambda u: (u.display_at, u.pk), reverse=True)
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": incident.status,
        "created_at": rfc3339(incident.created_at),
        "updated_at": rfc3339(incident.updated_at),
        "monitoring_at": rfc3339(incident.monitoring_at),
        "resolved_at": rfc3339(incident.resolved_at),
        "impact": strict_impact(incident.impact, strict),
        "shortlink": config.incident_url(incident.public_id),
        "started_at": rfc3339(incident.started_at),
        "page_id": config.page_id(),
        "incident_updates": [update_json(u, incident, strict) for u in updates],
        "components": [component_json(c, strict) for c in incident.components.all()],
        "scheduled_for": rfc3339(incident.scheduled_for),
        "scheduled_until": rfc3339(incident.scheduled_until),
    }


def with_details(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Everything incident_json reads, in a fixed number of queries."""
    changes = ComponentStatusChange.objects.select_related("component")
    updates = IncidentUpdate.objects.prefetch_related(Prefetch("component_changes", queryset=changes))
    return queryset.prefetch_related(
        Prefetch("updates", queryset=updates),
        Prefetch("components", queryset=Component.objects.select_related("group")),
    )


def incidents() -> QuerySet[Incident]:
    return Incident.objects.filter(kind=Incident.Kind.INCIDENT)


def maintenances() -> QuerySet[Incident]:
    return Incident.objects.filter(kind=Incident.Kind.MAINTENANCE)


def unresolved_incidents() -> QuerySet[Incident]:
    return incidents().filter(status__in=UNRESOLVED_INCIDENT).order_by("-started_at", "-id")


def upcoming_maintenances() -> QuerySet[Incident]:
    return maintenances().filter(status=MaintenanceStatus.SCHEDULED).order_by("scheduled_for", "id")


def active_maintenances() -> QuerySet[Incident]:
    return maintenances().filter(status__in=ACTIVE_MAINTENANCE).order_by("scheduled_for", "id")


def overall(strict: bool) -> Overall:
    return overall_status(
        Component.objects.values_list("status", flat=True),
        unresolved_incidents().values_list("impact", flat=True),
        maintenance_in_progress=active_maintenances().exists(),
        strict=strict,
    )


def _listed(queryset: QuerySet[Incident], strict: bool) -> list[Json]:
    return [incident_json(i, strict) for i in with_details(queryset[:LIST_LIMIT])]


def status_doc(strict: bool) -> Json:
    state = overall(strict)
    return {"page": page_json(), "status": {"indicator": state.indicator, "description": state.description}}


def components_doc(strict: bool) -> Json:
    return {"page": page_json(), "components": components_json(strict)}


def incidents_doc(strict: bool) -> Json:
    return {"page": page_json(), "incidents": _listed(incidents().order_by("-started_at", "-id"), strict)}


def unresolved_doc(strict: bool) -> Json:
    return {"page": page_json(), "incidents": _listed(unresolved_incidents(), strict)}


def maintenances_doc(strict: bool) -> Json:
    latest = maintenances().order_by("-scheduled_for", "-id")
    return {"page": page_json(), "scheduled_maintenances": _listed(latest, strict)}


def upcoming_doc(strict: bool) -> Json:
    return {"page": page_json(), "scheduled_maintenances": _listed(upcoming_maintenances(), strict)}


def active_doc(strict: bool) -> Json:
    return {"page": page_json(), "scheduled_maintenances": _listed(active_maintenances(), strict)}


def summary_doc(strict: bool) -> Json:
    current = [*_listed(active_maintenances(), strict), *_listed(upcoming_maintenances(), strict)]
    state = overall(strict)
    return {
        "page": page_json(),
        "components": components_json(strict),
        "incidents": _listed(unresolved_incidents(), strict),
        "scheduled_maintenances": current[:LIST_LIMIT],
        "status": {"indicator": state.indicator, "description": state.description},
    }


DOCUMENTS = {
    "summary": summary_doc,
    "status": status_doc,
    "components": components_doc,
    "incidents": incidents_doc,
    "incidents/unresolved": unresolved_doc,
    "scheduled-maintenances": maintenances_doc,
    "scheduled-maintenances/upcoming": upcoming_doc,
    "scheduled-maintenances/active": active_doc,
}
