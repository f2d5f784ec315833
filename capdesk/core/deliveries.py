"""How every outgoing delivery is tried: claimed, sent with no lock held, then settled.

Four kinds use the claim and the conditional settle: the desk's own webhooks
(``notify.webhooks``), the status page's subscriber webhooks (``status.delivery``), the
outbox's email (``notify.actions``) and the SLA chat alerts (``sla.chat``). The two
webhook kinds also share the attempt loop (``attempt``): ``queued`` until a 2xx
(``delivered``) or until they run out of attempts (``failed``), one logged attempt each
time; email and chat alerts end ``sent`` instead.

A delivery is claimed by counting its attempt and pushing its next one past a lease
before the call, so two workers never make the same attempt and no row lock is held
while waiting on someone else's server. A failure is settled only while that claim
still holds, a success while the delivery is still queued (``save_claimed``): a worker
that outlived its lease (and so may have been overtaken by the sweep) does not write a
failure over what the later attempt found.

Retries, and deliveries whose task was lost, are swept by a task on the outbound queue
that the scheduler enqueues (``hand_over``), never by the scheduler itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core.outbound import Sent

if TYPE_CHECKING:
    from capdesk.core.circuits import Passage

QUEUED, DELIVERED, FAILED = "queued", "delivered", "failed"

logger = logging.getLogger(__name__)


class Claimed(Protocol):
    """What every claimed delivery carries: its row and the attempt it was claimed for."""

    pk: Any
    attempts: int


class Retried(Claimed, Protocol):
    """The fields both webhook delivery models carry."""

    state: str
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str


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
    taken = queryset.filter(pk=pk, state=QUEUED, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + lease
    )
    return queryset.filter(pk=pk).first() if taken else None


def save_claimed(delivery: Claimed, fields: Iterable[str], *, succeeded: bool) -> bool:
    """Write these fields of a claimed delivery, if its claim still holds; whether it did.

    A failure's claim holds while the row is still queued at the attempt this worker
    counted. It is lost when the lease ran out and the sweep claimed the row again
    (counting another attempt), or when that later attempt already settled it: the later
    attempt's outcome stands, and this one is only logged. A success is written while the
    row is still queued, whoever claimed it since: it was delivered, and a later attempt
    that fails afterwards must not queue it again. (A later attempt that failed for the
    last time before this success landed has already marked it failed: at least once.)
    """
    model = cast(type[models.Model], type(delivery))
    claimed = model._default_manager.filter(pk=delivery.pk, state=QUEUED)
    if not succeeded:
        claimed = claimed.filter(attempts=delivery.attempts)
    saved = claimed.update(**{field: getattr(delivery, field) for field in fields})
    if not saved:
        logger.warning(
            "deliveries.claim_lost",
            extra={"model": model._meta.label, "pk": delivery.pk, "attempts": delivery.attempts},
        )
    return bool(saved)


def attempt(
    delivery: Retried,
    *,
    post: Callable[[], Sent],
    active: bool,
    inactive: str,
    log: Callable[[Sent, int], object],
    max_attempts: int,
    cap: timedelta,
    passage: Passage,
    also: tuple[str, ...] = (),
) -> Sent:
    """Post a claimed delivery (or not, when its target was switched off) and settle what happened.

    ``inactive`` is the error recorded instead of posting. ``log(sent, duration_ms)``
    writes the attempt row, in the transaction that moves the delivery on; ``also`` names
    the fields it sets on the delivery itself. ``passage`` (``core.circuits``) learns
    whether the receiver answered (``Passage.settle``).
    """
    started = time.monotonic()
    sent = post() if active else Sent(None, "", inactive)
    duration_ms = int((time.monotonic() - started) * 1000)
    if active:
        passage.settle(status=sent.status_code, error=sent.error or f"HTTP {sent.status_code}")
    _settle(
        delivery,
        sent,
        log=lambda: log(sent, duration_ms),
        max_attempts=max_attempts,
        cap=cap,
        give_up=not active,
        also=also,
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
    also: tuple[str, ...],
) -> None:
    """Log the attempt and move the delivery on (``save_claimed``), in one transaction.

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
        save_claimed(
            delivery, ("state", "delivered_at", "last_error", "next_attempt_at", *also), succeeded=sent.ok
        )


def due_now(*, due_for: timedelta = timedelta(0)) -> Q:
    """Queued deliveries to try now: retries (and expired claims) whose time has come, and
    first attempts due for ``due_for`` (left to their own task until then)."""
    now = timezone.now()
    # The bounds the (state, next_attempt_at) index can use first, then the OR.
    return Q(state=QUEUED, next_attempt_at__lte=now) & (
        Q(attempts__gt=0) | Q(next_attempt_at__lte=now - due_for)
    )


def _oldest_due(queryset: models.QuerySet[D], due_for: timedelta) -> models.QuerySet[D]:
    return queryset.filter(due_now(due_for=due_for)).order_by("next_attempt_at", "pk")


