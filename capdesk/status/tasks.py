"""Worker tasks for the status page: subscribers' deliveries and the published snapshot."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from capdesk.core import deliveries, queues
from capdesk.status import delivery, publish


@task()
def fan_out_event(event_id: int) -> int:
    return delivery.fan_out(event_id)


@task(queue_name=queues.OUTBOUND)
def deliver_webhook(delivery_id: int) -> bool:
    return delivery.deliver_webhook(delivery_id)


@task(queue_name=queues.OUTBOUND)
def deliver_due_webhooks() -> int:
    """The subscribers' webhook sweep (``delivery.hand_over_due``): retries, and deliveries whose task was lost."""
    return delivery.deliver_due(due_for=deliveries.SWEEP_AFTER)


@task()
def publish_snapshot() -> int | None:
    """Write the page's files at the current version; skipped when a publish already did (bursts)."""
    return publish.publish(only_if_behind=True)


def publish_on_commit() -> None:
    """Called wherever the page version moves: publish once the change is visible to the worker."""
    transaction.on_commit(lambda: publish_snapshot.enqueue())
