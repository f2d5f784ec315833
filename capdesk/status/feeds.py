"""Incident history as Atom and RSS (Django's syndication framework) and maintenance as iCalendar."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from capdesk.status import config, ical, v2
from capdesk.status.models import Incident, MaintenanceStatus

FEED_ITEMS = 50


def _tag(public_id: str) -> str:
    """RFC 4151 tag URI: the item's id stays the same wherever the page moves."""
    host = urlsplit(config.page_url()).hostname or "localhost"
    return f"tag:{host},2026:incident/{public_id}"


class HistoryRss(Feed):  # type: ignore[type-arg]
    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def title(self) -> str:
        return f"{config.page_name()} Status - Incident History"

    def link(self) -> str:
        return config.page_url()

    def description(self) -> str:
        return f"Statuspage-style incident and maintenance history for {config.page_name()}"

    def feed_url(self) -> str:
        # Absolute and fixed: the rendered feed is cached and shared whatever Host asked.
        return settings.BASE_URL + reverse(self.route)

    route = "status:rss"

    def items(self) -> QuerySet[Incident]:
        return v2.with_details(Incident.objects.order_by("-updated_at", "-id"))[:FEED_ITEMS]

    def item_title(self, item: Incident) -> str:
        return item.name

    def item_description(self, item: Incident) -> str:
        return render_to_string("status/feed_item.html", {"incident": item, "zone": config.page_zone()})

    def item_link(self, item: Incident) -> str:
        return config.incident_url(item.public_id)

    def item_guid(self, item: Incident) -> str:
        return _tag(item.public_id)

    item_guid_is_permalink = False

    def item_pubdate(self, item: Incident) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.updated_at


class HistoryAtom(HistoryRss):
    feed_type = Atom1Feed
    route = "status:atom"

    def subtitle(self) -> str:
        return self.description()


def _maintenance_event(m: Incident) -> ical.Event:
    assert m.scheduled_for is not None and m.scheduled_until is not None
    latest = next(iter(m.updates.all()), None)
    text = (latest.body + "\n\n") if latest else ""
    names = ", ".join(c.name for c in m.components.all())
    if names:
        text += f"Affects: {names}\n"
    return ical.Event(
        uid=f"{m.public_id}@{urlsplit(config.page_url()).hostname or 'localhost'}",
        sequence=m.sequence,
        start=m.scheduled_for,
        end=m.scheduled_until,
        summary=f"[{config.page_name()}] {m.name}",
        description=text + config.incident_url(m.public_id),
        url=config.incident_url(m.public_id),
        status="CONFIRMED",
        stamp=m.updated_at,
    )


def maintenance_calendar() -> str:
    """Every upcoming or running maintenance, and the latest finished ones."""
    open_ = v2.maintenances().exclude(status=MaintenanceStatus.COMPLETED)
    recent = (
        v2.maintenances().filter(status=MaintenanceStatus.COMPLETED).order_by("-scheduled_for")[:FEED_ITEMS]
    )
    chosen = v2.with_details(
        Incident.objects.filter(
            pk__in=[*open_.values_list("pk", flat=True), *recent.values_list("pk", flat=True)]
        )
    ).order_by("scheduled_for", "id")
    return ical.calendar(
        (_maintenance_event(m) for m in chosen),
        name=f"{config.page_name()} scheduled maintenance",
        prodid="-//Capgo//Capdesk status page//EN",
    )


def render_feed(feed: Feed, request: HttpRequest) -> bytes:  # type: ignore[type-arg]
    """The feed's bytes, in English like its xml:lang (it is cached once for every reader)."""
    with translation.override("en"):
        return bytes(feed(request).content)
