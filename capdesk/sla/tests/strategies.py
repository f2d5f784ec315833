"""Hypothesis strategies for calendars and starts, bounded so the reference stays fast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from capdesk.sla.calendar import MINUTES_PER_DAY, Calendar, Range

# Zones with the awkward cases, and their 2026 offset changes: no DST (Jakarta), EU and
# US DST changes, half-hour changes (Lord Howe), changes at midnight (Santiago), a
# +05:45 offset (Kathmandu).
TRANSITIONS: dict[str, tuple[datetime, ...]] = {
    "Asia/Jakarta": (),
    "Europe/Paris": (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
    "America/Los_Angeles": (datetime(2026, 3, 8, 10, tzinfo=UTC), datetime(2026, 11, 1, 9, tzinfo=UTC)),
    "Australia/Lord_Howe": (datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
    "America/Santiago": (datetime(2026, 4, 5, 3, tzinfo=UTC), datetime(2026, 9, 6, 4, tzinfo=UTC)),
    "Asia/Kathmandu": (),
    "UTC": (),
}


@st.composite
def day_ranges(draw: st.DrawFn) -> tuple[Range, ...]:
    """Zero to three sorted, non-overlapping ranges; ends on 15-minute marks, 24:00 allowed."""
    marks = sorted(draw(st.sets(st.integers(0, MINUTES_PER_DAY // 15), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple((marks[i] * 15, marks[i + 1] * 15) for i in range(0, len(marks), 2))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Calendar, datetime]:
    """A calendar and a whole-minute start in 2026, mostly shortly before one of its zone's offset changes.

    Holidays fall on those changes' dates now and then, and anywhere in the year.
    """
    zone = draw(st.sampled_from(sorted(TRANSITIONS)))
    changes = TRANSITIONS[zone]
    week = tuple(draw(day_ranges()) for _ in range(7))
    if not any(week):
        week = (((6 * 60, 18 * 60),), *week[1:])
    holidays = frozenset(
        draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=20))
        + draw(st.lists(st.sampled_from([c.date() for c in changes] or [date(2026, 1, 1)]), max_size=1))
    )
    near_a_change = draw(st.integers(0, 3)) > 0
    if changes and near_a_change:
        change = draw(st.sampled_from(changes))
        start = change + timedelta(minutes=draw(st.integers(-3 * MINUTES_PER_DAY, MINUTES_PER_DAY // 2)))
    else:
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 360 * MINUTES_PER_DAY))
        )
    return Calendar(zone=ZoneInfo(zone), week=week, holidays=holidays), start
