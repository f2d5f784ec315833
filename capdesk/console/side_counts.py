"""The ticket list's side counts (open tickets by outcome and by organization), counted off the request path.

Counting open tickets groups every open row: at a million tickets with 700,000 open it
takes seconds even reading only the (status, outcome) and (status, organization)
indexes, for numbers an agent reads as "about how many". The scheduler counts them every
``INTERVAL`` seconds into one ``OpenCounts`` row that every web process reads (one
primary-key read per page). The console shows every agent all tickets, so the counts are
the same for all, but for an agent restricted to queues (``open_counts``).

Where no scheduler runs (``capdesk runserver``, the tests) or it has fallen behind by
more than ``STALE_AFTER``, the page counts for itself as before, at most once per ``TTL``
per process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from capdesk.console.models import OpenCounts
from capdesk.core.schedule import every
from capdesk.directory.models import Organization
from capdesk.tickets.models import OPEN_STATUSES, Ticket

INTERVAL = 30  # seconds between the scheduler's counts
STALE_AFTER = timedelta(seconds=5 * INTERVAL)
TTL = 30  # seconds a page's own count is kept, when there is no fresh snapshot
KEY = "console:side-counts:v1"

Counts = dict[str, list[dict[str, Any]]]


def count_open(queue_ids: Sequence[int] | None = None) -> Counts:
    """The twelve largest groups of open tickets by outcome and by organization (with its name),
    of the queues ``queue_ids`` or of every queue."""
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    if queue_ids is not None:
        open_tickets = open_tickets.filter(queue_id__in=queue_ids)
    counts: Counts = {
        "by_outcome": list(
            open_tickets.exclude(outcome="").values("outcome").annotate(n=Count("id")).order_by("-n")[:12]
        ),
        # Grouped by id alone (an index-only count); the twelve names are read afterwards.
        "by_organization": list(
            open_tickets.exclude(organization=None)
            .values("organization_id")
            .annotate(n=Count("id"))
            .order_by("-n")[:12]
        ),
    }
    names = dict(
        Organization.objects.filter(
            pk__in=[row["organization_id"] for row in counts["by_organization"]]
        ).values_list("pk", "name")
    )
    for row in counts["by_organization"]:
        row["organization__name"] = names.get(row["organization_id"], "")
    return counts


@every(INTERVAL, name="console.count_open_tickets")
def refresh() -> int:
    """Count now and keep it as the snapshot the list pages read; the number of groups counted."""
    started = time.monotonic()
    counts = count_open()
    OpenCounts.objects.update_or_create(
        pk=OpenCounts.ONLY,
        defaults={
            "computed_at": timezone.now(),
            "by_outcome": counts["by_outcome"],
            "by_organization": counts["by_organization"],
            "took_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return len(counts["by_outcome"]) + len(counts["by_organization"])


def open_counts(queue_ids: Sequence[int] | None = None) -> Counts:
    """The scheduler's latest counts; or, without a fresh one, this process's own, at most ``TTL`` seconds old.

    An agent restricted to queues (``queue_ids``) is shown their queues' counts, not the desk's:
    which organizations have open tickets, and how many, is what the restriction keeps from them.
    Counted here, kept ``TTL`` seconds for each set of queues.
    """
    if queue_ids is not None:
        key = f"{KEY}:queues:{','.join(map(str, sorted(queue_ids)))}"
        restricted: Counts | None = cache.get(key)
        if restricted is None:
            restricted = count_open(queue_ids)
            cache.set(key, restricted, TTL)
        return restricted
    snapshot = OpenCounts.objects.filter(pk=OpenCounts.ONLY).first()
    if snapshot is not None and timezone.now() - snapshot.computed_at <= STALE_AFTER:
        return {"by_outcome": snapshot.by_outcome, "by_organization": snapshot.by_organization}
    counts: Counts | None = cache.get(KEY)
    if counts is None:
        counts = count_open()
        cache.set(KEY, counts, TTL)
    return counts
