"""Incident history as Atom and RSS (Django's syndication framework) and maintenance as iCalendar.

Each is English by default, byte for byte as it always was (feed readers and calendars
that subscribed keep what they had). ``?lang=id`` in the URL gives the same documents in
another page language: titles, labels and texts staff translated, the English where they
did not, and links that open the pages in that language. A feed's language comes only
from its URL, never from a cookie or Accept-Language: feed readers send neither, and one
URL must give every cache the same bytes. Entry ids and calendar UIDs stay the same in
every language: they name the incident or the maintenance window, not its wording, so a
calendar given both copies keeps one event.
"""

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
from django.utils.translation import gettext

from capdesk.core.translations import other_languages
from capdesk.status import config, ical, v2
from capdesk.status.config import in_language
from capdesk.status.models import Incident, MaintenanceStatus

FEED_ITEMS = 50


def _tag(public_id: str) -> str:
    """RFC 4151 tag URI: the item's id stays the same wherever the page moves."""
    host = urlsplit(config.page_url()).hostname or "localhost"
    return f"tag:{host},2026:incident/{public_id}"


def feed_language(requested: str) -> str:
    """The language a feed is written in for ``?lang=requested``: another page language, or "" for the default."""
    return requested if requested in other_languages() else ""


class HistoryRss(Feed):  # type: ignore[type-arg]
    feed_type: type[SyndicationFeed] = Rss201rev2Feed
    route = "status:rss"

    def __init__(self, language: str = "") -> None:
        super().__init__()
        # "" for the default feed; rendered inside translation.override (render_feed).
        self.written_in = feed_language(language)

    def title(self) -> str:
        return gettext("%(page)s Status - Incident History") % {"page": config.page_name()}

    def link(self) -> str:
        return in_language(config.page_url(), self.written_in)

    def description(self) -> str:
        return gettext("Statuspage-style incident and maintenance history for %(page)s") % {
            "page": config.page_name()
        }

    def feed_url(self) -> str:
        # Absolute and fixed: the rendered feed is cached and shared whatever Host asked.
        return in_language(settings.BASE_URL + reverse(self.route), self.written_in)

    def items(self) -> QuerySet[Incident]:
        return v2.with_details(Incident.objects.order_by("-updated_at", "-id"))[:FEED_ITEMS]

    def item_title(self, item: Incident) -> str:
        return item.text_in("name", self.written_in)

    def item_description(self, item: Incident) -> str:
        return render_to_string("status/feed_item.html", {"incident": item, "zone": config.page_zone()})

    def item_link(self, item: Incident) -> str:
        return in_language(config.incident_url(item.public_id), self.written_in)

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


def _maintenance_event(m: Incident, language: str) -> ical.Event:
    assert m.scheduled_for is not None and m.scheduled_until is not None
    latest = next(iter(m.updates.all()), None)
    text = (latest.text_in("body", language) + "\n\n") if latest else ""
    names = ", ".join(c.text_in("name", language) for c in m.components.all())
    if names:
        text += gettext("Affects") + f": {names}\n"
    url = in_language(config.incident_url(m.public_id), language)
    return ical.Event(
        uid=f"{m.public_id}@{urlsplit(config.page_url()).hostname or 'localhost'}",
        sequence=m.sequence,
        start=m.scheduled_for,
        end=m.scheduled_until,
        summary=f"[{config.page_name()}] {m.text_in('name', language)}",
        description=text + url,
        url=url,
        status="CONFIRMED",
        stamp=m.updated_at,
        language=language,
    )


def maintenance_calendar(language: str = "") -> str:
    """Every upcoming or running maintenance, and the latest finished ones (``language``: see module)."""
    written_in = feed_language(language)
    open_ = v2.maintenances().exclude(status=MaintenanceStatus.COMPLETED)
    recent = (
        v2.maintenances().filter(status=MaintenanceStatus.COMPLETED).order_by("-scheduled_for")[:FEED_ITEMS]
    )
    chosen = v2.with_details(
        Incident.objects.filter(
            pk__in=[*open_.values_list("pk", flat=True), *recent.values_list("pk", flat=True)]
        )
    ).order_by("scheduled_for", "id")
    with translation.override(written_in or settings.LANGUAGE_CODE):
        return ical.calendar(
            (_maintenance_event(m, written_in) for m in chosen),
            name=gettext("%(page)s scheduled maintenance") % {"page": config.page_name()},
            prodid="-//Capgo//Capdesk status page//EN",
        )


def render_feed(feed: HistoryRss, request: HttpRequest) -> bytes:
    """The feed's bytes in its language, like its xml:lang (it is cached once for every reader of that URL)."""
    with translation.override(feed.written_in or settings.LANGUAGE_CODE):
        return bytes(feed(request).content)
