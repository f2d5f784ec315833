"""Worker tasks for outbound notifications."""

from __future__ import annotations

from django_tasks import task

from capdesk.core import deliveries, queues
from capdesk.notify import actions


@task(queue_name=queues.OUTBOUND)
def deliver_email(email_id: int) -> bool:
    """One queued email, and others that are due in the same connection (``TAKE_ALONG``)."""
    return actions.deliver_many([email_id], take_along=actions.TAKE_ALONG)[0]


@task(queue_name=queues.OUTBOUND)
def deliver_emails(email_ids: list[int]) -> list[bool]:
    """Several queued emails (``actions.deliveries_batched``) and others that are due, over one
    connection, each claimed and settled on its own; what a failing transport leaves is the
    ``deliver_due`` sweep's, like a lost task's."""
    return actions.deliver_many(email_ids, take_along=actions.TAKE_ALONG)


@task(queue_name=queues.OUTBOUND)
def deliver_due_emails() -> int:
    """The outbox sweep (``actions.hand_over_due``): retries, and emails whose task was lost."""
    return actions.deliver_due(due_for=deliveries.SWEEP_AFTER)


@task(queue_name=queues.OUTBOUND)
def deliver_due_webhooks() -> int:
    """The webhook sweep (``webhooks.hand_over_due``): retries, and deliveries whose task was lost."""
    from capdesk.notify import webhooks

    return webhooks.deliver_due(due_for=deliveries.SWEEP_AFTER)


@task(queue_name=queues.OUTBOUND)
def deliver_webhook_task(delivery_id: int) -> bool:
    from capdesk.notify import webhooks

    return webhooks.deliver(delivery_id)
