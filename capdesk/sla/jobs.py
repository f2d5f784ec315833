"""Periodic SLA work: warnings before a target is missed, breaches when it is."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.sla.actions import sweep_alerts


@every(30, name="sla.sweep_alerts")
def _sweep_alerts() -> int:
    return sweep_alerts()
