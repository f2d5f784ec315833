"""The status page's ongoing incidents as ``policy.decide`` reads them (M1, M2).

Each incident carries the product areas its components serve, so a request about
live updates meets an outage of the Live update API but not one of the website.
"""

from __future__ import annotations

from capdesk.policy.types import IncidentFacts
from capdesk.status.queries import open_incidents

# Components by the product areas of the policy's scopes (S2.3: Live Updates, App
# Management, Analytics). Words in a component's name pick its areas; a component
# that serves none of them (the website, native builds) refers only requests that
# report an outage outright.
_AREA_WORDS = {
    "live_updates": ("live update", "bundle", "cli", "updater", "channel"),
    "app_management": ("console", "dashboard", "app management", "api key", "organization"),
    "analytics": ("analytics", "statistics", "stats"),
}


def areas_of(component: str) -> frozenset[str]:
    name = component.lower()
    return frozenset(area for area, words in _AREA_WORDS.items() if any(w in name for w in words))


def ongoing_incidents() -> list[IncidentFacts]:
    """Unresolved incidents (not maintenance windows that have not started)."""
    return [
        IncidentFacts(
            key=incident.public_id,
            title=incident.name,
            url=incident.url,
            started_at=incident.started_at,
            areas=frozenset().union(*(areas_of(c) for c in incident.components)),
            translated_titles=incident.names,
        )
        for incident in open_incidents()
    ]
