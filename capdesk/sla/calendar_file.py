"""Calendars from TOML: the file ``capdesk sla deadline --calendar`` reads (DESIGN.md).

    timezone = "Asia/Jakarta"
    holidays = ["2026-12-25"]          # explicit dates (TOML dates work too)
    holiday_country = "ID"             # optional: public holidays from the `holidays` package
    holiday_subdivision = "JK"         # optional, with holiday_country
    holiday_ics = "holidays.ics"       # optional: an iCalendar file, relative to this one
    [hours]
    mon = "06:00-18:00"                # several ranges: "06:00-12:00, 13:00-18:00"
    sat = ""                           # empty or missing: closed all day

``hours = "24/7"`` instead of the table makes a calendar that never closes. Every
error names the file and what is wrong with it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from capdesk.sla.calendar import (
    ALWAYS,
    WEEKDAYS,
    Calendar,
    CountryHolidays,
    Week,
    check_country,
    parse_ranges,
)
from capdesk.sla.ics import IcsError, read_ics_dates

FILE_KEYS = frozenset(
    {"timezone", "hours", "holidays", "holiday_country", "holiday_subdivision", "holiday_ics"}
)
ALWAYS_OPEN = "24/7"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarError(ValueError):
    """A calendar file that cannot be used, and why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def load_calendar(path: Path) -> Calendar:
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarError(source, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CalendarError(source, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(source, f"is not valid TOML ({exc})") from None
    unknown = sorted(set(data) - FILE_KEYS)
    if unknown:
        raise CalendarError(source, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(FILE_KEYS))})")
    if "timezone" not in data:
        raise CalendarError(source, 'timezone is missing (for example timezone = "Asia/Jakarta")')
    return calendar_from_table(data, timezone=data["timezone"], source=source, base_dir=path.parent)


def calendar_from_table(
    table: Mapping[str, object], *, timezone: object, source: str, base_dir: Path | None = None
) -> Calendar:
    """A calendar from a parsed TOML table (a calendar file, or a calendar in the SLA policy)."""
    zone = parse_zone(timezone, source)
    week = parse_week(table.get("hours"), source)
    holidays = set(_explicit_holidays(table.get("holidays", []), source))
    ics = table.get("holiday_ics")
    if ics is not None:
        if not isinstance(ics, str) or base_dir is None:
            raise CalendarError(source, "holiday_ics must be the path of an iCalendar file")
        try:
            holidays |= read_ics_dates((base_dir / ics).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CalendarError(
                source, f"holiday_ics {ics!r} cannot be read ({exc.strerror or exc})"
            ) from None
        except (IcsError, UnicodeDecodeError) as exc:
            raise CalendarError(source, f"holiday_ics {ics!r}: {exc}") from None
    country = _country(table.get("holiday_country"), table.get("holiday_subdivision"), source)
    try:
        return Calendar(zone=zone, week=week, holidays=frozenset(holidays), country=country)
    except ValueError as exc:
        raise CalendarError(source, str(exc)) from None


def parse_zone(name: object, source: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError(source, "timezone must be an IANA zone name such as Asia/Jakarta")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            source, f"unknown timezone {name!r} (an IANA name such as Asia/Jakarta)"
        ) from None


def parse_week(hours: object, source: str) -> Week:
    if hours == ALWAYS_OPEN:
        return ALWAYS
    if hours is None:
        raise CalendarError(source, '[hours] is missing (or write hours = "24/7")')
    if not isinstance(hours, Mapping):
        raise CalendarError(source, 'hours must be a table of weekdays, or "24/7"')
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise CalendarError(source, f"[hours] has {unknown[0]!r}; days are {', '.join(WEEKDAYS)}")
    week = []
    for day in WEEKDAYS:
        text = hours.get(day, "")
        if not isinstance(text, str):
            raise CalendarError(source, f'[hours] {day} must be a string such as "06:00-18:00"')
        try:
            week.append(parse_ranges(text))
        except ValueError as exc:
            raise CalendarError(source, f"[hours] {day}: {exc}") from None
    if not any(week):
        raise CalendarError(source, "[hours] opens on no day at all")
    return tuple(week)


def _explicit_holidays(values: object, source: str) -> list[date]:
    if not isinstance(values, list):
        raise CalendarError(source, 'holidays must be a list of dates such as ["2026-12-25"]')
    return [_holiday(value, source) for value in values]


def _holiday(value: object, source: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # a TOML date, written without quotes
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(source, f"holidays: {value!r} is not a date like 2026-12-25")


def _country(country: object, subdivision: object, source: str) -> CountryHolidays | None:
    if country is None:
        if subdivision is not None:
            raise CalendarError(source, "holiday_subdivision needs holiday_country")
        return None
    if not isinstance(country, str) or (subdivision is not None and not isinstance(subdivision, str)):
        raise CalendarError(source, 'holiday_country and holiday_subdivision are codes such as "ID", "JK"')
    try:
        check_country(country, subdivision)
    except ValueError as exc:
        raise CalendarError(source, str(exc)) from None
    return CountryHolidays(country, subdivision)
