"""The safety-net sweeps: whatever a lost task left behind is picked up here."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.intake.actions import retry_stalled
from capdesk.notify.actions import deliver_due


@every(30, name="intake.retry_stalled")
def _retry_stalled() -> int:
    return retry_stalled()


@every(15, name="notify.deliver_due")
def _deliver_due() -> int:
    return deliver_due()
