"""What becomes an outgoing webhook: the ticket audit trail and the status page's incident events.

Both are listened to with ``post_save`` (connected in NotifyConfig.ready), so every
action that writes an ``Event`` or a ``StatusEvent`` is covered without knowing about
webhooks, and the deliveries are written in that action's transaction. Payloads carry
a ticket's summary and the change, never message bodies, subjects or agents' reasons:
an endpoint is outside the desk, and free text is where customers' secrets live.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from capdesk.notify.webhooks import queue_event, wanted
from capdesk.status.models import Incident, StatusEvent
from capdesk.tickets.models import Event, Status, Ticket

# Audit kinds that are a visible change to a ticket; the rest (internal notes, sender
# checks, retainer bookings, bulk markers) stay inside the desk.
UPDATED_KINDS = frozenset(
    {
        "status.changed",
        "assigned",
        "severity.changed",
        "message.customer",
        "message.agent",
        "decision.made",
        "incident.linked",
        "incident.unlinked",
        "incident.resolved",
    }
)
DIRECT_KINDS = frozenset({"ticket.created", "decision.overridden", "sla.warning", "sla.breached"})
# Event.data keys that are facts, not free text.
CHANGE_KEYS = (
    "status_from",
    "status_to",
    "severity_from",
    "severity_to",
    "outcome",
    "outcome_from",
    "outcome_to",
    "scope",
    "channel",
    "follow_up_of",
    "metric",
    "policy",
    "tier",
    "at",
    "incident",
)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def solves(event: Event) -> bool:
    """Whether the audit row records the ticket becoming solved, whatever the cause.

    Every action that moves a status records both ends on its one row: a person's change
    (``status.changed``), the policy's decision or an agent's override, the incident the
    ticket waited on resolving (M2). The row is the change, so it is announced once.
    """
    data = event.data if isinstance(event.data, dict) else {}
    return data.get("status_to") == Status.SOLVED and data.get("status_from") != Status.SOLVED


def event_types_for(event: Event) -> tuple[str, ...]:
    """The webhook events an audit row is: none, one, or its own and ``ticket.solved``.

    A row that solves the ticket is ``ticket.solved`` rather than ``ticket.updated``, as a
    status change always was; an override keeps its own event and says ``ticket.solved`` too.
    """
    if event.kind in DIRECT_KINDS:
        return (event.kind, "ticket.solved") if solves(event) else (event.kind,)
    if event.kind in UPDATED_KINDS:
        return ("ticket.solved",) if solves(event) else ("ticket.updated",)
    return ()


def event_type_for(event: Event) -> str | None:
    """The webhook event an audit row is first, or None when it is not one."""
    return next(iter(event_types_for(event)), None)


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "severity": ticket.severity,
        "outcome": ticket.outcome,
        "scope": ticket.scope,
        "channel": ticket.channel,
        "organization": str(ticket.organization.capgo_id) if ticket.organization else None,
        "project": ticket.project.app_id if ticket.project else None,
        "incident": ticket.incident or None,
        "created_at": rfc3339(ticket.created_at),
        "updated_at": rfc3339(ticket.updated_at),
    }


def ticket_payload(event: Event, event_type: str) -> dict[str, Any]:
    change = {key: event.data[key] for key in CHANGE_KEYS if key in event.data}
    return {
        "type": event_type,
        "timestamp": rfc3339(event.created_at),
        "data": {"ticket": ticket_summary(event.ticket), "change": {"kind": event.kind, **change}},
    }


def on_ticket_event(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    for event_type in event_types_for(instance):
        if wanted(event_type):
            queue_event(event_type, ticket_payload(instance, event_type))


def incident_event_type(payload: dict[str, Any]) -> str:
    incident = payload["incident"]
    if incident["status"] == "resolved":
        return "incident.resolved"
    return "incident.created" if len(incident["incident_updates"]) == 1 else "incident.updated"


def on_status_event(sender: type[StatusEvent], instance: StatusEvent, created: bool, **kwargs: Any) -> None:
    # Maintenance windows are announced to status subscribers, not here: issue 8 asks
    # for incident.* only. Updates posted with notify=False make no StatusEvent, so
    # they are silent here too (backfills).
    if not created or kwargs.get("raw") or instance.kind != StatusEvent.Kind.INCIDENT_UPDATE:
        return
    if instance.incident is None or instance.incident.kind != Incident.Kind.INCIDENT:
        return
    event_type = incident_event_type(instance.payload)
    queue_event(
        event_type,
        {
            "type": event_type,
            "timestamp": rfc3339(instance.created_at),
            "data": {"incident": instance.payload["incident"]},
        },
    )
