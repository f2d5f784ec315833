"""Incident templates filled in for one incident: the text an admin starts from, never published as is.

Placeholders are ``{name}`` like the console's macros; ``{{`` and ``}}`` are literal
braces. Filling is a plain substitution of known names (no ``str.format``, so a template
cannot reach attributes such as ``{component.__class__}``), and the values are plain text:
the pages escape them when they render the update.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from capdesk.status.config import utc_minute
from capdesk.status.models import Component, Incident, IncidentStatus, IncidentTemplate

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
RESOLVED_SLUG = "resolved"


def unknown_placeholders(text: str) -> set[str]:
    """Names in braces that are not placeholders (a typo would otherwise be published)."""
    found = {m.group(1) for m in _FIELD.finditer(text) if m.group(1) is not None}
    return found - set(IncidentTemplate.PLACEHOLDERS)


def fill(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(match.group(1), token)

    return _FIELD.sub(one, text).strip()


def values_for(
    *,
    incident: Incident | None,
    components: Iterable[Component] = (),
    now: datetime | None = None,
    language: str = "",
) -> dict[str, str]:
    """What the placeholders stand for: the components named, or the incident's own.

    Names as readers in ``language`` (the template's) know them: translated where staff
    gave a translation, else the original.
    """
    chosen = list(components)
    if not chosen and incident is not None and incident.pk:
        chosen = list(incident.components.all())
    names = [c.text_in("name", language) for c in chosen]
    started = incident.started_at if incident is not None else (now or timezone.now())
    return {
        "component": ", ".join(names) or settings.CAPDESK_STATUS_PAGE_NAME,
        # UTC, spelled out: readers of the page are in every time zone.
        "started": utc_minute(started),
        "incident": incident.text_in("name", language) if incident is not None else "",
        "status_url": settings.CAPDESK_STATUS_URL,
    }


@dataclass(frozen=True)
class Filled:
    """A template's text for one incident, with what it preselects."""

    title: str
    body: str
    status: str
    impact: str
    components: list[Component] = field(default_factory=list)
    component_status: str = ""
    language: str = ""  # the template's: the title and body are in it


def render(
    template: IncidentTemplate,
    *,
    incident: Incident | None = None,
    components: Iterable[Component] | None = None,
    now: datetime | None = None,
) -> Filled:
    """The template filled in; ``components`` (when given) replace the ones it preselects."""
    chosen = list(template.components.all()) if components is None else list(components)
    values = values_for(incident=incident, components=chosen, now=now, language=template.language)
    title = fill(template.title, values)
    if incident is None:
        values["incident"] = title  # opening one: it is called what the template names it
    return Filled(
        title=title,
        body=fill(template.body, values),
        status=template.status,
        impact=template.impact,
        components=chosen,
        component_status=template.component_status,
        language=template.language,
    )


def for_status(status: str, language: str = "en") -> list[IncidentTemplate]:
    """Templates that apply to an update moving an incident to ``status``."""
    return list(IncidentTemplate.objects.filter(status=status, language=language))


def resolved_body(incident: Incident) -> str:
    """The resolved update proposed to admins: the "Resolved" template, else the default text."""
    from capdesk.status.actions import DEFAULT_RESOLVED_BODY

    template = (
        IncidentTemplate.objects.filter(slug=RESOLVED_SLUG).first()
        or IncidentTemplate.objects.filter(status=IncidentStatus.RESOLVED, language="en").first()
    )
    if template is None:
        return DEFAULT_RESOLVED_BODY
    return render(template, incident=incident, components=list(incident.components.all())).body


def resolved_body_in(incident: Incident, language: str) -> str:
    """The resolved update proposed in another language: a Resolved template in it, else ""

    (left empty, the stock resolved text's own translation is used: status.actions).
    """
    template = IncidentTemplate.objects.filter(status=IncidentStatus.RESOLVED, language=language).first()
    if template is None:
        return ""
    return render(template, incident=incident, components=list(incident.components.all())).body
