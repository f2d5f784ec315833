"""Uptime credits (issue 5, point 8): a month's availability from the status page's history, and its credit tier.

Pure: component histories and maintenance windows in, downtime intervals and figures
out; ``credit_data`` reads them from the status app. Decided, and why:

- The platform is down, at an instant, as much as its worst component: a major outage
  counts in full, a partial outage at 30 % (the status page's own weighting, so the
  credit agrees with the uptime the public page shows), degraded performance not at all.
  The status page has no per-customer components, so every Enterprise organization
  gets the platform's figure, measured from when it joined if that was mid-month.
- "Downtime excludes maintenance announced >= 24 h ahead" (CAPGO.md): inside the
  announced window (scheduled_for to scheduled_until) of a maintenance created at least
  24 h before scheduled_for, its components count as up, whatever their status; a
  maintenance naming no component covers all. Work that overruns its window, or was
  announced later than that, counts: "under maintenance" outside an excluded window
  is downtime, like a major outage, because the customer was not told in time.
- Credit tiers (CAPGO.md): below the commitment 10 %, below 98 % 15 %, below 97 % 20 %,
  below 95 % 30 % of the month's fees. The commitment is 99.9 %, and 99.0 % for months
  before December 2025; the lower tiers are the same in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from capdesk.status.uptime import DOWNTIME_WEIGHT

ANNOUNCED_AHEAD = timedelta(hours=24)
# Not in the status page's weighting (it does not count maintenance); for credits,
# maintenance nobody announced in time is downtime.
WEIGHT = {**DOWNTIME_WEIGHT, "under_maintenance": 1.0}
NEW_COMMITMENT_FROM = date(2025, 12, 1)
TIERS = ((0.95, 30), (0.97, 20), (0.98, 15))  # lowest first: the first threshold under wins


@dataclass(frozen=True)
class StatusChange:
    """A component's move from one status to another, and the incident that moved it (if any)."""

    at: datetime
    old_status: str
    new_status: str
    incident_id: int | None


@dataclass(frozen=True)
class ComponentHistory:
    """Everything known of one component's status over time."""

    component_id: int
    current_status: str
    changes: Sequence[StatusChange]  # in time order


@dataclass(frozen=True)
class MaintenanceWindow:
    """An announced maintenance: its window, when it was announced, and the components it covers."""

    incident_id: int
    announced_at: datetime
    start: datetime
    end: datetime
    component_ids: frozenset[int]  # empty: all

    @property
    def excluded(self) -> bool:
        return self.start - self.announced_at >= ANNOUNCED_AHEAD

    def covers(self, component_id: int, start: datetime, end: datetime) -> bool:
        inside = self.start <= start and end <= self.end
        return inside and (not self.component_ids or component_id in self.component_ids)


@dataclass(frozen=True)
class Downtime:
    """A stretch of time in which the platform was (partly) down, and the incident behind it."""

    start: datetime
    end: datetime
    weight: float  # 1.0 down, 0.3 partial outage
    incident_id: int | None  # None: a component set by hand, outside any incident

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds() * self.weight


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """A calendar month in UTC ("2026-10"): the contract names no zone, and invoices are per UTC month."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"month {month!r} is not YYYY-MM") from None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def last_month(month: str) -> str:
    """The month before a "YYYY-MM" month."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def commitment(month_start: datetime) -> float:
    return 0.990 if month_start.date() < NEW_COMMITMENT_FROM else 0.999


def credit_percent(availability: float, month_start: datetime) -> int:
    """The share of the month's fees credited (CAPGO.md's tiers); 0 when the commitment was kept."""
    if availability >= commitment(month_start):
        return 0
    return next((percent for threshold, percent in TIERS if availability < threshold), 10)


def status_at(history: ComponentHistory, moment: datetime) -> tuple[str, int | None]:
    """The component's status at a moment, and the incident of the change that set it.

    Before its first recorded change it held that change's old status; with no change
    ever, its current status.
    """
    before = [c for c in history.changes if c.at <= moment]
    if before:
        return before[-1].new_status, before[-1].incident_id
    if history.changes:
        return history.changes[0].old_status, None
    return history.current_status, None


def downtime(
    histories: Iterable[ComponentHistory],
    windows: Iterable[MaintenanceWindow],
    since: datetime,
    until: datetime,
) -> list[Downtime]:
    """The platform's downtime in [since, until): elementary intervals between any two changes or window edges."""
    histories = list(histories)
    excluded = [w for w in windows if w.excluded]
    cuts = {since, until}
    cuts.update(c.at for h in histories for c in h.changes if since < c.at < until)
    cuts.update(t for w in excluded for t in (w.start, w.end) if since < t < until)
    edges = sorted(cuts)
    found: list[Downtime] = []
    for start, end in pairwise(edges):
        worst, cause = 0.0, None
        for history in histories:
            status, incident_id = status_at(history, start)
            weight = WEIGHT.get(status, 0.0)
            if weight > worst and not any(w.covers(history.component_id, start, end) for w in excluded):
                worst, cause = weight, incident_id
        if worst:
            previous = found[-1] if found else None
            if (
                previous
                and previous.end == start
                and (previous.weight, previous.incident_id) == (worst, cause)
            ):
                found[-1] = Downtime(previous.start, end, worst, cause)  # one stretch, not many slivers
            else:
                found.append(Downtime(start, end, worst, cause))
    return found


def availability(stretches: Iterable[Downtime], since: datetime, until: datetime) -> float:
    """The share of [since, until) the platform was up; 1.0 for an empty period."""
    observed = (until - since).total_seconds()
    if observed <= 0:
        return 1.0
    down = sum(
        (min(until, d.end) - max(since, d.start)).total_seconds() * d.weight
        for d in stretches
        if d.end > since and d.start < until
    )
    return 1.0 - down / observed


def percent_text(ratio: float) -> str:
    """``99.954 %``, rounded down: a credit must never be hidden by rounding up to the commitment."""
    return f"{int(ratio * 100_000) / 1000:.3f} %"
