"""The overall status indicator: a pure function of component statuses and open incidents.

Statuspage's indicator is one of none / minor / major / critical / maintenance. An
incident's impact and a component's status both raise it; maintenance shows only when
nothing is broken (a real outage during a maintenance window is still an outage).
Strict mode never says ``maintenance`` or ``under_maintenance``: some Statuspage
exporters reject values outside the older enums, so planned work reads as operational.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NONE, MINOR, MAJOR, CRITICAL, MAINTENANCE = "none", "minor", "major", "critical", "maintenance"

_IMPACT_RANK = {NONE: 0, MINOR: 1, MAJOR: 2, CRITICAL: 3}
_COMPONENT_RANK = {
    "operational": 0,
    "under_maintenance": 0,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
}
_BY_RANK = {0: NONE, 1: MINOR, 2: MAJOR, 3: CRITICAL}

# Statuspage's own English phrases: consumers match on them, so they are not translated here.
DESCRIPTIONS = {
    NONE: "All Systems Operational",
    MINOR: "Minor Service Outage",
    MAJOR: "Partial System Outage",
    CRITICAL: "Major System Outage",
    MAINTENANCE: "Service Under Maintenance",
}

# The Capgo website footer's vocabulary (CAPGO.md): it says "All systems normal" on "up".
FOOTER = {NONE: "up", MINOR: "degraded", MAJOR: "down", CRITICAL: "down", MAINTENANCE: "maintenance"}


@dataclass(frozen=True)
class Overall:
    indicator: str
    description: str


def component_rank(status: str) -> int:
    return _COMPONENT_RANK.get(status, 0)


def overall_status(
    component_statuses: Iterable[str],
    open_incident_impacts: Iterable[str],
    *,
    maintenance_in_progress: bool = False,
    strict: bool = False,
) -> Overall:
    """The page's indicator and its description, from what is broken right now."""
    statuses = list(component_statuses)
    rank = max(
        [0]
        + [_IMPACT_RANK.get(impact, 0) for impact in open_incident_impacts]
        + [component_rank(status) for status in statuses]
    )
    if rank:
        indicator = _BY_RANK[rank]
        return Overall(indicator, DESCRIPTIONS[indicator])
    if maintenance_in_progress or "under_maintenance" in statuses:
        # Strict keeps the honest description; only the enum value is held back.
        return Overall(NONE if strict else MAINTENANCE, DESCRIPTIONS[MAINTENANCE])
    return Overall(NONE, DESCRIPTIONS[NONE])


def strict_component_status(status: str, strict: bool) -> str:
    """``under_maintenance`` reads as ``operational`` for consumers that reject it."""
    return "operational" if strict and status == "under_maintenance" else status


def strict_impact(impact: str, strict: bool) -> str:
    return NONE if strict and impact == MAINTENANCE else impact


def footer_indicator(indicator: str) -> str:
    return FOOTER.get(indicator, "unknown")


def worst_component_status(statuses: Iterable[str]) -> str:
    """A group's status: its worst member's (maintenance only if nothing is broken)."""
    members = list(statuses)
    if not members:
        return "operational"
    worst = max(members, key=component_rank)
    if component_rank(worst) == 0 and "under_maintenance" in members:
        return "under_maintenance"
    return worst
