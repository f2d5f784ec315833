"""What an agent sees of a ticket's clocks: time left in business time, paused, met or breached.

For the console (issue 5, point 6); kept here so the console only renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext, pgettext_lazy

from capdesk.sla.models import Clock
from capdesk.sla.policies import TARGET, capgo_sla
from capdesk.sla.timeline import elapsed, running_spans


@dataclass(frozen=True)
class ClockSummary:
    """One clock as the console shows it."""

    metric: str  # "first response"
    status: str  # running, paused, breached, met, missed, cancelled
    target: str  # "2 business hours (contractual)"
    due_at: datetime | None
    left: timedelta | None  # business time left; negative once overdue; None when stopped
    label: str  # "3 h 20 min left", "paused, 1 h 05 min left", "overdue by 40 min", "met"
    zone: str = "UTC"  # the customer's zone, that business hours are counted in


# In the agent's language, as the console renders them (the policy's own target text,
# "1 business day", is read by ``target_words``).
METRICS = {
    "first_response": gettext_lazy("first response"),
    "next_response": gettext_lazy("next response"),
    "resolution": gettext_lazy("resolution"),
}
TIERS = {"contractual": pgettext_lazy("sla", "contractual"), "goal": pgettext_lazy("sla", "goal")}
STOPPED = {
    "met": pgettext_lazy("sla", "met"),
    "missed": pgettext_lazy("sla", "missed"),
    "cancelled": pgettext_lazy("sla", "cancelled"),
}


def target_words(text: str) -> str:
    """A target as the policy file writes it ("2 business hours", "1 day") in the active
    language; what does not read as one is shown as written."""
    match = TARGET.fullmatch(text.strip())
    if match is None:
        return text
    count, business, unit = int(match.group(1)), bool(match.group(2)), match.group(3)
    return str((_BUSINESS_UNITS if business else _UNITS)[unit] % {"count": count})


# The number picks the plural form when the text is filled ("count").
_UNITS = {
    "minute": ngettext_lazy("%(count)d minute", "%(count)d minutes", "count"),
    "hour": ngettext_lazy("%(count)d hour", "%(count)d hours", "count"),
    "day": ngettext_lazy("%(count)d day", "%(count)d days", "count"),
}
_BUSINESS_UNITS = {
    "minute": ngettext_lazy("%(count)d business minute", "%(count)d business minutes", "count"),
    "hour": ngettext_lazy("%(count)d business hour", "%(count)d business hours", "count"),
    "day": ngettext_lazy("%(count)d business day", "%(count)d business days", "count"),
}


def summarize(clock: Clock, now: datetime) -> ClockSummary:
    metric = str(METRICS.get(clock.metric, clock.metric.replace("_", " ")))
    target = f"{target_words(clock.target_text)} ({TIERS.get(clock.tier, clock.tier)})"
    if clock.state == Clock.State.STOPPED:
        status = "met" if clock.met else "missed"
        return ClockSummary(metric, status, target, clock.due_at, None, str(STOPPED[status]), clock.timezone)
    if clock.state == Clock.State.CANCELLED:
        return ClockSummary(
            metric, "cancelled", target, clock.due_at, None, str(STOPPED["cancelled"]), clock.timezone
        )
    calendar = capgo_sla().calendar_for(business_hours=clock.business_hours, timezone=clock.timezone)
    spans = running_spans(clock.started_at, clock.closed_pauses(), clock.paused_since)
    left = timedelta(seconds=clock.target_seconds) - elapsed(calendar, spans, now)
    if left <= timedelta(0):
        label = pgettext("sla", "overdue by %(time)s") % {"time": business_duration(-left)}
        return ClockSummary(metric, "breached", target, clock.due_at, left, label, clock.timezone)
    paused = clock.state == Clock.State.PAUSED
    time = {"time": business_duration(left)}
    label = (
        pgettext("sla", "paused, %(time)s left") % time if paused else pgettext("sla", "%(time)s left") % time
    )
    return ClockSummary(
        metric, "paused" if paused else "running", target, clock.due_at, left, label, clock.timezone
    )


def business_duration(amount: timedelta) -> str:
    """``3 h 05 min``, ``40 min``: whole minutes, rounded down, never negative."""
    minutes = max(0, int(amount.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return pgettext("sla", "%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return pgettext("sla", "%(minutes)d min") % {"minutes": minutes}
