"""The monitor sweep: claim the monitors that are due, probe them all at once, record the results.

Claiming moves each monitor's next run forward before probing (a conditional update on
the value read), so two schedulers running side by side never probe the same monitor
twice; the probing itself holds no database connection or lock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from django.utils import timezone

from capdesk.status import monitor_actions
from capdesk.status.models import Monitor
from capdesk.status.probes import Spec, probe_all

BATCH = 2000


def spec_for(monitor: Monitor) -> Spec:
    return Spec(
        kind=monitor.kind,
        target=monitor.target,
        timeout=max(0.1, monitor.timeout_seconds),
        retries=monitor.retries,
        expected_status=monitor.expected_status,
        keyword=monitor.keyword,
        max_latency_ms=monitor.max_latency_ms,
    )


def _claim(now: datetime) -> list[Monitor]:
    claimed = []
    due = Monitor.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")[:BATCH]
    for monitor in due:
        following = now + timedelta(seconds=max(5, monitor.interval_seconds))
        won = Monitor.objects.filter(pk=monitor.pk, next_run_at=monitor.next_run_at).update(
            next_run_at=following
        )
        if won:
            claimed.append(monitor)
    return claimed


def run_due(now: datetime | None = None) -> int:
    """One sweep; returns how many monitors ran."""
    moment = now or timezone.now()
    monitors = _claim(moment)
    if not monitors:
        return 0
    outcomes = asyncio.run(probe_all([spec_for(m) for m in monitors]))
    for monitor, outcome in zip(monitors, outcomes, strict=True):
        monitor_actions.record_result(monitor, outcome, at=timezone.now())
    return len(monitors)
