"""The retry loop every outgoing webhook shares: claim a due delivery, then make and settle its attempt.

Two senders use it: the desk's own webhooks (``notify``) and the status page's
subscriber webhooks (``status``); the outbox's email (``notify.actions.deliver``) and
the SLA chat alerts (``sla.chat``) are claimed the same way. Their rows differ (an endpoint or a subscriber, a
response excerpt or not) but the life of a delivery is the same: ``queued`` until a 2xx
(``delivered``) or until it runs out of attempts (``failed``), one logged attempt each
time. A delivery is claimed by pushing its next attempt into the future before the
HTTP call, so two workers never post the same attempt and no row lock is held while
waiting on someone else's server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from capdesk.core.outbound import Sent

QUEUED, DELIVERED, FAILED = "queued", "delivered", "failed"


class Retried(Protocol):
    """The fields both delivery models carry."""

    attempts: int
    state: str
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str

    def save(self, *args: Any, **kwargs: Any) -> None: ...


D = TypeVar("D", bound=models.Model)


def backoff(attempts: int, *, cap: timedelta) -> timedelta:
    """30 s, 1 min, 2 min ... doubling per attempt, never longer than ``cap``."""
    return min(cap, timedelta(seconds=30 * 2 ** (attempts - 1)))


def claim(queryset: models.QuerySet[D], pk: int, *, lease: timedelta) -> D | None:
    """Take one queued delivery whose time has come, counting the attempt; None if someone else has it.

    The lease (the sender's timeout and a margin) is how long the attempt may take before
    the retry sweep may try again, should this worker die mid-post. One conditional UPDATE
    takes it: a second worker's waits for the first's, finds the attempt pushed past the
    lease, and changes nothing.
    """
    now = timezone.now()
    taken = queryset.model._default_manager.filter(pk=pk, state=QUEUED, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + lease
    )
    return queryset.filter(pk=pk).first() if taken else None


def attempt(
    delivery: Retried,
    *,
    post: Callable[[], Sent],
    active: bool,
    inactive: str,
    log: Callable[[Sent, int], object],
    max_attempts: int,
    cap: timedelta,
) -> Sent:
    """Post a claimed delivery (or not, when its target was switched off) and settle what happened.

    ``inactive`` is the error recorded instead of posting. ``log(sent, duration_ms)``
    writes the attempt row, in the transaction that moves the delivery on.
    """
    started = time.monotonic()
    sent = post() if active else Sent(None, "", inactive)
    duration_ms = int((time.monotonic() - started) * 1000)
    _settle(
        delivery,
        sent,
        log=lambda: log(sent, duration_ms),
        max_attempts=max_attempts,
        cap=cap,
        give_up=not active,
    )
    return sent


def _settle(
    delivery: Retried,
    sent: Sent,
    *,
    log: Callable[[], object],
    max_attempts: int,
    cap: timedelta,
    give_up: bool,
) -> None:
    """Log the attempt and move the delivery on, in one transaction.

    A failure is retried with backoff until ``max_attempts``; ``give_up`` ends it at once
    (the endpoint or subscriber was switched off).
    """
    with transaction.atomic():
        log()
        if sent.ok:
            delivery.state = DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = sent.error or f"HTTP {sent.status_code}"
            if give_up or delivery.attempts >= max_attempts:
                delivery.state = FAILED
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts, cap=cap)
        delivery.save()


def due(queryset: models.QuerySet[D], limit: int) -> list[int]:
    """The ids of queued deliveries whose retry time has come, oldest first."""
    return list(
        queryset.filter(state=QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
