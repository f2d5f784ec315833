"""A clock's running time, pauses taken out: when does it reach an amount of business time?

Pure: a clock's spans and a calendar in, an instant or a duration out. Recomputing
from the spans (rather than patching a stored deadline) keeps a deadline exact
when the target or the calendar changes mid-way, as on a severity or plan change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from capdesk.sla.business_time import add_business_time, business_time_between
from capdesk.sla.calendar import Calendar

# [start, end) while the clock runs; end None: still running.
Span = tuple[datetime, datetime | None]


def running_spans(
    started_at: datetime, pauses: Sequence[tuple[datetime, datetime]], paused_since: datetime | None
) -> list[Span]:
    """The stretches a clock ran: from its start, around each closed pause, up to an open pause."""
    spans: list[Span] = []
    begin = started_at
    for pause_start, pause_end in sorted(pauses):
        if pause_start > begin:
            spans.append((begin, pause_start))
        begin = max(begin, pause_end)
    if paused_since is None:
        spans.append((begin, None))
    elif paused_since > begin:
        spans.append((begin, paused_since))
    return spans


def instant_reached(calendar: Calendar, spans: Sequence[Span], amount: timedelta) -> datetime | None:
    """When the running time reaches ``amount``; None if it has not and the clock is paused."""
    used = timedelta(0)
    for start, end in spans:
        if end is None:
            return add_business_time(calendar, start, amount - used)
        span = business_time_between(calendar, start, end)
        if used + span >= amount:
            return add_business_time(calendar, start, amount - used)
        used += span
    return None


def elapsed(calendar: Calendar, spans: Sequence[Span], now: datetime) -> timedelta:
    """Business time the clock has run by ``now``."""
    return sum(
        (business_time_between(calendar, start, min(end or now, now)) for start, end in spans), timedelta(0)
    )
