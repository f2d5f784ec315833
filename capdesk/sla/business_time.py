"""Deadline maths: add business time to an instant, or measure it between two instants.

Pure functions of a ``Calendar`` and aware datetimes; they return aware UTC datetimes.

Why the care: a calendar's ranges are wall-clock times in its zone, but the clock
runs in real time. Inside a stretch of constant UTC offset, wall time is real time
plus that offset, so a wall-clock range maps to one real interval. The work is
therefore done stretch by stretch: find where the offset changes (a DST change),
and within each stretch map that stretch's local days' ranges back to UTC. The
hour repeated when DST ends then lies in two stretches and counts twice; the hour
skipped when DST starts lies in none and counts not at all.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from datetime import MAXYEAR, UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from capdesk.sla.calendar import Calendar

# The offset is probed once a day: tzdb has no zone whose offset changes and changes
# back within 24 hours, so a change between two probes is found by bisection.
_PROBE = timedelta(days=1)
# A calendar that is closed this long in a row is a mistake (say, holidays listed for
# every open day), not a deadline: stop instead of searching forever.
_GIVE_UP_AFTER = timedelta(days=3660)
_ZERO = timedelta(0)
_DAY = timedelta(days=1)


class NoBusinessHours(ValueError):
    """The calendar has no open time left within ten years of the start."""


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which ``duration`` of business time has passed since ``start``."""
    if duration < _ZERO:
        raise ValueError("a duration of business time cannot be negative")
    begin = _naive_utc(start)
    if duration == _ZERO or calendar.always_open:
        return (begin + duration).replace(tzinfo=UTC)
    remaining = duration
    for lo, hi in _open_intervals(calendar, begin):
        if hi - lo >= remaining:
            return (lo + remaining).replace(tzinfo=UTC)
        remaining -= hi - lo
    raise AssertionError("unreachable: _open_intervals never ends")  # pragma: no cover


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time inside [start, end); zero if end is not after start."""
    begin, finish = _naive_utc(start), _naive_utc(end)
    if finish <= begin:
        return _ZERO
    if calendar.always_open:
        return finish - begin
    total = _ZERO
    for lo, hi in _open_intervals(calendar, begin, until=finish):
        if lo >= finish:
            break
        total += min(hi, finish) - lo
    return total


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment.replace(tzinfo=None)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _open_intervals(
    calendar: Calendar, begin: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open time from ``begin`` on, as ordered [lo, hi) intervals in naive UTC."""
    last_open = begin
    for stretch_start, stretch_end, offset in _stretches(calendar.zone, begin):
        if until is not None and stretch_start >= until:
            return
        if stretch_start - last_open > _GIVE_UP_AFTER:
            raise NoBusinessHours("the calendar has no business hours within ten years")
        wall_end = stretch_end + offset
        offsets_on = calendar.offsets_on
        midnight = datetime.combine((stretch_start + offset).date(), time())
        while midnight < wall_end:
            base = midnight - offset  # local midnight in UTC, valid inside this stretch
            if until is not None and base >= until:
                return
            for opens, closes in offsets_on(midnight.date()):
                lo = base + opens
                hi = base + closes
                if lo < stretch_start:
                    lo = stretch_start
                if hi > stretch_end:
                    hi = stretch_end
                if lo < hi:
                    last_open = hi
                    yield lo, hi
            midnight += _DAY


def _stretches(zone: ZoneInfo, begin: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Consecutive [start, end) stretches of naive UTC time with one UTC offset, from ``begin`` on.

    Stretches are also cut at each new year (UTC), where the offset need not change.
    """
    start, year = begin, begin.year
    while True:
        first_offset, changes, offsets = _year_offsets(zone, year)
        index = bisect.bisect_right(changes, start)
        offset = offsets[index - 1] if index else first_offset
        for change, after in zip(changes[index:], offsets[index:], strict=True):
            yield start, change, offset
            start, offset = change, after
        year += 1
        new_year = _new_year(year)
        if start < new_year:
            yield start, new_year, offset
            start = new_year


@functools.lru_cache(maxsize=4096)
def _year_offsets(zone: ZoneInfo, year: int) -> tuple[timedelta, tuple[datetime, ...], tuple[timedelta, ...]]:
    """The zone's offset as the year (UTC) begins, then each change in the year and the offset after it.

    Found once per zone and year by probing daily and bisecting, then cached.
    """
    moment, end = datetime(year, 1, 1), _new_year(year + 1)
    first = offset = _offset(zone, moment)
    changes: list[datetime] = []
    offsets: list[timedelta] = []
    while moment < end:
        probe = min(moment + _PROBE, end)
        if _offset(zone, probe) == offset:
            moment = probe
            continue
        moment = _first_change(zone, moment, probe, offset)
        offset = _offset(zone, moment)
        changes.append(moment)
        offsets.append(offset)
    return first, tuple(changes), tuple(offsets)


def _new_year(year: int) -> datetime:
    """1 January of that year, or the end of time after 9999 (where a search ends in OverflowError)."""
    return datetime(year, 1, 1) if year <= MAXYEAR else datetime.max


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = zone.fromutc(moment.replace(tzinfo=zone)).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _first_change(zone: ZoneInfo, lo: datetime, hi: datetime, offset: timedelta) -> datetime:
    """The first whole second in (lo, hi] whose offset is not ``offset`` (tzdb changes on whole seconds)."""
    base = lo.replace(microsecond=0)
    # The change happens at a whole second in (lo, hi], so also in (base, floor(hi)].
    low, high = 0, (hi - base) // timedelta(seconds=1)  # offset(base + low) == offset != offset(base + high)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, base + timedelta(seconds=middle)) == offset:
            low = middle
        else:
            high = middle
    return base + timedelta(seconds=high)
