"""The status page's identity and options, read from settings (capdesk/settings.py documents each)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from django.conf import settings


def page_url() -> str:
    return str(settings.CAPDESK_STATUS_URL).rstrip("/")


def page_name() -> str:
    return str(settings.CAPDESK_STATUS_PAGE_NAME)


def page_id() -> str:
    """The configured id, else one derived from the page URL: stable across restarts and nodes."""
    configured = str(settings.CAPDESK_STATUS_PAGE_ID)
    if configured:
        return configured
    return hashlib.sha256(page_url().encode()).hexdigest()[:12]


def time_zone_name() -> str:
    return str(settings.CAPDESK_STATUS_TIME_ZONE)


def page_zone() -> ZoneInfo:
    return ZoneInfo(time_zone_name())


def strict() -> bool:
    return bool(settings.CAPDESK_STATUS_STRICT)


def incident_url(public_id: str) -> str:
    """The shortlink: the incident's own page, which outlives any link shortener."""
    return f"{page_url()}/incidents/{public_id}"


def in_language(url: str, language: str) -> str:
    """``url`` with ``?lang=`` (the status pages and feeds read it) when ``language`` is not the default."""
    if not url or not language or language == settings.LANGUAGE_CODE:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", language)])))


def utc_minute(moment: datetime) -> str:
    """A moment as the page and its emails write it: 2026-11-29 16:02 UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
