"""The worker's side of subscriptions: fan an event out, then deliver each webhook with retries.

Email goes through the notify outbox (it has its own retries and log). Webhooks are
POSTed here, signed per Standard Webhooks, with the same ``webhook-id`` on every retry;
each attempt is logged. A delivery is claimed by pushing its next attempt into the
future before the HTTP call, so two workers never post the same attempt, and no row
lock is held while waiting on someone else's server.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from capdesk.core import circuits, deliveries
from capdesk.core.outbound import send_signed
from capdesk.notify.actions import queue_email, render_email
from capdesk.status import config
from capdesk.status.config import in_language
from capdesk.status.models import StatusEvent, Subscriber, WebhookAttempt, WebhookDelivery
from capdesk.status.subscriber_actions import unsubscribe_url
from capdesk.status.v2 import rfc3339

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(hours=1)
USER_AGENT = "Capdesk-Status-Webhooks/1"


def _concerns(event: StatusEvent, wanted: set[int]) -> bool:
    """No chosen components means everything; an event without components concerns everyone."""
    return not wanted or not event.component_ids or bool(wanted & set(event.component_ids))


def _email(event: StatusEvent, subscriber: Subscriber) -> None:
    link = unsubscribe_url(subscriber)
    with translation.override(subscriber.language):
        context = {
            "event": event,
            "payload": event.payload,
            # The name and body in the subscriber's language where staff gave them, else "".
            "translated": event.translations.get(subscriber.language, {}),
            "unsubscribe_url": link,
            "page_url": config.page_url(),
            "page_name": config.page_name(),
            # The links open the pages in the subscriber's language, whatever the browser's.
            "page_link": in_language(config.page_url(), subscriber.language),
            "incident_link": in_language(
                str(event.payload.get("incident", {}).get("shortlink", "")), subscriber.language
            ),
        }
        kind = "incident" if event.kind == StatusEvent.Kind.INCIDENT_UPDATE else "component"
        subject, body = render_email(f"status/email/{kind}", context)
    queue_email(
        to=subscriber.email,
        subject=subject,
        body_text=body,
        kind="status_update",
        # RFC 2369 and RFC 8058: one-click unsubscribe by POST, answered without a login.
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def fan_out(event_id: int) -> int:
    """One outbox email or webhook delivery per interested, confirmed subscriber. Returns how many."""
    from capdesk.status.tasks import deliver_webhook

    with transaction.atomic():
        event = (
            StatusEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, fanned_out_at__isnull=True)
            .first()
        )
        if event is None:
            return 0
        subscribers = Subscriber.objects.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True
        ).prefetch_related("components")
        count = 0
        for subscriber in subscribers.iterator(chunk_size=500):
            if not _concerns(event, {c.pk for c in subscriber.components.all()}):
                continue
            if subscriber.kind == Subscriber.Kind.EMAIL:
                _email(event, subscriber)
            else:
                delivery = WebhookDelivery.objects.create(event=event, subscriber=subscriber)
                transaction.on_commit(partial(deliver_webhook.enqueue, delivery.pk))
            count += 1
        event.fanned_out_at = timezone.now()
        event.save(update_fields=["fanned_out_at"])
    return count


def fan_out_pending(limit: int = 50) -> int:
    """Scheduler sweep: events whose fan-out task was lost (a crash between commit and enqueue)."""
    stale = timezone.now() - timedelta(seconds=30)
    pending = list(
        StatusEvent.objects.filter(fanned_out_at__isnull=True, created_at__lte=stale).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in pending:
        fan_out(pk)
    return len(pending)


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """Statuspage's body: meta (this subscriber's unsubscribe link), then the event's frozen payload."""
    meta = {
        "unsubscribe": unsubscribe_url(delivery.subscriber),
        "documentation": f"{config.page_url()}/subscribe/",
        "generated_at": rfc3339(delivery.event.created_at),
    }
    payload: dict[str, Any] = {"meta": meta, **delivery.event.payload}
    return json.dumps(payload, separators=(",", ":")).encode()


def deliver_webhook(delivery_id: int) -> bool:
    """One attempt at one delivery; logged, and on failure retried later with backoff.

    Not while the subscriber's endpoint is failing (``core.circuits``): the delivery then
    waits, no attempt counted, for the endpoint's next try.
    """
    lease = timedelta(seconds=settings.CAPDESK_STATUS_WEBHOOK_TIMEOUT_SECONDS + 60)
    subscriber_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscriber_id", flat=True).first()
    )
    if subscriber_id is None:
        return False
    with circuits.passage(circuit(subscriber_id), lease=lease) as passage:
        return passage is not None and _deliver_webhook(delivery_id, passage, lease)


def _deliver_webhook(delivery_id: int, passage: circuits.Passage, lease: timedelta) -> bool:
    queryset = WebhookDelivery.objects.select_related("event", "subscriber")
    delivery = deliveries.claim(queryset, delivery_id, lease=lease)
    if delivery is None:
        return False
    subscriber = delivery.subscriber
    sent = deliveries.attempt(
        delivery,
        post=lambda: send_signed(
            subscriber.endpoint,
            secret=subscriber.secret,
            message_id=delivery.public_id,
            body=webhook_body(delivery),
            user_agent=USER_AGENT,
            allow_local=settings.CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL,
            timeout=settings.CAPDESK_STATUS_WEBHOOK_TIMEOUT_SECONDS,
        ),
        active=subscriber.is_active,
        inactive="subscriber is no longer active",
        log=lambda sent, duration_ms: WebhookAttempt.objects.create(
            delivery=delivery, status_code=sent.status_code, error=sent.error, duration_ms=duration_ms
        ),
        max_attempts=MAX_ATTEMPTS,
        cap=BACKOFF_CAP,
        passage=passage,
    )
    ok, status_code = sent.ok, sent.status_code
    if not ok:
        logger.warning(
            "status.webhook_failed",
            extra={"delivery": delivery.public_id, "attempts": delivery.attempts, "status_code": status_code},
        )
    return ok


def deliver_due(limit: int = 100, *, due_for: timedelta = timedelta(0)) -> int:
    """Webhook deliveries whose retry time came ``due_for`` ago, or whose task was lost; how many were tried."""
    return deliveries.sweep_due(
        WebhookDelivery.objects.all(),
        deliver_webhook,
        target="subscriber_id",
        limit=limit,
        due_for=due_for,
        held_until=lambda subscriber_id: circuits.retry_at(circuit(subscriber_id)),
    )


def circuit(subscriber_id: object) -> str:
    """The name of a webhook subscriber's circuit (core.circuits)."""
    return f"status-webhook:{subscriber_id}"


def forget_circuit(sender: object, instance: Subscriber, **kwargs: object) -> None:
    """A deleted subscriber's circuit goes with it (post_delete)."""
    circuits.forget(circuit(instance.pk))


def hand_over_due() -> int:
    """The scheduler's webhook sweep: one ``deliver_due_webhooks`` task for the outbound worker; 1 if queued."""
    from capdesk.status.tasks import deliver_due_webhooks

    return deliveries.hand_over_due(WebhookDelivery.objects.all(), deliver_due_webhooks)
