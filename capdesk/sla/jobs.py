"""Periodic SLA work: warnings before a target is missed, breaches when it is, chat retries."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.sla import chat
from capdesk.sla.actions import sweep_alerts


@every(30, name="sla.sweep_alerts")
def _sweep_alerts() -> int:
    return sweep_alerts()


@every(30, name="sla.deliver_chat")
def _deliver_chat() -> int:
    return chat.hand_over_due()
