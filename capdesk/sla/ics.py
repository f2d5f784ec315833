"""Holiday dates from a simple iCalendar file (RFC 5545), without a dependency.

Enough for the holiday calendars people export: all-day VEVENTs with DTSTART and an
optional DTEND (exclusive, RFC 5545 3.6.1). Recurrence rules are refused rather than
silently ignored, so a yearly holiday is never missed without a word.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_LONGEST_EVENT = timedelta(days=366)


class IcsError(ValueError):
    """An iCalendar file this reader cannot turn into holiday dates."""


def read_ics_dates(text: str) -> set[date]:
    days: set[date] = set()
    event: dict[str, str] | None = None
    for number, line in _unfolded(text):
        name, _, value = line.partition(":")
        prop = name.split(";", 1)[0].upper()
        if prop == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif prop == "END" and value.upper() == "VEVENT":
            if event is None:
                raise IcsError(f"line {number}: END:VEVENT without BEGIN:VEVENT")
            days |= _event_days(event, number)
            event = None
        elif event is not None and prop in ("DTSTART", "DTEND", "RRULE", "RDATE"):
            event[prop] = value.strip()
    if event is not None:
        raise IcsError("a VEVENT is not closed with END:VEVENT")
    return days


def _unfolded(text: str) -> list[tuple[int, str]]:
    """Logical lines with their first physical line number (RFC 5545 3.1: folds start with a space or tab)."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def _event_days(event: dict[str, str], number: int) -> set[date]:
    if "RRULE" in event or "RDATE" in event:
        raise IcsError(f"line {number}: recurring events (RRULE, RDATE) are not supported; list each date")
    if "DTSTART" not in event:
        raise IcsError(f"line {number}: a VEVENT without DTSTART")
    first = _date(event["DTSTART"], number)
    end = _date(event["DTEND"], number) if "DTEND" in event else first + timedelta(days=1)
    if end <= first:
        end = first + timedelta(days=1)  # a timed event on one day: that day
    if end - first > _LONGEST_EVENT:
        raise IcsError(f"line {number}: an event longer than a year is not a holiday")
    return {first + timedelta(days=i) for i in range((end - first).days)}


def _date(value: str, number: int) -> date:
    match = _DATE.match(value)
    if not match:
        raise IcsError(f"line {number}: {value!r} is not an iCalendar date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise IcsError(f"line {number}: {value!r} is not a real date") from None
