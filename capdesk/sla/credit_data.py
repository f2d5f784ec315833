"""Uptime credits for a month, read from the status page's records and the directory (read-only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from capdesk.directory.models import Organization, Plan, SubscriptionStatus
from capdesk.sla.credits import (
    ComponentHistory,
    Downtime,
    MaintenanceWindow,
    StatusChange,
    availability,
    commitment,
    credit_percent,
    downtime,
    month_bounds,
    percent_text,
)
from capdesk.status.models import Component, ComponentStatusChange, Incident

# Who is owed a credit: Enterprise organizations paying for the plan (a trial pays no fees).
PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


@dataclass(frozen=True)
class OrganizationCredit:
    """One Enterprise organization's month: the time measured, its availability and credit."""

    organization: Organization
    since: datetime
    availability: float
    credit_percent: int

    @property
    def availability_text(self) -> str:
        return percent_text(self.availability)


@dataclass(frozen=True)
class Cause:
    """An incident (or unannounced maintenance) behind some of the month's downtime."""

    incident: Incident | None  # None: a component status set by hand, outside any incident
    downtime_seconds: float  # weighted: partial outage at 30 %


@dataclass(frozen=True)
class MonthCredits:
    """A month's uptime credits: the period measured, the figures, and what is behind them."""

    month: str
    start: datetime
    end: datetime  # the month's end, or now while it is running
    complete: bool
    commitment: float
    availability: float  # the platform's, over the whole period
    organizations: list[OrganizationCredit]
    causes: list[Cause]
    excluded_maintenance: list[Incident]

    @property
    def availability_text(self) -> str:
        return percent_text(self.availability)

    @property
    def commitment_text(self) -> str:
        return f"{self.commitment:.1%}"


def histories() -> list[ComponentHistory]:
    changes: dict[int, list[StatusChange]] = defaultdict(list)
    for row in ComponentStatusChange.objects.order_by("at", "id").values_list(
        "component_id", "at", "old_status", "new_status", "incident_id"
    ):
        changes[row[0]].append(StatusChange(*row[1:]))
    return [
        ComponentHistory(pk, status, changes[pk])
        for pk, status in Component.objects.values_list("pk", "status")
    ]


def maintenance_windows(start: datetime, end: datetime) -> list[tuple[Incident, MaintenanceWindow]]:
    found = []
    maintenances = Incident.objects.filter(
        kind=Incident.Kind.MAINTENANCE, scheduled_for__lt=end, scheduled_until__gt=start
    ).prefetch_related("components")
    for maintenance in maintenances:
        assert maintenance.scheduled_for is not None and maintenance.scheduled_until is not None
        window = MaintenanceWindow(
            incident_id=maintenance.pk,
            announced_at=maintenance.created_at,
            start=maintenance.scheduled_for,
            end=maintenance.scheduled_until,
            component_ids=frozenset(c.pk for c in maintenance.components.all()),
        )
        found.append((maintenance, window))
    return found


def month_credits(month: str, now: datetime, *, organization_id: int | None = None) -> MonthCredits:
    """The month's figures; raises ValueError for a malformed month or one that has not begun."""
    start, month_end = month_bounds(month)
    if start >= now:
        raise ValueError(f"{month} has not begun")
    end = min(month_end, now)
    windows = maintenance_windows(start, end)
    stretches = downtime(histories(), [w for _, w in windows], start, end)
    organizations = Organization.objects.filter(
        plan=Plan.ENTERPRISE, subscription_status__in=PAYING, created_at__lt=end
    ).order_by("name", "pk")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    rows = []
    for org in organizations:
        since = max(start, org.created_at)
        ratio = availability(stretches, since, end)
        rows.append(OrganizationCredit(org, since, ratio, credit_percent(ratio, start)))
    ratio = availability(stretches, start, end)
    return MonthCredits(
        month=month,
        start=start,
        end=end,
        complete=end == month_end,
        commitment=commitment(start),
        availability=ratio,
        organizations=rows,
        causes=causes(stretches),
        excluded_maintenance=[m for m, w in windows if w.excluded],
    )


def causes(stretches: list[Downtime]) -> list[Cause]:
    seconds: dict[int | None, float] = defaultdict(float)
    for stretch in stretches:
        seconds[stretch.incident_id] += stretch.seconds
    incidents = Incident.objects.in_bulk([pk for pk in seconds if pk is not None])
    found = [Cause(incidents.get(pk) if pk is not None else None, s) for pk, s in seconds.items()]
    return sorted(found, key=lambda c: -c.downtime_seconds)


def enterprise_billing_ticket(scope: str, organization: Organization | None) -> bool:
    """Whether an agent on this ticket should see the credit figure: a billing request from a paying Enterprise org."""
    return (
        scope == "billing"
        and organization is not None
        and organization.plan == Plan.ENTERPRISE
        and organization.subscription_status in PAYING
    )
