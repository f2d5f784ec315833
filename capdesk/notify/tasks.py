"""Worker tasks for outbound notifications."""

from __future__ import annotations

from django_tasks import task

from capdesk.notify import actions


@task()
def deliver_email(email_id: int) -> bool:
    return actions.deliver(email_id)


@task()
def deliver_webhook_task(delivery_id: int) -> bool:
    from capdesk.notify import webhooks

    return webhooks.deliver(delivery_id)
