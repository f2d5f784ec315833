"""Events for subscribers, written by the actions in their transaction, in Statuspage's webhook shape.

The payload is frozen when the event happens: a subscriber told late (a retry, a slow
worker) learns what was true then, and every subscriber gets the same facts. The
per-subscriber ``meta`` (its unsubscribe link) is added at delivery.
"""

from __future__ import annotations

from django.db import transaction

from capdesk.status import config, v2
from capdesk.status.indicator import strict_component_status
from capdesk.status.models import ComponentStatusChange, Incident, IncidentUpdate, StatusEvent
from capdesk.status.translations import merged, only


def page_block() -> v2.Json:
    strict = config.strict()
    state = v2.overall(strict)
    return {
        "id": config.page_id(),
        "status_indicator": state.indicator,
        "status_description": state.description,
    }


def _enqueue_fan_out(event: StatusEvent) -> None:
    from capdesk.status.tasks import fan_out_event

    transaction.on_commit(lambda: fan_out_event.enqueue(event.pk))


def record_incident_event(incident: Incident, update: IncidentUpdate) -> StatusEvent:
    """Subscribers are told of this update (incidents without components concern everyone)."""
    strict = config.strict()
    detailed = v2.with_details(Incident.objects.filter(pk=incident.pk)).get()
    event = StatusEvent.objects.create(
        kind=StatusEvent.Kind.INCIDENT_UPDATE,
        incident=incident,
        update=update,
        payload={"page": page_block(), "incident": v2.incident_json(detailed, strict)},
        translations=merged(
            only(detailed.translations, {"name": "name"}), only(update.translations, {"body": "body"})
        ),
        component_ids=list(detailed.components.values_list("pk", flat=True)),
        created_at=update.created_at,
    )
    _enqueue_fan_out(event)
    return event


def record_component_event(change: ComponentStatusChange) -> StatusEvent:
    """Subscribers to this component are told its status moved outside any incident update."""
    strict = config.strict()
    component = change.component
    event = StatusEvent.objects.create(
        kind=StatusEvent.Kind.COMPONENT_UPDATE,
        change=change,
        payload={
            "page": page_block(),
            "component_update": {
                "id": change.public_id,
                "component_id": component.public_id,
                "old_status": strict_component_status(change.old_status, strict),
                "new_status": strict_component_status(change.new_status, strict),
                "created_at": v2.rfc3339(change.at),
                "component_type": "Component",
            },
            "component": v2.component_json(component, strict),
        },
        component_ids=[component.pk],
        created_at=change.at,
    )
    _enqueue_fan_out(event)
    return event
