"""Worker tasks for the status page's subscribers."""

from __future__ import annotations

from django_tasks import task

from capdesk.status import delivery


@task()
def fan_out_event(event_id: int) -> int:
    return delivery.fan_out(event_id)


@task()
def deliver_webhook(delivery_id: int) -> bool:
    return delivery.deliver_webhook(delivery_id)
