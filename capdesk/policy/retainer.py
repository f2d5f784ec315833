"""Premium Support retainer hours: what a booking leaves for the month, and what goes beyond it.

CAPGO.md: the retainer buys a number of hours a month (4), unused hours do not
roll over, and each hour beyond them costs extra (EUR 250). The month is a
calendar month in UTC: a booking belongs to the month its work was done in.

Pure arithmetic on minutes. Bookings are not stored yet: until a model records
them, callers pass the month's booked minutes themselves (``OrgFacts`` carries 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from capdesk.policy.document import PremiumRule


@dataclass(frozen=True, slots=True)
class Booking:
    """One booking against a month's retainer hours, split into what the hours cover and the overage."""

    minutes: int
    covered_minutes: int  # taken from the month's included hours
    overage_minutes: int  # beyond them, billed per extra hour
    remaining_minutes: int  # included minutes left after this booking
    overage_eur: Decimal  # this booking's overage, pro rata per minute, to the cent


def included_minutes(rule: PremiumRule, override: int | None = None) -> int:
    """The month's included minutes: the organization's own figure if it has one, else the policy's."""
    if override is not None:
        return override
    return int(rule.hours_per_month * 60)


def book(*, included: int, already_booked: int, minutes: int, extra_hour_eur: Decimal) -> Booking:
    """Book ``minutes`` in a month whose ``included`` minutes are ``already_booked`` in part.

    No rollover: nothing left from an earlier month is added to ``included``.
    Overage is priced pro rata per minute; CAPGO.md prices the extra hour but does
    not say whether a started hour counts whole, so the fairer reading is taken.
    """
    if minutes <= 0:
        raise ValueError("a booking is a positive number of minutes")
    if included < 0 or already_booked < 0:
        raise ValueError("included and booked minutes cannot be negative")
    left_before = max(0, included - already_booked)
    covered = min(minutes, left_before)
    overage = minutes - covered
    cost = (extra_hour_eur * overage / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Booking(
        minutes=minutes,
        covered_minutes=covered,
        overage_minutes=overage,
        remaining_minutes=left_before - covered,
        overage_eur=cost,
    )


def month_of(at: datetime) -> tuple[int, int]:
    """The (year, month) a booking made at ``at`` counts against, in UTC."""
    if at.tzinfo is None:
        raise ValueError("a booking time must be timezone-aware")
    utc = at.astimezone(UTC)
    return utc.year, utc.month
