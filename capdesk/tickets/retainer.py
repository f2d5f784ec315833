"""Booking agent time against a Premium Support retainer (R1): 4 h a month, no rollover, overage shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from capdesk.directory.models import Organization
from capdesk.policy.loader import get_policy
from capdesk.policy.retainer import book, included_minutes, month_of
from capdesk.tickets.models import Event, RetainerBooking, Ticket


class NotCovered(ValueError):
    """The ticket's decision is not covered by a retainer, or its organization has none."""


@dataclass(frozen=True)
class MonthUse:
    """An organization's retainer this month: included, used, left, and what went beyond."""

    included: int
    used: int
    overage_minutes: int
    overage_eur: Decimal

    @property
    def remaining(self) -> int:
        return max(0, self.included - self.used)


def minutes_used(organization: Organization, year: int, month: int) -> int:
    total = RetainerBooking.objects.filter(organization=organization, year=year, month=month).aggregate(
        n=Sum("minutes")
    )["n"]
    return int(total or 0)


def month_use(organization: Organization) -> MonthUse:
    year, month = month_of(timezone.now())
    rows = RetainerBooking.objects.filter(organization=organization, year=year, month=month)
    totals = rows.aggregate(used=Sum("minutes"), over=Sum("overage_minutes"), eur=Sum("overage_eur"))
    return MonthUse(
        included=_included(organization),
        used=int(totals["used"] or 0),
        overage_minutes=int(totals["over"] or 0),
        overage_eur=totals["eur"] or Decimal("0"),
    )


def used_this_month(organization_ids: list[int]) -> dict[int, int]:
    """Minutes booked this month per organization, for ``policy.facts.facts_for``."""
    year, month = month_of(timezone.now())
    rows = (
        RetainerBooking.objects.filter(organization_id__in=organization_ids, year=year, month=month)
        .values("organization_id")
        .annotate(n=Sum("minutes"))
    )
    return {row["organization_id"]: int(row["n"]) for row in rows}


def _included(organization: Organization) -> int:
    return included_minutes(get_policy().premium, int(organization.premium_hours_per_month * 60))


def is_covered(ticket: Ticket) -> bool:
    decision = ticket.decisions.order_by("-created_at", "-id").first()
    org = ticket.organization
    return bool(decision and decision.book_retainer and org and org.premium_support)


@transaction.atomic
def book_time(ticket: Ticket, *, agent: User, minutes: int, note: str = "") -> RetainerBooking:
    """Record time spent on a retainer-covered ticket; what exceeds the month's hours is overage."""
    if not is_covered(ticket):
        raise NotCovered("this ticket is not covered by a Premium Support retainer")
    organization = ticket.organization
    assert organization is not None
    # Lock the organization so two agents booking at once cannot both take the last hour.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    year, month = month_of(timezone.now())
    split = book(
        included=_included(organization),
        already_booked=minutes_used(organization, year, month),
        minutes=minutes,
        extra_hour_eur=get_policy().premium.extra_hour_eur,
    )
    booking = RetainerBooking.objects.create(
        ticket=ticket,
        organization=organization,
        agent=agent,
        year=year,
        month=month,
        minutes=minutes,
        covered_minutes=split.covered_minutes,
        overage_minutes=split.overage_minutes,
        overage_eur=split.overage_eur,
        note=note[:300],
    )
    Event.objects.create(
        ticket=ticket,
        kind="retainer.booked",
        actor_user=agent,
        reason=note[:300],
        data={
            "minutes": minutes,
            "covered": split.covered_minutes,
            "overage": split.overage_minutes,
            "overage_eur": str(split.overage_eur),
            "remaining": split.remaining_minutes,
        },
    )
    return booking
