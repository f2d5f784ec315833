"""What the public page shows, read in a fixed number of queries (the page is rendered on change)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from capdesk.status import config, uptime, v2
from capdesk.status.indicator import worst_component_status
from capdesk.status.models import Component, ComponentGroup, ComponentStatus, ComponentStatusChange, Incident
from capdesk.status.uptime import Day

BAR_DAYS = 90
HISTORY_MONTHS = 3


@dataclass
class ComponentRow:
    """One line on the page: a component with its bars, or a group heading with its members."""

    name: str
    status: str
    description: str = ""
    bars: list[Day] = field(default_factory=list)
    uptime: str = ""
    bad_days: list[Day] = field(default_factory=list)
    members: list[ComponentRow] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return bool(self.members)


def _history(since: datetime) -> dict[int, list[uptime.Change]]:
    by_component: dict[int, list[uptime.Change]] = defaultdict(list)
    for row in ComponentStatusChange.objects.filter(at__gte=since).order_by("at", "id"):
        by_component[row.component_id].append(uptime.Change(row.at, row.old_status, row.new_status))
    return by_component


def _row(component: Component, history: dict[int, list[uptime.Change]], now: datetime) -> ComponentRow:
    row = ComponentRow(name=component.name, status=component.status, description=component.description)
    if component.showcase:
        created = component.created_at
        if component.start_date:
            created = max(
                created, datetime.combine(component.start_date, datetime.min.time(), config.page_zone())
            )
        row.bars = uptime.days(
            history.get(component.pk, []),
            current=component.status,
            created_at=created,
            now=now,
            zone=config.page_zone(),
            count=BAR_DAYS,
        )
        row.uptime = uptime.percent(uptime.uptime_ratio(row.bars))
        row.bad_days = [d for d in row.bars if d.worst not in (None, ComponentStatus.OPERATIONAL)]
    return row


def _visible(component: Component) -> bool:
    return not component.only_show_if_degraded or component.status != ComponentStatus.OPERATIONAL


def component_rows(now: datetime | None = None) -> list[ComponentRow]:
    """Groups and lone components in page order; a group shows its worst member's status."""
    moment = now or timezone.now()
    history = _history(moment - timedelta(days=BAR_DAYS + 1))
    components = [c for c in Component.objects.select_related("group") if _visible(c)]
    groups = {g.pk: g for g in ComponentGroup.objects.all()}
    members: dict[int, list[ComponentRow]] = defaultdict(list)
    top: list[tuple[int, str, ComponentRow]] = []
    for component in components:
        row = _row(component, history, moment)
        if component.group_id in groups:
            members[component.group_id].append(row)
        else:
            top.append((component.position, component.name.lower(), row))
    for pk, group in groups.items():
        if members[pk]:
            status = worst_component_status(m.status for m in members[pk])
            heading = ComponentRow(
                name=group.name, status=status, description=group.description, members=members[pk]
            )
            top.append((group.position, group.name.lower(), heading))
    return [row for _, _, row in sorted(top, key=lambda t: (t[0], t[1]))]


def overall_uptime(rows: list[ComponentRow]) -> str:
    """All showcased components' bars together, for /status.json's ``uptime``."""
    bars = [bar for row in rows for r in (row.members or [row]) for bar in r.bars]
    return uptime.percent(uptime.uptime_ratio(bars))


def open_incidents() -> QuerySet[Incident]:
    return v2.with_details(v2.unresolved_incidents())


def active_maintenance() -> QuerySet[Incident]:
    return v2.with_details(v2.active_maintenances())


def upcoming_maintenance() -> QuerySet[Incident]:
    return v2.with_details(v2.upcoming_maintenances())


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def months(now: datetime | None = None, count: int = HISTORY_MONTHS) -> list[tuple[date, list[Incident]]]:
    """Incidents by month (page zone), newest month first, including months with none."""
    local_today = timezone.localtime(now or timezone.now(), config.page_zone()).date()
    firsts = [_month_start(local_today, back) for back in range(count)]
    oldest = datetime.combine(firsts[-1], datetime.min.time(), config.page_zone())
    incidents = v2.with_details(v2.incidents().filter(started_at__gte=oldest).order_by("-started_at", "-id"))
    by_month: dict[date, list[Incident]] = {first: [] for first in firsts}
    for incident in incidents:
        local = timezone.localtime(incident.started_at, config.page_zone()).date()
        by_month.setdefault(local.replace(day=1), []).append(incident)
    return [(first, by_month[first]) for first in firsts]
