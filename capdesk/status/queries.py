"""What other apps ask the status page (M2): which incidents are open.

``open_incidents()`` gives plain values, so ``policy.decide`` can take them as an input
and stay a pure function (``policy_source`` maps their components to the policy's
areas). Linking a ticket to an incident is the tickets app's action; it only needs the
incident's public id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from capdesk.core.translations import other_languages
from capdesk.status import config, v2
from capdesk.status.models import Component


@dataclass(frozen=True)
class OpenIncident:
    public_id: str
    name: str
    url: str
    impact: str
    started_at: datetime
    components: tuple[str, ...]
    # The name in the page's other languages: (language, name) pairs.
    names: tuple[tuple[str, str], ...] = ()
    # The components as readers in the page's other languages see them: (language, names) pairs.
    component_names: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def name_in(self, language: str | None) -> str:
        """The name a reader in ``language`` sees: its translation, else the original."""
        return dict(self.names).get(language or "") or self.name

    def components_in(self, language: str | None) -> tuple[str, ...]:
        """The components a reader in ``language`` sees, each by its translated name or the original."""
        return dict(self.component_names).get(language or "") or self.components


def _component_names(components: list[Component]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    original = tuple(c.name for c in components)
    translated = ((lang, tuple(c.text_in("name", lang) for c in components)) for lang in other_languages())
    return tuple((lang, names) for lang, names in translated if names != original)


def open_incidents() -> list[OpenIncident]:
    """Unresolved incidents, newest first, as plain values."""
    return [
        OpenIncident(
            public_id=i.public_id,
            name=i.name,
            url=config.incident_url(i.public_id),
            impact=i.impact,
            started_at=i.started_at,
            components=tuple(c.name for c in i.components.all()),
            names=tuple(sorted(i.translations_of("name").items())),
            component_names=_component_names(list(i.components.all())),
        )
        for i in v2.unresolved_incidents().prefetch_related("components")
    ]
