"""Events for subscribers, written by the actions in their transaction, in Statuspage's webhook shape.

The payload is frozen when the event happens: a subscriber told late (a retry, a slow
worker) learns what was true then, and every subscriber gets the same facts. The
per-subscriber ``meta`` (its unsubscribe link) is added at delivery.
"""

from __future__ import annotations

from django.db import transaction

from capdesk.core.translations import merged, only, other_languages, pick
from capdesk.status import config, v2
from capdesk.status.indicator import strict_component_status
from capdesk.status.models import Component, ComponentStatusChange, Incident, IncidentUpdate, StatusEvent


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


def _component_names(components: list[Component]) -> dict[str, dict[str, str]]:
    """The affected components as a reader in each other language sees them, listed as emails list them.

    Only for a language at least one of them has a name in: the others read the payload's.
    """
    names: dict[str, dict[str, str]] = {}
    for language in other_languages():
        if any(pick(c.translations, "name", language) for c in components):
            names[language] = {"components": ", ".join(c.text_in("name", language) for c in components)}
    return names


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
            merged(
                only(detailed.translations, {"name": "name"}), only(update.translations, {"body": "body"})
            ),
            _component_names(list(detailed.components.all())),
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
        # The component's name in other languages, for emails (webhooks send the payload).
        translations=only(component.translations, {"name": "component"}),
        component_ids=[component.pk],
        created_at=change.at,
    )
    _enqueue_fan_out(event)
    return event
