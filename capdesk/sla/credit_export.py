"""Uptime credits as JSON: the `capdesk sla credits --json` document (stable keys, ISO 8601 UTC times)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from capdesk.sla.credit_data import MonthCredits


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _percent(ratio: float) -> float:
    """Percent with three decimals, rounded down (as shown on the page)."""
    return int(ratio * 100_000) / 1000


def credits_document(figures: MonthCredits) -> dict[str, Any]:
    return {
        "month": figures.month,
        "start": _iso(figures.start),
        "end": _iso(figures.end),
        "complete": figures.complete,
        "commitment_percent": round(figures.commitment * 100, 1),
        "availability_percent": _percent(figures.availability),
        "organizations": [
            {
                "id": str(row.organization.capgo_id),
                "name": row.organization.name,
                "since": _iso(row.since),
                "availability_percent": _percent(row.availability),
                "credit_percent": row.credit_percent,
            }
            for row in figures.organizations
        ],
        "incidents": [
            {
                "id": cause.incident.public_id if cause.incident else None,
                "name": cause.incident.name if cause.incident else "status set by hand",
                "kind": cause.incident.kind if cause.incident else None,
                "started_at": _iso(cause.incident.started_at) if cause.incident else None,
                "resolved_at": _iso(cause.incident.resolved_at) if cause.incident else None,
                "downtime_minutes": round(cause.downtime_seconds / 60, 1),
            }
            for cause in figures.causes
        ],
        "excluded_maintenance": [
            {
                "id": m.public_id,
                "name": m.name,
                "announced_at": _iso(m.created_at),
                "scheduled_for": _iso(m.scheduled_for),
                "scheduled_until": _iso(m.scheduled_until),
            }
            for m in figures.excluded_maintenance
        ],
    }
