"""Premium Support retainer bookings: the month's hours, no rollover, overage shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capdesk.policy.document import Policy
from capdesk.policy.retainer import book, included_minutes, month_of

EUR_250 = Decimal(250)


def test_it_includes_four_hours_a_month_under_capgos_policy(policy: Policy) -> None:
    assert included_minutes(policy.premium) == 240
    assert included_minutes(policy.premium, override=480) == 480


def test_it_takes_a_booking_from_the_months_hours_while_they_last() -> None:
    booking = book(included=240, already_booked=60, minutes=90, extra_hour_eur=EUR_250)
    assert (booking.covered_minutes, booking.overage_minutes, booking.remaining_minutes) == (90, 0, 90)
    assert booking.overage_eur == 0


def test_it_shows_the_overage_of_a_booking_that_runs_past_the_months_hours() -> None:
    booking = book(included=240, already_booked=200, minutes=70, extra_hour_eur=EUR_250)
    assert (booking.covered_minutes, booking.overage_minutes, booking.remaining_minutes) == (40, 30, 0)
    assert booking.overage_eur == Decimal("125.00")


def test_it_bills_everything_once_the_hours_are_spent() -> None:
    booking = book(included=240, already_booked=300, minutes=20, extra_hour_eur=EUR_250)
    assert (booking.covered_minutes, booking.overage_minutes) == (0, 20)
    assert booking.overage_eur == Decimal("83.33")


def test_it_refuses_an_empty_booking() -> None:
    with pytest.raises(ValueError):
        book(included=240, already_booked=0, minutes=0, extra_hour_eur=EUR_250)


def test_it_counts_a_booking_in_the_utc_month_of_the_work() -> None:
    jakarta = timezone(timedelta(hours=7))
    assert month_of(datetime(2026, 12, 1, 5, 0, tzinfo=jakarta)) == (2026, 11)
    assert month_of(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == (2026, 12)


@given(
    included=st.integers(0, 10_000),
    already=st.integers(0, 10_000),
    minutes=st.integers(1, 10_000),
)
def test_it_never_covers_more_than_was_left_and_never_loses_a_minute(
    included: int, already: int, minutes: int
) -> None:
    booking = book(included=included, already_booked=already, minutes=minutes, extra_hour_eur=EUR_250)
    assert booking.covered_minutes + booking.overage_minutes == minutes
    assert booking.covered_minutes <= max(0, included - already)
    assert booking.remaining_minutes == max(0, included - already) - booking.covered_minutes
