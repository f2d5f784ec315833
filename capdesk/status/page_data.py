"""What the public page shows, read in a fixed number of queries (the page is rendered on change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar, cast

from django.db.models import QuerySet
from django.utils import timezone

from capdesk.core.translations import pick
from capdesk.status import config, uptime, v2
from capdesk.status.indicator import worst_component_status
from capdesk.status.models import (
    UNRESOLVED_INCIDENT,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
)
from capdesk.status.uptime import Day

BAR_DAYS = 90
HISTORY_MONTHS = 3
# The history page's depth; the page's three months are its first three.
FULL_HISTORY_MONTHS = 12

T = TypeVar("T")
# Per publish: the pieces every document of one version shares, keyed by that version.
_shared: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar("status_page_data", default=None)


@contextmanager
def shared() -> Iterator[None]:
    """Inside this block each piece of page data is built once per page version and reused.

    A publish renders the page once per language, /status.json and the history pages, and
    all of them start from the same rows, uptime bars and incidents; building those once
    cut a publish's CPU by a fifth to a third (BENCHMARKS.md). Outside a publish nothing is
    shared: a request builds what it needs, and snapshot.py caches the bytes.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def once_per_version(name: str, build: Callable[[], T]) -> T:
    """``build()``, or inside ``shared()`` the value it gave for this page version."""
    memo = _shared.get()
    if memo is None:
        return build()
    # Keyed by the version each document is rendered at (one small query), not the one the
    # publish started at: a change in the middle of a publish must not put older data into
    # the snapshot cache under the newer version's key.
    state = v2.page_state()
    key = (name, state.version, state.updated_at)
    if key not in memo:
        memo[key] = build()
    return cast(T, memo[key])


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
    # Name and description in the page's other languages: the rows are built once and
    # rendered in every language (see shared()), so each page picks its own.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return bool(self.members)

    def text_in(self, field: str, language: str | None) -> str:
        """As Translated.text_in: the name or description in ``language``, else the original."""
        return pick(self.translations, field, language) or str(getattr(self, field))


def _history(since: datetime) -> dict[int, list[uptime.Change]]:
    by_component: dict[int, list[uptime.Change]] = defaultdict(list)
    for row in ComponentStatusChange.objects.filter(at__gte=since).order_by("at", "id"):
        by_component[row.component_id].append(uptime.Change(row.at, row.old_status, row.new_status))
    return by_component


def _row(component: Component, history: dict[int, list[uptime.Change]], now: datetime) -> ComponentRow:
    row = ComponentRow(
        name=component.name,
        status=component.status,
        description=component.description,
        translations=component.translations,
    )
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
    if now is None:
        return once_per_version("rows", _component_rows)
    return _component_rows(now)


def _component_rows(now: datetime | None = None) -> list[ComponentRow]:
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
                name=group.name,
                status=status,
                description=group.description,
                members=members[pk],
                translations=group.translations,
            )
            top.append((group.position, group.name.lower(), heading))
    return [row for _, _, row in sorted(top, key=lambda t: (t[0], t[1]))]


def overall_uptime(rows: list[ComponentRow]) -> str:
    """All showcased components' bars together, for /status.json's ``uptime``."""
    bars = [bar for row in rows for r in (row.members or [row]) for bar in r.bars]
    return uptime.percent(uptime.uptime_ratio(bars))


def _listed(name: str, queryset: Callable[[], QuerySet[Incident]]) -> list[Incident]:
    return once_per_version(name, lambda: list(v2.with_details(queryset())))


def open_incidents() -> list[Incident]:
    return _listed("open", v2.unresolved_incidents)


def active_maintenance() -> list[Incident]:
    return _listed("maintenance-now", v2.active_maintenances)


def upcoming_maintenance() -> list[Incident]:
    return _listed("maintenance-next", v2.upcoming_maintenances)


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def months(now: datetime | None = None, count: int = HISTORY_MONTHS) -> list[tuple[date, list[Incident]]]:
    """Resolved incidents by month (page zone), newest month first, including months with none.

    An incident still open is shown under "Active incidents" only; like Statuspage's
    history, it joins its month here once resolved.
    """
    if now is None and count <= FULL_HISTORY_MONTHS and _shared.get() is not None:
        # A month's list does not depend on how many older months are read, so the page's
        # three are the first three of the history page's twelve.
        return once_per_version("months", lambda: _months(None, FULL_HISTORY_MONTHS))[:count]
    return _months(now, count)


def _months(now: datetime | None, count: int) -> list[tuple[date, list[Incident]]]:
    local_today = timezone.localtime(now or timezone.now(), config.page_zone()).date()
    firsts = [_month_start(local_today, back) for back in range(count)]
    oldest = datetime.combine(firsts[-1], datetime.min.time(), config.page_zone())
    past = v2.incidents().filter(started_at__gte=oldest).exclude(status__in=UNRESOLVED_INCIDENT)
    incidents = v2.with_details(past.order_by("-started_at", "-id"))
    by_month: dict[date, list[Incident]] = {first: [] for first in firsts}
    for incident in incidents:
        local = timezone.localtime(incident.started_at, config.page_zone()).date()
        by_month.setdefault(local.replace(day=1), []).append(incident)
    return [(first, by_month[first]) for first in firsts]