def due(queryset: models.QuerySet[D], limit: int, *, due_for: timedelta = timedelta(0)) -> list[int]:
    """The ids of the deliveries to try now (``due_now``), oldest first."""
    return list(_oldest_due(queryset, due_for).values_list("pk", flat=True)[:limit])


# The sweeps: retries, and deliveries whose task was lost. The scheduler does not make
# them itself (behind a receiver that hangs, every periodic job would wait); it hands
# each to a task on the outbound queue (``hand_over``). The sweep task queues behind the
# tasks already there, like any other: ahead of them, sweeps that each wait on a receiver
# that hangs would keep new deliveries from ever reaching their own task.

# How long a first attempt is left to its own task before the sweep takes it: the sweep
# is for retries and lost tasks, not a second sender racing the first.
SWEEP_AFTER = timedelta(seconds=30)
# A sweep task still waiting this long: no worker is taking tasks from its queue, or all are busy.
SWEEP_WAITING_TOO_LONG = timedelta(minutes=5)
# A sweep starts no delivery after this many seconds; the next sweep goes on.
SWEEP_SECONDS = 60.0


def hand_over(sweep: Any, *, due: bool) -> int:
    """The scheduler's side of a sweep: the ``sweep`` task enqueued, if anything is ``due``; 1 if it was.

    Not while one is waiting: a stopped worker finds one sweep task, not one per
    interval, and the scheduler says so in its log (``deliveries.sweep_waiting``). (One
    handed over while another runs queues behind it: it finds only what is due by then.
    Task results pile up, and only waiting ones are indexed: running ones are not looked for.)
    """
    if not due:
        return 0
    now = timezone.now()
    waiting = (
        DBTaskResult.objects.filter(task_path=sweep.module_path, status=TaskResultStatus.READY)
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    if waiting is None:
        sweep.enqueue()
        return 1
    if waiting < now - SWEEP_WAITING_TOO_LONG:
        logger.warning(
            "deliveries.sweep_waiting",
            extra={
                "task": sweep.module_path,
                "queue": sweep.queue_name,
                "waiting_since": waiting.isoformat(),
            },
        )
    return 0


def hand_over_due(queryset: models.QuerySet[D], sweep: Any) -> int:
    """The scheduler's job for a kind of delivery: ``hand_over`` its sweep if one is to be tried now."""
    return hand_over(sweep, due=queryset.filter(due_now(due_for=SWEEP_AFTER)).exists())


def sweep_due(
    queryset: models.QuerySet[D],
    deliver: Callable[[int], bool],
    *,
    target: str | None,
    limit: int,
    due_for: timedelta,
    held_until: Callable[[object], datetime | None],
) -> int:
    """A sweep task's work: the deliveries to try now, oldest first; how many were tried.

    ``target`` names the field that says where a delivery goes (an endpoint, a
    subscriber); None when they all go to one place. A target that fails gets no other
    delivery in this sweep (``deliver_each``), and its due deliveries are put back to
    its next try, no attempt counted: the failed delivery's retry, or, when nothing was
    even tried, the time ``held_until(target)`` gives (its open circuit's, core.circuits).
    So the next sweeps reach the other targets (a dead endpoint's backlog, oldest first,
    would otherwise fill every sweep's ``limit``), and a receiver that hangs costs one
    timeout per retry, not one per delivery.
    """
    rows = _oldest_due(queryset, due_for).values_list("pk", target or "pk")[:limit]

    def target_ok(pk: int) -> bool:
        # A delivery that ended for good (its endpoint switched off) says nothing of its receiver.
        return deliver(pk) or not queryset.filter(pk=pk, state=QUEUED).exists()

    tried, failing = deliver_each([(pk, key if target else None) for pk, key in rows], target_ok)
    now = timezone.now()
    for key, failed_pk in failing.items():
        retries = [
            queryset.filter(pk=failed_pk).values_list("next_attempt_at", flat=True).first(),
            held_until(key),
        ]
        retry_at = max((at for at in retries if at is not None), default=None)
        if retry_at is not None and retry_at > now:
            waiting = queryset.filter(due_now(due_for=due_for))
            (waiting.filter(**{target: key}) if target else waiting).update(next_attempt_at=retry_at)
    return tried


def deliver_each(
    rows: Iterable[tuple[int, object]], deliver: Callable[[int], bool], *, seconds: float = SWEEP_SECONDS
) -> tuple[int, dict[object, int]]:
    """Deliver each ``(pk, target)`` in turn: how many were tried, and each failing target's failed delivery.

    A target whose delivery fails gets no other in this run. Nothing is started after
    ``seconds``.
    """
    stop_after = time.monotonic() + seconds
    failing: dict[object, int] = {}
    tried = 0
    for pk, target in rows:
        if target in failing:
            continue
        if tried and time.monotonic() > stop_after:
            break
        tried += 1
        if not deliver(pk):
            failing[target] = pk
    return tried, failing
