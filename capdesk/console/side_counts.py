"""The ticket list's side counts (open tickets by outcome and by organization), cached for a short while.

Counting open tickets groups every open row: at a million tickets with 700,000 open that
is a few hundred milliseconds on each page view, for numbers an agent reads as "about
how many". They are computed at most once per ``TTL`` per process and shared by every
agent (the console shows all tickets to every agent, so the counts are the same for all).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count

from capdesk.tickets.models import OPEN_STATUSES, Ticket

TTL = 30  # seconds
KEY = "console:side-counts:v1"


def open_counts() -> dict[str, list[dict[str, Any]]]:
    """The twelve largest groups of open tickets by outcome and by organization, at most ``TTL`` seconds old."""
    counts: dict[str, list[dict[str, Any]]] | None = cache.get(KEY)
    if counts is None:
        open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
        counts = {
            "by_outcome": list(
                open_tickets.exclude(outcome="").values("outcome").annotate(n=Count("id")).order_by("-n")[:12]
            ),
            "by_organization": list(
                open_tickets.exclude(organization=None)
                .values("organization_id", "organization__name")
                .annotate(n=Count("id"))
                .order_by("-n")[:12]
            ),
        }
        cache.set(KEY, counts, TTL)
    return counts
