"""Outgoing webhooks: endpoints, queuing an event for them, and the worker's signed delivery.

Each message is signed per Standard Webhooks (capdesk.core.webhook_signatures) and
keeps its ``webhook-id`` on every retry and re-send, so a receiver can drop repeats.
Deliveries are rows written in the transaction that made the event; the worker posts
them after the commit, never inside the request. A delivery is claimed by pushing its
next attempt into the future before the HTTP call, so two workers never post the same
attempt and no row lock is held while waiting on someone else's server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone

from capdesk.core import audit, circuits, deliveries
from capdesk.core.models import ActorKind
from capdesk.core.outbound import Sent, UnsafeTarget, check_target, send_signed
from capdesk.core.per_transaction import PerTransaction
from capdesk.core.webhook_signatures import generate_secret
from capdesk.notify.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# The events an endpoint can ask for (issue 8); incident.* comes from the status page.
EVENT_TYPES = (
    "ticket.created",
    "ticket.updated",
    "ticket.solved",
    "decision.overridden",
    "sla.warning",
    "sla.breached",
    "incident.created",
    "incident.updated",
    "incident.resolved",
)
MAX_ATTEMPTS = 10
BACKOFF_CAP = timedelta(hours=2)
USER_AGENT = "Capdesk-Webhooks/1"
RESPONSE_EXCERPT = 500


class EndpointRefused(ValueError):
    """A target the desk will not post to."""


def check_endpoint(url: str) -> None:
    """Refuse plain http and targets inside the desk's own network (SSRF).

    Checked when an endpoint is saved and again before every attempt, since DNS can change.
    """
    try:
        check_target(url, allow_local=settings.CAPDESK_WEBHOOK_ALLOW_LOCAL)
    except UnsafeTarget as exc:
        raise EndpointRefused(str(exc)) from None


def _check_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in EVENT_TYPES]
    if unknown:
        raise EndpointRefused(f"unknown event type(s): {', '.join(unknown)}")
    return chosen


Actor = AbstractBaseUser | AnonymousUser | None
_AUDITED = ("url", "events", "description", "is_active")


def _audit_endpoint(
    action: str, endpoint: WebhookEndpoint, *, by: Actor, request: HttpRequest | None, details: dict[str, Any]
) -> None:
    """An endpoint is sent every ticket event it asks for: who pointed one where is on record.
    The secret never is (a credential); the URL is, since it says where the data goes."""
    audit.record(
        action,
        actor_kind=ActorKind.STAFF if by is not None else ActorKind.SYSTEM,
        user=by,
        request=request,
        target_type="webhook_endpoint",
        target_id=endpoint.pk,
        details=details,
    )


@transaction.atomic
def create_endpoint(
    *,
    url: str,
    events: Iterable[str] = (),
    description: str = "",
    is_active: bool = True,
    by: Actor = None,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    """Register a receiver; it gets a fresh ``whsec_`` secret to verify what it is sent."""
    chosen = _check_events(events)
    check_endpoint(url.strip())
    endpoint = WebhookEndpoint.objects.create(
        url=url.strip(),
        events=chosen,
        description=description.strip(),
        is_active=is_active,
        secret=generate_secret(),
    )
    _audit_endpoint(
        audit.Action.WEBHOOK_ENDPOINT_CREATED,
        endpoint,
        by=by,
        request=request,
        details={field: getattr(endpoint, field) for field in _AUDITED},
    )
    return endpoint


@transaction.atomic
def edit_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str,
    events: Iterable[str],
    description: str,
    is_active: bool,
    by: Actor = None,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    """Change where an endpoint points, what it hears, or switch it off; the secret stays."""
    chosen = _check_events(events)
    check_endpoint(url.strip())
    before = {field: getattr(endpoint, field) for field in _AUDITED}
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        url=url.strip(), events=chosen, description=description.strip(), is_active=is_active
    )
    _forget_endpoints()  # an update() sends no post_save
    endpoint.refresh_from_db()
    changed = {
        field: [before[field], getattr(endpoint, field)]
        for field in _AUDITED
        if before[field] != getattr(endpoint, field)
    }
    if changed:
        _audit_endpoint(
            audit.Action.WEBHOOK_ENDPOINT_CHANGED, endpoint, by=by, request=request, details=changed
        )
    return endpoint


@transaction.atomic
def delete_endpoint(
    endpoint: WebhookEndpoint, *, by: Actor = None, request: HttpRequest | None = None
) -> None:
    """Remove a receiver, with its deliveries; the audit entry keeps where it pointed."""
    _audit_endpoint(
        audit.Action.WEBHOOK_ENDPOINT_DELETED,
        endpoint,
        by=by,
        request=request,
        details={"url": endpoint.url, "description": endpoint.description},
    )
    endpoint.delete()


# The active endpoints, read once per write transaction (core.per_transaction): intake
# writes several audit events per ticket and many tickets per transaction, and each asked
# again. Saving or deleting an endpoint in this process forgets them at once.
_endpoints: PerTransaction[list[WebhookEndpoint]] = PerTransaction(
    lambda: list(WebhookEndpoint.objects.filter(is_active=True))
)


def _forget_endpoints(*args: object, **kwargs: object) -> None:
    _endpoints.forget()


post_save.connect(_forget_endpoints, sender=WebhookEndpoint, dispatch_uid="notify.webhooks.forget_save")
post_delete.connect(_forget_endpoints, sender=WebhookEndpoint, dispatch_uid="notify.webhooks.forget_delete")


def _close_circuit(sender: object, instance: WebhookEndpoint, **kwargs: object) -> None:
    circuits.forget(circuit(instance.pk))


post_delete.connect(_close_circuit, sender=WebhookEndpoint, dispatch_uid="notify.webhooks.close_circuit")


def active_endpoints() -> list[WebhookEndpoint]:
    """The endpoints that are switched on, read at most once per transaction."""
    return _endpoints.get()


def wanted(event_type: str) -> bool:
    """Whether an active endpoint asked for ``event_type``: when none did, ``queue_event`` has
    nothing to queue, and its caller need not build the payload (intake writes several
    audit events per email, and a desk without endpoints is the common case)."""
    return any(endpoint.wants(event_type) for endpoint in active_endpoints())


def queue_event(event_type: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery per active endpoint that asked for this event, posted once the caller commits."""
    from capdesk.notify.tasks import deliver_webhook_task

    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event_type=event_type, payload=payload)
        for endpoint in active_endpoints()
        if endpoint.wants(event_type)
    ]
    for delivery in deliveries:
        transaction.on_commit(partial(deliver_webhook_task.enqueue, delivery.pk))
    return deliveries


