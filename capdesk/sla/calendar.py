"""Business-hours calendars: a time zone, wall-clock ranges per weekday, holidays, or 24/7.

Pure values, no Django: the deadline maths (``business_time``) and ``capdesk sla
deadline`` work on these, and so do the property tests.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# A wall-clock range on one day, in minutes after local midnight: [start, end), end <= 1440.
Range = tuple[int, int]
Week = tuple[tuple[Range, ...], ...]  # seven days, Monday first (date.weekday())

ALL_DAY: tuple[Range, ...] = ((0, MINUTES_PER_DAY),)
ALWAYS: Week = (ALL_DAY,) * 7


@dataclass(frozen=True)
class CountryHolidays:
    """Public holidays of a country (and optionally a subdivision), from the ``holidays`` package."""

    country: str
    subdivision: str | None = None

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in _country_holidays(self.country, self.subdivision, day.year)


@functools.lru_cache(maxsize=256)
def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision, years=year).keys())


def check_country(country: str, subdivision: str | None) -> None:
    """Raise ValueError if the ``holidays`` package does not know this country or subdivision."""
    try:
        holidays_package.country_holidays(country, subdiv=subdivision, years=2026)
    except NotImplementedError as exc:  # the package's word for an unknown country or subdivision
        raise ValueError(f"unknown holiday country or subdivision ({exc})") from None


@dataclass(frozen=True)
class Calendar:
    """When the clock runs: ``week``'s wall-clock ranges in ``zone``, except on holidays.

    Business time is real elapsed time whose local wall-clock reading falls inside a
    range of its local date: an hour repeated when DST ends counts twice, an hour
    skipped when DST starts does not exist and so does not count.
    """

    zone: ZoneInfo
    week: Week
    holidays: frozenset[date] = frozenset()
    country: CountryHolidays | None = None
    always_open: bool = field(init=False)
    # The week's ranges as offsets from midnight, for the deadline maths' inner loop.
    _week_offsets: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = field(init=False, repr=False)
    # Holidays by year, explicit and the country's together: a memo, not part of the value.
    _by_year: dict[int, frozenset[date]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has seven days")
        for day in self.week:
            previous_end = 0
            for start, end in day:
                if not 0 <= start < end <= MINUTES_PER_DAY or start < previous_end:
                    raise ValueError(f"ranges must be sorted, non-empty and non-overlapping: {day}")
                previous_end = end
        if not any(self.week):
            raise ValueError("the calendar is never open")
        object.__setattr__(
            self, "always_open", self.week == ALWAYS and not self.holidays and self.country is None
        )
        offsets = tuple(
            tuple((timedelta(minutes=a), timedelta(minutes=b)) for a, b in day) for day in self.week
        )
        object.__setattr__(self, "_week_offsets", offsets)
        object.__setattr__(self, "_by_year", {})

    def holidays_in(self, year: int) -> frozenset[date]:
        found = self._by_year.get(year)
        if found is None:
            found = frozenset(d for d in self.holidays if d.year == year)
            if self.country is not None:
                found |= _country_holidays(self.country.country, self.country.subdivision, year)
            self._by_year[year] = found
        return found

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (self.country is not None and day in self.country)

    def offsets_on(self, day: date) -> tuple[tuple[timedelta, timedelta], ...]:
        """``ranges_on`` as (open, close) offsets from local midnight."""
        offsets = self._week_offsets[day.weekday()]
        if offsets and day in self.holidays_in(day.year):
            return ()
        return offsets

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The wall-clock ranges open on this local date (none on a holiday)."""
        ranges = self.week[day.weekday()]
        if ranges and self.is_holiday(day):
            return ()
        return ranges


def always_open(zone: str = "UTC") -> Calendar:
    """A 24/7 calendar: business time is plain elapsed time."""
    return Calendar(zone=ZoneInfo(zone), week=ALWAYS)


def parse_ranges(text: str) -> tuple[Range, ...]:
    """``"06:00-12:00, 13:00-18:00"`` -> ((360, 720), (780, 1080)); empty text: closed.

    Raises ValueError naming the bad part. "24:00" ends a day; a range may not cross
    midnight (write it as two days' ranges).
    """
    ranges: list[Range] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        bounds = [b.strip() for b in part.split("-")]
        if len(bounds) != 2:
            raise ValueError(f"{part!r} is not a range like 06:00-18:00")
        start, end = (_minutes(b, part) for b in bounds)
        if end <= start:
            raise ValueError(f"{part!r} ends before it starts (split a range that crosses midnight)")
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in itertools.pairwise(ranges):
        if start < end:
            raise ValueError(f"ranges overlap in {text!r}")
    return tuple(ranges)


def _minutes(clock: str, part: str) -> int:
    hours, sep, minutes = clock.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{clock!r} in {part!r} is not a time like 06:00")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(f"{clock!r} in {part!r} is not a time between 00:00 and 24:00")
    return value
