"""The slow, obviously correct reference the deadline maths is checked against.

It steps through real time one minute at a time and asks, for each minute, what a
wall clock in the calendar's zone reads: the minute counts if that reading lies in
an open range of that local date. Exact for starts on a whole minute in zones whose
offsets are whole minutes (every zone since the 1970s).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from capdesk.sla.calendar import Calendar

MINUTE = timedelta(minutes=1)


def is_open_minute(calendar: Calendar, moment: datetime) -> bool:
    local = moment.astimezone(calendar.zone)
    minute_of_day = local.hour * 60 + local.minute
    return any(start <= minute_of_day < end for start, end in calendar.ranges_on(local.date()))


def reference_deadline(
    calendar: Calendar, start: datetime, minutes: int, *, limit_days: int = 400
) -> datetime:
    moment, counted = start.astimezone(UTC), 0
    if minutes == 0:
        return moment
    for _ in range(limit_days * 24 * 60):
        if is_open_minute(calendar, moment):
            counted += 1
            if counted == minutes:
                return moment + MINUTE
        moment += MINUTE
    raise OverflowError("the reference gave up: deadline too far away")


def reference_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    moment, counted = start.astimezone(UTC), 0
    while moment < end:
        counted += is_open_minute(calendar, moment)
        moment += MINUTE
    return counted * MINUTE
