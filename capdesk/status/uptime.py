"""Uptime from a component's status history: pure functions, tested without a database.

Day boundaries are the page zone's midnights (a DST day is 23 or 25 hours long, which is
why days are cut in local time and measured in UTC seconds). Downtime follows
Statuspage's weighting: a major outage counts in full, a partial outage at 30 %;
degraded performance and maintenance are not downtime (Capgo's SLA excludes announced
maintenance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from capdesk.status.indicator import component_rank

DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}


@dataclass(frozen=True)
class Change:
    at: datetime
    old_status: str
    new_status: str


@dataclass(frozen=True)
class Day:
    """One bar: the day, its worst status (None before the component existed), its downtime."""

    day: date
    worst: str | None
    observed_seconds: float
    downtime_seconds: float

    @property
    def uptime(self) -> float | None:
        if not self.observed_seconds:
            return None
        return 1.0 - self.downtime_seconds / self.observed_seconds


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    status: str


def segments(changes: Sequence[Change], *, current: str, since: datetime, until: datetime) -> list[Segment]:
    """The status held over [since, until), from the changes inside it and the status now.

    Before the first change in the window the component was in that change's old status;
    with no change at all, it has been in its current status throughout.
    """
    inside = sorted((c for c in changes if since <= c.at < until), key=lambda c: c.at)
    status = inside[0].old_status if inside else current
    cursor = since
    result: list[Segment] = []
    for change in inside:
        if change.at > cursor:
            result.append(Segment(cursor, change.at, status))
        cursor, status = change.at, change.new_status
    if until > cursor:
        result.append(Segment(cursor, until, status))
    return result


# Cached: every component's 90 bars cut the same days, and each cut is two zone conversions.
@lru_cache(maxsize=4096)
def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's local midnights, in UTC: Python subtracts two times of one zone on the wall
    clock, which would make every DST day 24 hours long."""
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def days(
    changes: Sequence[Change],
    *,
    current: str,
    created_at: datetime,
    now: datetime,
    zone: ZoneInfo,
    count: int = 90,
) -> list[Day]:
    """``count`` bars ending today (in ``zone``), oldest first."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=count - 1)
    window_start, _ = day_bounds(first, zone)
    start = max(window_start, created_at)
    held = segments(changes, current=current, since=start, until=now) if start < now else []
    bars: list[Day] = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        lo, hi = day_bounds(day, zone)
        observed = downtime = 0.0
        seen: list[str] = []
        for seg in held:
            overlap = (min(hi, seg.end) - max(lo, seg.start)).total_seconds()
            if overlap <= 0:
                continue
            observed += overlap
            downtime += overlap * DOWNTIME_WEIGHT.get(seg.status, 0.0)
            seen.append(seg.status)
        worst = max(seen, key=_severity) if seen else None
        bars.append(Day(day, worst, observed, downtime))
    return bars


def _severity(status: str) -> tuple[int, int]:
    # Maintenance outranks operational on a bar (it happened that day) but not an outage.
    return component_rank(status), 1 if status == "under_maintenance" else 0


def uptime_ratio(bars: Sequence[Day]) -> float | None:
    """Share of observed time not down, across the bars; None with no observation at all."""
    observed = sum(b.observed_seconds for b in bars)
    if not observed:
        return None
    return 1.0 - sum(b.downtime_seconds for b in bars) / observed


def percent(ratio: float | None) -> str:
    """``99.98%``: two decimals, never rounded up to a perfect 100 that was not earned."""
    if ratio is None:
        return "N/A"
    floored = int(ratio * 10000) / 100
    return f"{floored:.2f}%"
