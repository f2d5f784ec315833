"""The one way in: ``receive`` stores a request durably; ``process`` turns it into ticket work.

Every channel adapter (portal form, dashboard token, SMTP, IMAP, provider webhook,
API) only unwraps bytes and calls ``receive``. Accepting means committed: an SMTP
250 or an HTTP 202 is answered only after ``receive`` returns.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from capdesk.directory.models import Person
from capdesk.intake import channels
from capdesk.intake.models import InboundRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Receipt:
    request: InboundRequest
    duplicate: bool


def content_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def receive(
    *,
    channel: str,
    raw: bytes,
    idempotency_key: str = "",
    claimed_sender: str = "",
    authenticated_person: Person | None = None,
) -> Receipt:
    """Store a request before anything else happens to it; a repeat delivery is counted, not stored twice."""
    if channel not in channels.registered():
        raise ValueError(f"no channel named {channel!r}")
    key = (idempotency_key.strip() or content_key(raw))[:255]
    from capdesk.intake.tasks import process_inbound

    try:
        with transaction.atomic():
            request = InboundRequest.objects.create(
                channel=channel,
                idempotency_key=key,
                raw=raw,
                claimed_sender=claimed_sender[:320],
                authenticated_person=authenticated_person,
            )
            # Enqueued in the same transaction: the task row exists iff the request does.
            process_inbound.enqueue(request.pk)
    except IntegrityError:
        with transaction.atomic():
            InboundRequest.objects.filter(channel=channel, idempotency_key=key).update(
                duplicates=F("duplicates") + 1
            )
            request = InboundRequest.objects.get(channel=channel, idempotency_key=key)
        logger.info("intake.duplicate", extra={"channel": channel, "request_id": request.pk})
        return Receipt(request, duplicate=True)
    logger.info("intake.received", extra={"channel": channel, "request_id": request.pk, "bytes": len(raw)})
    return Receipt(request, duplicate=False)


def process(request_id: int) -> bool:
    """Do the work for one stored request, once. Returns whether this call processed it.

    The row is locked for the duration, so two workers never process it twice; a
    request that cannot be handled is quarantined with its reason, never dropped.
    """
    with transaction.atomic():
        request = InboundRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.state != InboundRequest.State.PENDING:
            return False
        request.attempts += 1
        request.last_attempt_at = timezone.now()
        request.reason = ""  # a previous attempt's error; the handler may leave a note of its own
        try:
            handler = channels.handler_for(request.channel)
            with transaction.atomic():  # a savepoint: a failed handler leaves no half-made ticket
                ticket = handler(request)
        except channels.Unprocessable as exc:
            _quarantine(request, str(exc))
            return True
        except Exception as exc:
            logger.exception("intake.handler_failed", extra={"request_id": request.pk})
            if request.attempts >= MAX_ATTEMPTS:
                _quarantine(
                    request, f"failed {request.attempts} times; last error {type(exc).__name__}: {exc}"
                )
            else:
                request.reason = f"{type(exc).__name__}: {exc}"[:2000]
                request.save()
            return True
        request.state = InboundRequest.State.PROCESSED
        request.processed_at = timezone.now()
        request.ticket = ticket
        request.save()
        return True


def _quarantine(request: InboundRequest, reason: str) -> None:
    request.state = InboundRequest.State.QUARANTINED
    request.reason = reason[:2000]
    request.processed_at = timezone.now()
    request.save()
    logger.warning("intake.quarantined", extra={"request_id": request.pk, "channel": request.channel})


@transaction.atomic
def release_from_quarantine(request_id: int) -> None:
    """An admin fixed the cause (a directory entry, a setting): try the request again."""
    from capdesk.intake.tasks import process_inbound

    updated = InboundRequest.objects.filter(pk=request_id, state=InboundRequest.State.QUARANTINED).update(
        state=InboundRequest.State.PENDING, attempts=0, processed_at=None
    )
    if updated:
        process_inbound.enqueue(request_id)


@transaction.atomic
def discard_quarantined(request_id: int, *, by: AbstractBaseUser) -> bool:
    """An admin decided a quarantined request needs no processing; the bytes stay, for the record.

    Returns whether it was quarantined (and is now discarded). Audited in the log and as
    an admin history entry on the request, naming who discarded it.
    """
    updated = InboundRequest.objects.filter(pk=request_id, state=InboundRequest.State.QUARANTINED).update(
        state=InboundRequest.State.DISCARDED, processed_at=timezone.now()
    )
    if not updated:
        return False
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=InboundRequest.objects.filter(pk=request_id),
        action_flag=CHANGE,
        change_message="Discarded from quarantine",
        single_object=True,
    )
    logger.info("intake.discarded", extra={"request_id": request_id, "user_id": by.pk})
    return True


def retry_stalled(older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> int:
    """Scheduler sweep: re-run pending requests whose task was lost (a worker killed mid-task).

    ``process`` is idempotent, so running a request that is merely slow is harmless.
    """
    cutoff = timezone.now() - older_than
    stalled = list(
        InboundRequest.objects.filter(state=InboundRequest.State.PENDING, received_at__lt=cutoff)
        .exclude(last_attempt_at__gte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in stalled:
        process(pk)
    return len(stalled)
