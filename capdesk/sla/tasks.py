"""Worker tasks for SLA alerts."""

from __future__ import annotations

from django_tasks import task

from capdesk.core import queues
from capdesk.sla import chat


@task(queue_name=queues.OUTBOUND)
def deliver_chat_alert(alert_id: int) -> bool:
    return chat.deliver(alert_id)
