"""The console's deadline calculator: when would a ticket started now (or then) be due?

The deadline is the desk's own: ``actions.new_clock`` schedules a clock exactly as a
new ticket's is scheduled. What is added here is the explanation, day by day, of
the business minutes counted on the way, measured with ``business_time_between``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from capdesk.directory.models import Organization
from capdesk.sla.actions import new_clock
from capdesk.sla.business_time import business_time_between
from capdesk.sla.calendar import Calendar
from capdesk.sla.display import METRICS, TIERS
from capdesk.sla.levels import format_ranges
from capdesk.sla.policies import Metric, SlaPolicy, Target, capgo_sla

# Days listed in an explanation; a calendar closed for weeks (holidays) is cut short, not the deadline.
MAX_DAYS = 31


@dataclass(frozen=True)
class Answer:
    """The calculator's answer: the policy that applies, and each of its targets' deadlines."""

    organization: Organization | None
    policy: SlaPolicy | None  # None: no policy applies, the ticket would not be timed
    zone: str  # the zone business hours are counted in
    start: datetime  # in that zone
    severity: str
    deadlines: tuple[Deadline, ...]


@dataclass(frozen=True)
class Day:
    """One local day between the start and the deadline: its hours and what was counted on it."""

    day: date
    hours: str  # "06:00-18:00", "" when the weekday is closed
    holiday: bool
    counted: timedelta

    @property
    def counted_minutes(self) -> int:
        return int(self.counted.total_seconds() // 60)


@dataclass(frozen=True)
class Deadline:
    """One target's deadline from the start, with the business minutes that lead to it."""

    target: Target
    due_at: datetime  # UTC, as stored on a clock
    due_local: datetime  # in the customer's zone
    warn_at: datetime | None  # UTC: when the assignee and the queue are warned
    days: tuple[Day, ...]  # empty for a 24/7 target
    more_days: bool  # the explanation stops at MAX_DAYS

    @property
    def metric_label(self) -> str:
        return str(METRICS[self.target.metric])

    @property
    def tier_label(self) -> str:
        return str(TIERS[self.target.tier])

    @property
    def minutes(self) -> int:
        return int(self.target.duration.total_seconds() // 60)

    @property
    def counted_minutes(self) -> int:
        return sum(day.counted_minutes for day in self.days)


def deadlines(policy: SlaPolicy, *, zone: str, severity: str, start: datetime) -> list[Deadline]:
    """Each of the policy's targets at ``severity``, as a ticket's clock started at ``start`` would be due."""
    found = []
    for metric in Metric:
        target = policy.targets.get((metric, severity))
        if target is None:
            continue
        clock = new_clock(target, zone=zone, started_at=start)
        assert clock.due_at is not None  # a running clock always has a deadline
        calendar = capgo_sla().calendar_for(business_hours=target.business_hours, timezone=zone)
        days = _days(calendar, start, clock.due_at) if target.business_hours else []
        found.append(
            Deadline(
                target=target,
                due_at=clock.due_at,
                due_local=clock.due_at.astimezone(calendar.zone),
                warn_at=clock.warn_at,
                days=tuple(days[:MAX_DAYS]),
                more_days=len(days) > MAX_DAYS,
            )
        )
    return found


def _days(calendar: Calendar, start: datetime, due: datetime) -> list[Day]:
    """The local days from the start's to the deadline's, each with the business time counted on it."""
    zone = calendar.zone
    day, last = start.astimezone(zone).date(), due.astimezone(zone).date()
    days: list[Day] = []
    while day <= last and len(days) <= MAX_DAYS:
        counted = business_time_between(
            calendar, max(start, _midnight(day, zone)), min(due, _midnight(day + timedelta(days=1), zone))
        )
        ranges = calendar.week[day.weekday()]
        days.append(Day(day, format_ranges(ranges), bool(ranges) and calendar.is_holiday(day), counted))
        day += timedelta(days=1)
    return days


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)
