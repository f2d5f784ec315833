"""The status page's periodic jobs: maintenance windows that open and close, and delivery sweeps."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.status import actions, delivery


@every(30, name="status.advance_maintenances")
def _advance_maintenances() -> int:
    return actions.advance_maintenances()


@every(30, name="status.fan_out_pending")
def _fan_out_pending() -> int:
    return delivery.fan_out_pending()


@every(15, name="status.deliver_due_webhooks")
def _deliver_due_webhooks() -> int:
    return delivery.deliver_due()
