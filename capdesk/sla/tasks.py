"""Worker tasks for SLA alerts."""

from __future__ import annotations

from django_tasks import task

from capdesk.sla import chat


@task()
def deliver_chat_alert(alert_id: int) -> bool:
    return chat.deliver(alert_id)
