"""Where ``decide``'s outside facts come from, registered by the apps that own them.

The status app registers its ongoing incidents here in its ``ready()``; the policy
app does not import it, so the dependency points one way.
"""

from __future__ import annotations

from collections.abc import Callable

from capdesk.policy.types import IncidentFacts

IncidentSource = Callable[[], list[IncidentFacts]]
_INCIDENT_SOURCES: list[IncidentSource] = []


def register_incident_source(source: IncidentSource) -> IncidentSource:
    if source not in _INCIDENT_SOURCES:
        _INCIDENT_SOURCES.append(source)
    return source


def ongoing_incidents() -> list[IncidentFacts]:
    return [incident for source in _INCIDENT_SOURCES for incident in source()]
