"""Deadlines spelled out: DST changes both ways, holidays, midnight, split days, closed starts, 24/7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from capdesk.sla.business_time import NoBusinessHours, add_business_time, business_time_between
from capdesk.sla.calendar import Calendar, Range, always_open, parse_ranges

WORKDAY = parse_ranges("06:00-18:00")
CLOSED: tuple[Range, ...] = ()


def office(zone: str, *, holidays: tuple[date, ...] = ()) -> Calendar:
    """Capgo's business hours: 06:00-18:00 Monday to Friday."""
    return Calendar(zone=ZoneInfo(zone), week=(WORKDAY,) * 5 + (CLOSED,) * 2, holidays=frozenset(holidays))


def one_day_open(zone: str, weekday: int, ranges: str) -> Calendar:
    week: list[tuple[Range, ...]] = [CLOSED] * 7
    week[weekday] = parse_ranges(ranges)
    return Calendar(zone=ZoneInfo(zone), week=tuple(week))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_it_skips_a_holiday_and_the_weekend_in_jakarta() -> None:
    # Thursday 24 December 2026, 17:00 WIB; Friday the 25th is Christmas.
    calendar = office("Asia/Jakarta", holidays=(date(2026, 12, 25),))
    assert add_business_time(calendar, utc(2026, 12, 24, 10), hours(12)) == utc(2026, 12, 28, 10)


def test_it_counts_a_paris_business_day_across_the_spring_change() -> None:
    # Friday 27 March 17:00 CET: one hour on Friday, eleven on Monday, which is on CEST.
    assert add_business_time(office("Europe/Paris"), utc(2026, 3, 27, 16), hours(12)) == utc(2026, 3, 30, 15)


def test_it_counts_a_paris_business_day_across_the_autumn_change() -> None:
    # Friday 23 October 17:00 CEST; Monday 26 October is on CET.
    assert add_business_time(office("Europe/Paris"), utc(2026, 10, 23, 15), hours(12)) == utc(
        2026, 10, 26, 16
    )


def test_it_counts_los_angeles_business_hours_across_both_changes() -> None:
    calendar = office("America/Los_Angeles")
    # Friday 6 March 17:00 PST -> Monday 9 March 07:00 PDT.
    assert add_business_time(calendar, utc(2026, 3, 7, 1), hours(2)) == utc(2026, 3, 9, 14)
    # Friday 30 October 17:00 PDT -> Monday 2 November 17:00 PST.
    assert add_business_time(calendar, utc(2026, 10, 31, 0), hours(12)) == utc(2026, 11, 3, 1)


def test_it_does_not_count_the_hour_skipped_when_dst_starts() -> None:
    # Sunday 29 March in Paris, open 01:00-04:00 by the wall clock: 02:00-03:00 never happens.
    calendar = one_day_open("Europe/Paris", 6, "01:00-04:00")
    assert business_time_between(calendar, utc(2026, 3, 28), utc(2026, 3, 30)) == hours(2)
    assert add_business_time(calendar, utc(2026, 3, 28), hours(2)) == utc(2026, 3, 29, 2)  # 04:00 CEST


def test_it_counts_the_hour_repeated_when_dst_ends_twice() -> None:
    # Sunday 25 October in Paris, open 01:00-04:00 by the wall clock: 02:00-03:00 happens twice.
    calendar = one_day_open("Europe/Paris", 6, "01:00-04:00")
    assert business_time_between(calendar, utc(2026, 10, 24), utc(2026, 10, 26)) == hours(4)
    assert add_business_time(calendar, utc(2026, 10, 24), hours(4)) == utc(2026, 10, 25, 3)  # 04:00 CET


def test_it_counts_a_range_that_straddles_the_repeated_hour_in_two_pieces() -> None:
    # 02:30-04:00 on 25 October: 02:30-03:00 CEST, then 02:30-04:00 CET after the clocks go back.
    calendar = one_day_open("Europe/Paris", 6, "02:30-04:00")
    assert business_time_between(calendar, utc(2026, 10, 24), utc(2026, 10, 26)) == hours(2)
    assert add_business_time(calendar, utc(2026, 10, 24), hours(0.5)) == utc(2026, 10, 25, 1)
    assert add_business_time(calendar, utc(2026, 10, 24), hours(0.75)) == utc(2026, 10, 25, 1, 45)


