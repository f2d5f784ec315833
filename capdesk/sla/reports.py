"""SLA attainment: the share of targets met and response times in business time, by any grouping.

``attainment`` is pure (facts in, rows out); ``clock_facts`` reads the facts from the
clocks. A target counts once it is decided: met or missed by the reply, or missed
because its deadline passed with no reply yet. Cancelled clocks (solved without a
reply, or no longer under a policy) do not count.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.db.models import Q, QuerySet

from capdesk.sla.models import Clock
from capdesk.sla.policies import capgo_sla
from capdesk.sla.timeline import elapsed, running_spans

GROUPINGS = ("month", "policy", "tier", "severity", "metric", "agent")
METRICS = ("first_response", "next_response", "resolution")
CSV_HEADER = ("targets", "met", "share_met", "median_minutes", "p90_minutes")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class Writable(Protocol):
    """Where CSV goes: a file, a StringIO, a command's stdout."""

    def write(self, text: str, /) -> object: ...


class ReportError(ValueError):
    """A report was asked for with a filter or grouping that does not exist."""


@dataclass(frozen=True)
class ClockFacts:
    """One decided target, as the report needs it."""

    month: str  # "2026-06", by when the clock started (UTC)
    policy: str
    tier: str
    severity: str
    metric: str
    agent: str  # who replied; "" when nobody has
    met: bool
    response: timedelta | None  # business time to the reply; None while unanswered


@dataclass(frozen=True)
class Row:
    """Attainment for one group."""

    key: tuple[str, ...]
    targets: int
    met: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def share_met(self) -> float:
        return self.met / self.targets if self.targets else 0.0

    @property
    def answered(self) -> bool:
        """Whether any target of the group has its reply: the one test the table, the CSV and the chart share.

        A reply can take no business time at all (sent outside business hours), so a zero
        median is an answer, not the absence of one.
        """
        return self.median is not None


def attainment(facts: Iterable[ClockFacts], by: Sequence[str]) -> list[Row]:
    unknown = [g for g in by if g not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group by {unknown[0]!r} (one of {', '.join(GROUPINGS)})")
    groups: dict[tuple[str, ...], list[ClockFacts]] = defaultdict(list)
    for fact in facts:
        groups[tuple(str(getattr(fact, g)) for g in by)].append(fact)
    rows = []
    for key in sorted(groups):
        members = groups[key]
        responses = sorted(f.response for f in members if f.response is not None)
        rows.append(
            Row(
                key=key,
                targets=len(members),
                met=sum(f.met for f in members),
                median=percentile(responses, 50),
                p90=percentile(responses, 90),
            )
        )
    return rows


def percentile(ordered: Sequence[timedelta], pct: int) -> timedelta | None:
    """Nearest-rank percentile of sorted values (an actual response, never an interpolation)."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def decided_clocks(now: datetime) -> QuerySet[Clock]:
    """Clocks whose target is decided: stopped by a reply, or past their deadline unanswered."""
    return Clock.objects.filter(
        Q(state=Clock.State.STOPPED) | Q(state__in=(Clock.State.RUNNING, Clock.State.PAUSED), due_at__lte=now)
    ).select_related("responder")


def clock_facts(clocks: Iterable[Clock], now: datetime) -> Iterator[ClockFacts]:
    config = capgo_sla()
    for clock in clocks:
        response = None
        if clock.state == Clock.State.STOPPED and clock.stopped_at is not None:
            calendar = config.calendar_for(business_hours=clock.business_hours, timezone=clock.timezone)
            spans = running_spans(clock.started_at, clock.closed_pauses(), clock.paused_since)
            response = elapsed(calendar, spans, clock.stopped_at)
        yield ClockFacts(
            month=clock.started_at.astimezone(UTC).strftime("%Y-%m"),
            policy=clock.policy,
            tier=clock.tier,
            severity=clock.severity,
            metric=clock.metric,
            agent=clock.responder.get_username() if clock.responder else "",
            met=bool(clock.met),
            response=response,
        )


def parse_by(text: str) -> list[str]:
    by = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in by if g not in GROUPINGS]
    if unknown or not by:
        what = repr(unknown[0]) if unknown else "nothing"
        raise ReportError(f"cannot group by {what} (one of {', '.join(GROUPINGS)})")
    return by


def report_facts(
    now: datetime,
    *,
    month: str | None = None,
    metric: str | None = None,
    queue_ids: Sequence[int] | None = None,
) -> list[ClockFacts]:
    """The decided targets the report counts, optionally of one month (UTC, by start), one metric
    and the tickets of some queues (an agent restricted to them: ``tickets.scoping.agent_queue_ids``).

    One read for the command and the page, so the CSV and the charts always agree.
    """
    if month and not _MONTH.fullmatch(month):
        raise ReportError(f"month {month!r} is not YYYY-MM")
    if metric and metric not in METRICS:
        raise ReportError(f"metric {metric!r} is not one of {', '.join(METRICS)}")
    clocks = decided_clocks(now)
    if queue_ids is not None:
        clocks = clocks.filter(ticket__queue_id__in=queue_ids)
    if metric:
        clocks = clocks.filter(metric=metric)
    if month:
        year, number = int(month[:4]), int(month[5:])
        start = datetime(year, number, 1, tzinfo=UTC)
        end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        clocks = clocks.filter(started_at__gte=start, started_at__lt=end)
    return list(clock_facts(clocks.iterator(), now))


def write_csv(out: Writable, by: Sequence[str], rows: Iterable[Row]) -> None:
    """Rows as CSV: the groups, then targets, met, share met and response minutes (whole, rounded down)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*by, *CSV_HEADER])
    for row in rows:
        median, p90 = (whole_minutes(v) for v in (row.median, row.p90))
        writer.writerow([*row.key, row.targets, row.met, f"{row.share_met:.3f}", median, p90])


def whole_minutes(amount: timedelta | None) -> str:
    return "" if amount is None else str(int(amount.total_seconds() // 60))
