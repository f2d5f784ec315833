"""The deadline maths agrees with the minute-stepping reference on any calendar, zone and start."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from capdesk.sla.business_time import add_business_time, business_time_between
from capdesk.sla.calendar import Calendar
from capdesk.sla.tests.reference import reference_between, reference_deadline
from capdesk.sla.tests.strategies import cases

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reference_or_skip(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    try:
        return reference_deadline(calendar, start, minutes, limit_days=30)
    except OverflowError:
        assume(False)
        raise


@PROPERTY_SETTINGS
@given(case=cases(), minutes=st.integers(0, 900))
def test_it_finds_the_same_deadline_as_stepping_minute_by_minute(
    case: tuple[Calendar, datetime], minutes: int
) -> None:
    calendar, start = case
    expected = _reference_or_skip(calendar, start, minutes)
    assert add_business_time(calendar, start, timedelta(minutes=minutes)) == expected


@PROPERTY_SETTINGS
@given(case=cases(), minutes=st.integers(0, 4 * 24 * 60))
def test_it_measures_the_same_business_time_as_stepping_minute_by_minute(
    case: tuple[Calendar, datetime], minutes: int
) -> None:
    calendar, start = case
    end = start + timedelta(minutes=minutes)
    assert business_time_between(calendar, start, end) == reference_between(calendar, start, end)


@PROPERTY_SETTINGS
@given(case=cases(), minutes=st.integers(1, 900), seconds=st.integers(0, 59))
def test_it_measures_back_exactly_the_business_time_it_added(
    case: tuple[Calendar, datetime], minutes: int, seconds: int
) -> None:
    calendar, start = case
    duration = timedelta(minutes=minutes, seconds=seconds)
    deadline = add_business_time(calendar, start + timedelta(seconds=seconds), duration)
    assert business_time_between(calendar, start + timedelta(seconds=seconds), deadline) == duration