def test_it_runs_on_across_midnight_between_two_days_ranges() -> None:
    week: list[tuple[Range, ...]] = [CLOSED] * 7
    week[0], week[1] = parse_ranges("20:00-24:00"), parse_ranges("00:00-04:00")
    calendar = Calendar(zone=ZoneInfo("UTC"), week=tuple(week))
    # Monday 2 November 2026 23:00 + 2h -> Tuesday 01:00.
    assert add_business_time(calendar, utc(2026, 11, 2, 23), hours(2)) == utc(2026, 11, 3, 1)


def test_it_carries_on_into_the_new_year() -> None:
    # Thursday 31 December 2026 17:00 CET + 12 business hours: Friday 1 January 2027 17:00 CET.
    assert add_business_time(office("Europe/Paris"), utc(2026, 12, 31, 16), hours(12)) == utc(2027, 1, 1, 16)


def test_it_jumps_the_lunch_break_of_a_split_day() -> None:
    calendar = Calendar(zone=ZoneInfo("UTC"), week=(parse_ranges("06:00-12:00, 13:00-18:00"),) * 7)
    assert add_business_time(calendar, utc(2026, 6, 1, 11, 30), hours(1)) == utc(2026, 6, 1, 13, 30)


def test_it_starts_counting_at_the_next_opening_when_received_while_closed() -> None:
    # Saturday 6 June 2026 in Jakarta: the clock starts Monday 06:00 WIB (Sunday 23:00 UTC).
    assert add_business_time(office("Asia/Jakarta"), utc(2026, 6, 6, 3), hours(2)) == utc(2026, 6, 8, 1)


def test_it_ends_exactly_at_closing_time_when_the_work_fits_the_day() -> None:
    # Monday 8 June 2026 06:00 WIB + 12h is 18:00 WIB that day, not Tuesday's opening.
    assert add_business_time(office("Asia/Jakarta"), utc(2026, 6, 7, 23), hours(12)) == utc(2026, 6, 8, 11)


def test_it_returns_the_start_itself_for_no_time_at_all() -> None:
    assert add_business_time(office("Asia/Jakarta"), utc(2026, 6, 6, 3), timedelta(0)) == utc(2026, 6, 6, 3)


def test_it_counts_plain_elapsed_time_on_a_24_7_calendar_across_dst() -> None:
    calendar = always_open("Europe/Paris")
    # Saturday 28 March 20:00 CET + 12h: the wall clock shows 13 hours later.
    assert add_business_time(calendar, utc(2026, 3, 28, 19), hours(12)) == utc(2026, 3, 29, 7)
    assert business_time_between(calendar, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) == hours(25)


def test_it_treats_every_day_fully_open_with_holidays_as_closed_on_the_holidays() -> None:
    calendar = Calendar(
        zone=ZoneInfo("Europe/Paris"),
        week=(parse_ranges("00:00-24:00"),) * 7,
        holidays=frozenset({date(2026, 5, 1)}),
    )
    # Thursday 30 April 23:00 CEST + 2h: one hour before midnight, then Saturday.
    assert add_business_time(calendar, utc(2026, 4, 30, 21), hours(2)) == utc(2026, 5, 1, 23)


def test_it_measures_nothing_when_the_end_is_not_after_the_start() -> None:
    assert business_time_between(office("Asia/Jakarta"), utc(2026, 6, 8, 5), utc(2026, 6, 8, 4)) == timedelta(
        0
    )


def test_it_refuses_naive_instants_and_negative_durations() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(office("Asia/Jakarta"), datetime(2026, 6, 8), hours(1))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(office("Asia/Jakarta"), utc(2026, 6, 8), hours(-1))


def test_it_gives_up_on_a_calendar_whose_every_open_day_is_a_holiday() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(600))
    calendar = Calendar(zone=ZoneInfo("UTC"), week=(WORKDAY,) + (CLOSED,) * 6, holidays=mondays)
    with pytest.raises(NoBusinessHours):
        add_business_time(calendar, utc(2026, 1, 1), hours(1))
