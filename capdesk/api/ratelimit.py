"""Fixed-window request counters kept in the database, shared by every process and node.

A window is ``window_seconds`` long and starts at a multiple of it (UTC). Fixed windows
can let up to twice the limit through around a window boundary; that is the price of
one row per key and window, and well within what a per-minute API limit is for.
The cache would be faster, but the desk's default cache is per process, and counts
must hold across the web processes of the scaled deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from capdesk.api.models import RateCounter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (meaningful when not allowed)


def _window(now: datetime, window_seconds: int) -> tuple[datetime, int]:
    epoch = int(now.timestamp())
    start = epoch - epoch % window_seconds
    return datetime.fromtimestamp(start, tz=UTC), start + window_seconds - epoch


def hit(key: str, *, limit: int, window_seconds: int, now: datetime | None = None) -> Verdict:
    """Count one request for ``key``; it is allowed while the window's count stays within ``limit``."""
    start, remaining = _window(now or timezone.now(), window_seconds)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:
                # Another process created this window's row between our update and insert.
                RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
            else:
                # A new window for this key: its finished windows are of no more use.
                RateCounter.objects.filter(key=key, window_start__lt=start).delete()
        count = RateCounter.objects.get(key=key, window_start=start).count
    return Verdict(allowed=count <= limit, count=count, retry_after=max(remaining, 1))


def peek(key: str, *, limit: int, window_seconds: int, now: datetime | None = None) -> Verdict:
    """Would one more request for ``key`` be allowed? Counts nothing."""
    start, remaining = _window(now or timezone.now(), window_seconds)
    row = RateCounter.objects.filter(key=key, window_start=start).first()
    count = row.count if row else 0
    return Verdict(allowed=count < limit, count=count, retry_after=max(remaining, 1))


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """Drop counters of windows long finished (keys that stopped sending leave theirs behind)."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
