"""Template filters for the status page: translated labels for Statuspage's enum values, and incident text."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from capdesk.status.config import in_language, utc_minute
from capdesk.status.feeds import feed_language
from capdesk.status.models import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, Translated
from capdesk.status.queries import OpenIncident

register = template.Library()

_LABELS = {
    **dict(ComponentStatus.choices),
    **dict(IncidentStatus.choices),
    **dict(MaintenanceStatus.choices),
}
_IMPACTS = dict(Impact.choices)
# The banner's words on the page (the JSON keeps Statuspage's English phrases).
_OVERALL = {
    "none": _("All systems operational"),
    "minor": _("Minor service disruption"),
    "major": _("Partial system outage"),
    "critical": _("Major system outage"),
    "maintenance": _("Service under maintenance"),
}


@register.simple_tag
def feed_url(name: str) -> str:
    """``{% feed_url 'status:atom' %}``: a feed's address in the page's language (``?lang=`` when not the default)."""
    return in_language(reverse(name), feed_language(translation.get_language() or ""))


@register.filter
def when(value: str) -> str:
    """A Statuspage timestamp (RFC 3339, as the JSON has it) as people read it: 2026-11-29 16:02 UTC."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return utc_minute(moment)


@register.filter
def status_label(value: str) -> str:
    return str(_LABELS.get(value, value))


@register.filter
def impact_label(value: str) -> str:
    return str(_IMPACTS.get(value, value))


@register.filter
def overall_label(indicator: str) -> str:
    return str(_OVERALL.get(indicator, indicator))


@register.filter
def day_label(worst: str | None) -> str:
    """A bar's words, for the tooltip and the list of bad days."""
    if worst is None:
        return str(_("No data"))
    if worst == ComponentStatus.OPERATIONAL:
        return str(_("No incidents"))
    return status_label(worst)


class Localisable(Protocol):
    """A model with translations (status.models.Translated) or a value built from one (a page row)."""

    def text_in(self, field: str, language: str | None) -> str: ...


@register.filter
def localised(obj: Localisable, field: str) -> str:
    """``{{ incident|localised:"name" }}``: the text in the page's language, else the original."""
    return obj.text_in(field, translation.get_language())


@register.filter
def open_incident_name(incident: OpenIncident) -> str:
    """``{{ incident|open_incident_name }}``: an ongoing incident's name in the reader's language."""
    return incident.name_in(translation.get_language())


@register.filter
def open_incident_components(incident: OpenIncident) -> str:
    """``{{ incident|open_incident_components }}``: its components, listed in the reader's language."""
    return ", ".join(incident.components_in(translation.get_language()))


@register.filter
def translations_of(obj: Translated, field: str) -> list[tuple[str, str]]:
    """``field``'s translations as (language, text) pairs, for staff screens that show them all."""
    return sorted(obj.translations_of(field).items())
