"""Worker tasks for SLA alerts."""

from __future__ import annotations

from django_tasks import task

from capdesk.core import deliveries, queues
from capdesk.sla import chat


@task(queue_name=queues.OUTBOUND)
def deliver_chat_alert(alert_id: int) -> bool:
    return chat.deliver(alert_id)


@task(queue_name=queues.OUTBOUND)
def deliver_due_chat_alerts() -> int:
    """The chat sweep (``chat.hand_over_due``): retries, and alerts whose task was lost."""
    return chat.deliver_due(due_for=deliveries.SWEEP_AFTER)
