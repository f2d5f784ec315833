"""The status page's periodic jobs: maintenance windows, delivery sweeps and the published snapshot."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.status import actions, delivery, monitor_actions, monitoring, publish


@every(30, name="status.advance_maintenances")
def _advance_maintenances() -> int:
    return actions.advance_maintenances()


@every(30, name="status.fan_out_pending")
def _fan_out_pending() -> int:
    return delivery.fan_out_pending()


@every(15, name="status.deliver_due_webhooks")
def _deliver_due_webhooks() -> int:
    return delivery.hand_over_due()


@every(5, name="status.run_monitors")
def _run_monitors() -> int:
    return monitoring.run_due()


@every(3600, name="status.prune_monitor_results")
def _prune_monitor_results() -> int:
    return monitor_actions.prune_results()


@every(60, name="status.publish_snapshot")
def _publish_snapshot() -> int:
    # The safety net behind the per-change task (a lost task, a worker that was down) and the
    # clock: uptime bars move at midnight without any change. Unchanged files are not rewritten.
    return 0 if publish.publish() is None else 1