@transaction.atomic
def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """Post a delivery again now, under the same webhook-id, with a fresh budget of retries.

    The attempt log keeps every earlier attempt; a receiver that already has this id may
    drop it, which is what the id is for.
    """
    from capdesk.notify.tasks import deliver_webhook_task

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(partial(deliver_webhook_task.enqueue, delivery.pk))
    delivery.refresh_from_db()
    return delivery


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":")).encode()


def deliver(delivery_id: int) -> bool:
    """One attempt at one delivery; logged, and on failure retried later with backoff.

    Not while its endpoint is failing (``core.circuits``): the delivery then waits, no
    attempt counted, for the endpoint's next try.
    """
    lease = timedelta(seconds=settings.CAPDESK_WEBHOOK_TIMEOUT_SECONDS + 60)
    endpoint_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    if endpoint_id is None:
        return False
    with circuits.passage(circuit(endpoint_id), lease=lease) as passage:
        return passage is not None and _deliver(delivery_id, passage, lease)


def _deliver(delivery_id: int, passage: circuits.Passage, lease: timedelta) -> bool:
    delivery = deliveries.claim(WebhookDelivery.objects.select_related("endpoint"), delivery_id, lease=lease)
    if delivery is None:
        return False
    endpoint = delivery.endpoint

    def log(sent: Sent, duration_ms: int) -> None:
        delivery.last_status_code = sent.status_code
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=sent.status_code,
            response_excerpt=sent.excerpt[:RESPONSE_EXCERPT],
            error=sent.error,
            duration_ms=duration_ms,
        )

    sent = deliveries.attempt(
        delivery,
        post=lambda: send_signed(
            endpoint.url,
            secret=endpoint.secret,
            message_id=delivery.webhook_id,
            body=body_of(delivery),
            user_agent=USER_AGENT,
            allow_local=settings.CAPDESK_WEBHOOK_ALLOW_LOCAL,
            timeout=settings.CAPDESK_WEBHOOK_TIMEOUT_SECONDS,
            excerpt=RESPONSE_EXCERPT,
        ),
        active=endpoint.is_active,
        inactive="the endpoint is disabled",
        log=log,
        max_attempts=MAX_ATTEMPTS,
        cap=BACKOFF_CAP,
        passage=passage,
        also=("last_status_code",),
    )
    ok, status_code = sent.ok, sent.status_code
    if not ok:
        logger.warning(
            "notify.webhook_failed",
            extra={
                "webhook_id": delivery.webhook_id,
                "attempts": delivery.attempts,
                "status_code": status_code,
            },
        )
    return ok


def deliver_due(limit: int = 100, *, due_for: timedelta = timedelta(0)) -> int:
    """Deliveries whose retry time came ``due_for`` ago, or whose task was lost; how many were tried."""
    return deliveries.sweep_due(
        WebhookDelivery.objects.all(),
        deliver,
        target="endpoint_id",
        limit=limit,
        due_for=due_for,
        held_until=lambda endpoint_id: circuits.retry_at(circuit(endpoint_id)),
    )


def circuit(endpoint_id: object) -> str:
    """The name of an endpoint's circuit (core.circuits)."""
    return f"webhook:{endpoint_id}"


def hand_over_due() -> int:
    """The scheduler's webhook sweep: one ``deliver_due_webhooks`` task for the outbound worker; 1 if queued."""
    from capdesk.notify.tasks import deliver_due_webhooks

    return deliveries.hand_over_due(WebhookDelivery.objects.all(), deliver_due_webhooks)
