"""Report numbers: ticket volume by week and dimension, and deflection (requests answered at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from capdesk.tickets.models import Ticket

# Dimension name -> the ticket field it groups by.
DIMENSIONS = {
    "channel": "channel",
    "scope": "scope",
    "outcome": "outcome",
    "plan": "organization__plan",
}
# Outcomes whose standard reply answers the request at once, with no agent work: the status
# page (M1, M2), the community (C4) or a refusal that says why (E3, E4).
DEFLECTING = ("refer_status", "redirect_community", "deny_role", "deny_unregistered")
MAX_SERIES = 7  # the rest are summed as "other", so a chart stays readable


@dataclass(frozen=True)
class Table:
    weeks: list[date]
    keys: list[str]
    counts: dict[tuple[date, str], int]

    def row(self, key: str) -> list[int]:
        return [self.counts.get((w, key), 0) for w in self.weeks]


def window(weeks: int, now: datetime | None = None) -> tuple[datetime, list[date]]:
    """The start of the first of the last ``weeks`` ISO weeks (Mondays, UTC) and those Mondays."""
    today = (now or timezone.now()).date()
    monday = today - timedelta(days=today.weekday())
    mondays = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    start = datetime.combine(mondays[0], datetime.min.time(), tzinfo=UTC)
    return start, mondays


def _week(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def volume(tickets: QuerySet[Ticket], dimension: str, weeks: int, now: datetime | None = None) -> Table:
    field = DIMENSIONS[dimension]
    start, mondays = window(weeks, now)
    rows = (
        tickets.filter(created_at__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values("week", field)
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[date, str], int] = {}
    totals: dict[str, int] = {}
    for row in rows:
        key = row[field] or "none"
        week = _week(row["week"])
        counts[(week, key)] = counts.get((week, key), 0) + row["n"]
        totals[key] = totals.get(key, 0) + row["n"]
    keys = sorted(totals, key=lambda k: (-totals[k], k))
    if len(keys) > MAX_SERIES:
        rest = set(keys[MAX_SERIES - 1 :])
        keys = [*keys[: MAX_SERIES - 1], "other"]
        for (week, key), n in list(counts.items()):
            if key in rest:
                counts[(week, "other")] = counts.get((week, "other"), 0) + n
    return Table(weeks=mondays, keys=keys, counts=counts)


@dataclass(frozen=True)
class Deflection:
    total: int
    deflected: int
    by_outcome: dict[str, int]

    @property
    def rate(self) -> int:
        """Percent of requests answered at once, rounded."""
        return round(100 * self.deflected / self.total) if self.total else 0


def deflection(tickets: QuerySet[Ticket], weeks: int, now: datetime | None = None) -> Deflection:
    start, _mondays = window(weeks, now)
    recent = tickets.filter(created_at__gte=start)
    by_outcome = dict(
        recent.filter(outcome__in=DEFLECTING).values_list("outcome").annotate(n=Count("id")).order_by()
    )
    return Deflection(total=recent.count(), deflected=sum(by_outcome.values()), by_outcome=by_outcome)
