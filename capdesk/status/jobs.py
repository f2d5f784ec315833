"""The status page's periodic jobs: maintenance windows that open and close, and delivery sweeps."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.status import actions, delivery, monitor_actions, monitoring


@every(30, name="status.advance_maintenances")
def _advance_maintenances() -> int:
    return actions.advance_maintenances()


@every(30, name="status.fan_out_pending")
def _fan_out_pending() -> int:
    return delivery.fan_out_pending()


@every(15, name="status.deliver_due_webhooks")
def _deliver_due_webhooks() -> int:
    return delivery.deliver_due()


@every(5, name="status.run_monitors")
def _run_monitors() -> int:
    return monitoring.run_due()


@every(3600, name="status.prune_monitor_results")
def _prune_monitor_results() -> int:
    return monitor_actions.prune_results()
