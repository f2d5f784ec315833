"""The maintenance calendar as RFC 5545 text, written by hand (pure functions, no library).

UIDs come from the maintenance's public id, so a calendar that subscribed keeps one
event per maintenance; SEQUENCE is the maintenance's counter, bumped whenever its
window moves, so clients replace the event rather than keep a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75  # RFC 5545 3.1: lines longer than this are folded


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    url: str
    status: str  # TENTATIVE, CONFIRMED or CANCELLED
    stamp: datetime
    language: str = ""  # of SUMMARY and DESCRIPTION when not the default (RFC 5545 3.2.10)


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and newlines are escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold at 75 octets (continuations start with one space), never inside a UTF-8 character."""
    pieces: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, MAX_OCTETS
        current += char
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event) -> list[str]:
    texts = f";LANGUAGE={event.language}" if event.language else ""
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"LAST-MODIFIED:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.start)}",
        f"DTEND:{utc_stamp(event.end)}",
        f"SUMMARY{texts}:{escape_text(event.summary)}",
        f"DESCRIPTION{texts}:{escape_text(event.description)}",
        f"URL:{event.url}",
        f"STATUS:{event.status}",
        "TRANSP:TRANSPARENT",  # a maintenance window does not make anyone busy
        "END:VEVENT",
    ]


def calendar(events: Iterable[Event], *, name: str, prodid: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
