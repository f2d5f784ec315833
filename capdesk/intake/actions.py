"""The one way in: ``receive`` stores a request durably; ``process`` turns it into ticket work.

Every channel adapter (portal form, dashboard token, SMTP, IMAP, provider webhook,
API) only unwraps bytes and calls ``receive``. Accepting means committed: an SMTP
250 or an HTTP 202 is answered only after ``receive`` returns.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation

from capdesk.core import appends
from capdesk.directory.models import Person
from capdesk.intake import channels
from capdesk.intake.mail_parsing import read_identity
from capdesk.intake.models import InboundRequest
from capdesk.notify.actions import deliveries_batched, queue_email, render_email
from capdesk.tickets import mailboxes
from capdesk.tickets.actions import attachment_limit

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
    subject: str = "",
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
                subject=subject[:255],
            )
            # Enqueued in the same transaction: the task row exists iff the request does.
            process_inbound.enqueue(request.pk)
    except IntegrityError:
        return _repeat(channel, key)
    logger.info("intake.received", extra={"channel": channel, "request_id": request.pk, "bytes": len(raw)})
    return Receipt(request, duplicate=False)


def _repeat(channel: str, key: str) -> Receipt:
    """A delivery of a request already stored under ``key``: counted on it, not stored again."""
    with transaction.atomic():
        InboundRequest.objects.filter(channel=channel, idempotency_key=key).update(
            duplicates=F("duplicates") + 1
        )
        request = InboundRequest.objects.get(channel=channel, idempotency_key=key)
    logger.info("intake.duplicate", extra={"channel": channel, "request_id": request.pk})
    return Receipt(request, duplicate=True)


def quarantine_unstored(channel: str, raw: bytes, reason: str) -> Receipt:
    """Keep bytes that ``receive`` failed on, quarantined with why, for an admin; a repeat is counted.

    Bad input loses nothing: a channel that cannot store a message (an unknown bug in
    ``receive``) still keeps it, keyed by its content, and takes it off the server only
    after this commits. Nothing is enqueued: an admin releases it once the cause is fixed.
    """
    if channel not in channels.registered():
        raise ValueError(f"no channel named {channel!r}")
    key = content_key(raw)
    try:
        with transaction.atomic():
            request = InboundRequest.objects.create(
                channel=channel,
                idempotency_key=key,
                raw=raw,
                state=InboundRequest.State.QUARANTINED,
                reason=reason[:2000],
                cause=InboundRequest.Cause.FAILED,
                subject=read_identity(raw).subject if channel == "email" else "",
                processed_at=timezone.now(),
            )
    except IntegrityError:
        return _repeat(channel, key)
    logger.warning("intake.quarantined", extra={"request_id": request.pk, "channel": channel})
    return Receipt(request, duplicate=False)


def process(request_id: int, *, with_pending: int = 0, take_over: bool = False) -> bool:
    """Do the work for one stored request, once. Returns whether this call processed it."""
    return request_id in process_batch(request_id, with_pending=with_pending, take_over=take_over)


def process_batch(request_id: int, *, with_pending: int = 0, take_over: bool = False) -> list[int]:
    """Do the work for one stored request, once, and for up to ``with_pending`` others.

    Returns the ids of the requests this call processed (ran, whatever the outcome), in
    the order it did: empty when ``request_id`` was no longer pending, or another worker
    had reserved it for a batch it is preparing (and will write).

    Two phases, so SQLite's single write lock (which ``receive`` needs too) is held only
    for the writes: the channel's read-only ``prepare`` (parse, authenticate, classify,
    decide) runs first, without a transaction; then, in one write transaction, the row
    is locked, checked to be still pending, and the channel's write step runs. Two
    workers never process a request twice; one that cannot be handled is quarantined
    with its reason, never dropped.

    ``with_pending`` takes up to that many other pending requests (oldest first) along
    into the same two phases: one classifier call and one commit for all of them. Each
    runs in its own savepoint, so one that fails leaves the others' work intact. A batch
    is reserved before it is prepared, so a second worker takes the next requests along,
    not the same ones. A request another worker reserved is left to it, with a task to
    run when the reservation lapses (in case that worker died); ``take_over`` (the
    stalled-request sweep) does not wait for that.
    """
    pending = InboundRequest.State.PENDING
    batch = list(InboundRequest.objects.filter(pk=request_id, state=pending))
    if not batch:
        return []
    if _preparing_elsewhere(batch[0]) and not take_over:
        _run_when_free(request_id)
        return []
    if with_pending:
        along = list(
            InboundRequest.objects.filter(state=pending)
            .filter(_not_preparing())
            .exclude(pk=request_id)
            .order_by("received_at", "pk")[:with_pending]
        )
        if along:
            # Only now is there a batch that another worker could also be taking along.
            reserved = _reserve(request_id, [r.pk for r in along])
            if not reserved:  # another worker reserved our own request meanwhile
                _run_when_free(request_id)
                return []
            batch += [r for r in along if r.pk in reserved]
    batch.sort(key=_arrival)
    done: list[int] = []
    try:
        steps = dict(zip([r.pk for r in batch], channels.prepare(batch), strict=True))
        raw = {r.pk: r.raw for r in batch}
        try:
            done = _write(request_id, steps, raw, defer_appends=True)
        except DatabaseError:
            # The database refused a row the batch appends at its end (a value too long for
            # a PostgreSQL column, say): the whole write is rolled back. Write it again with
            # every row inserted in its own request's savepoint, so only that request fails,
            # counts an attempt and is quarantined in the end, as it would be on its own.
            logger.warning("intake.batch_rewritten", extra={"request_id": request_id}, exc_info=True)
            done = _write(request_id, steps, raw, defer_appends=False)
    finally:
        from capdesk.intake.tasks import reconcile_taken_along

        reconcile_taken_along([r.pk for r in batch if r.pk != request_id])
    return done


def _write(
    request_id: int,
    steps: dict[int, channels.Prepared],
    raw: dict[int, bytes | memoryview],
    *,
    defer_appends: bool,
) -> list[int]:
    """The write phase of a prepared batch, in one transaction; the ids it processed, in order."""
    pending = InboundRequest.State.PENDING
    # The batch's standard replies go to the worker as one delivery task, after the commit.
    # What the batch only appends (audit rows, decisions, replies and their outbox rows) is
    # inserted together at its end (core.appends), unless ``defer_appends`` is off.
    with deliveries_batched(), transaction.atomic(), appends.batched(defer=defer_appends):
        # Our own request first, waiting for a worker that holds it; then the others only if
        # free (SKIP LOCKED on PostgreSQL), so two batching workers never wait on each other.
        # The stored bytes never change, so they are not read again under the lock.
        rows = InboundRequest.objects.defer("raw")
        own = rows.select_for_update().filter(pk=request_id, state=pending).first()
        if own is None:
            return []
        locked = [own]
        others = [pk for pk in steps if pk != request_id]
        if others:
            locked += rows.select_for_update(skip_locked=True).filter(pk__in=others, state=pending)
        done = sorted(locked, key=_arrival)
        # The rows of the requests that ended (processed or quarantined), written together
        # when the batch's work is done, in the same transaction; at once when writing again.
        ended: list[InboundRequest] | None = [] if defer_appends else None
        for request in done:
            request.raw = raw[request.pk]
            _run(request, steps[request.pk], ended)
        if ended:
            _save_ended(ended)
    return [request.pk for request in done]


# How long a batch's requests stay reserved for the worker preparing them: far longer than
# preparing a batch takes (well under a second), short enough that the tasks waiting for
# a dead worker's requests (_run_when_free) take them up soon.
PREPARING_FOR = timedelta(seconds=30)


def _not_preparing() -> Q:
    return Q(preparing_until__isnull=True) | Q(preparing_until__lt=timezone.now())


def _run_when_free(request_id: int) -> None:
    """A task for a request another worker reserved, to run when the reservation lapses.

    That worker writes it and, when it does, records this task as done with the others
    its batch took along (``tasks.reconcile_taken_along``); if it died, this task
    runs the request half a minute later instead of leaving it to the stalled sweep.
    """
    from capdesk.intake.tasks import process_inbound

    until = (
        InboundRequest.objects.filter(pk=request_id, state=InboundRequest.State.PENDING)
        .values_list("preparing_until", flat=True)
        .first()
    )
    if until is not None:
        process_inbound.using(run_after=until).enqueue(request_id)


def _preparing_elsewhere(request: InboundRequest) -> bool:
    """Another worker reserved the request for a batch it is preparing; it will write it too."""
    return request.preparing_until is not None and request.preparing_until >= timezone.now()


def _reserve(request_id: int, along: list[int]) -> set[int]:
    """Reserve ``request_id`` and those of ``along`` that nobody is preparing, for this worker.

    Without it two workers under a backlog took the same oldest requests along and both
    parsed, classified and decided them, though only one could write them (exactly once
    holds regardless: the write phase re-checks each row under its lock). One short write
    transaction per batch; rows another worker is reserving are skipped on PostgreSQL,
    and SQLite runs one such transaction at a time. Nothing is reserved when another
    worker already has ``request_id``: it writes that one, and none of ours may be left
    reserved by a batch that will not run.
    """
    pending = InboundRequest.objects.filter(state=InboundRequest.State.PENDING).filter(_not_preparing())
    with transaction.atomic():
        # Our own row waits for whoever holds it (another worker reserving, for a moment):
        # skipping it would end our task with the request reserved by nobody. Nothing else
        # is held while waiting, so this cannot deadlock.
        if not list(pending.select_for_update().filter(pk=request_id).values_list("pk", flat=True)):
            return set()
        free = {request_id}
        free.update(
            pending.select_for_update(skip_locked=True).filter(pk__in=along).values_list("pk", flat=True)
        )
        InboundRequest.objects.filter(pk__in=free).update(preparing_until=timezone.now() + PREPARING_FOR)
    return free


def _arrival(request: InboundRequest) -> tuple[datetime, int]:
    # Arrival order, so a reply is written after the request it answers when both are here.
    return (request.received_at, request.pk)


def _run(request: InboundRequest, step: channels.Prepared, ended: list[InboundRequest] | None) -> None:
    """The write phase for one locked, pending request.

    Its row, once processed or quarantined, is added to ``ended`` for the caller to save
    with the batch's others (``_save_ended``), or saved at once when ``ended`` is None.
    A failed attempt that will be retried is saved at once, with only its attempt's fields.
    """
    request.attempts += 1
    request.last_attempt_at = timezone.now()
    request.reason = ""  # a previous attempt's error; the handler may leave a note of its own
    request.cause = ""
    request.preparing_until = None  # the attempt ends here, whatever its outcome
    try:
        if isinstance(step, Exception):
            raise step
        # A savepoint: a failed handler leaves no half-made ticket, nor rows kept to append.
        with transaction.atomic(), appends.batched():
            ticket = step(request)
    except channels.Unprocessable as exc:
        _quarantine(request, str(exc) + _told(request, exc), exc.cause, ended)
        return
    except Exception as exc:
        logger.exception("intake.handler_failed", extra={"request_id": request.pk})
        if request.attempts >= MAX_ATTEMPTS:
            reason = f"failed {request.attempts} times; last error {type(exc).__name__}: {exc}"
            _quarantine(request, reason, InboundRequest.Cause.FAILED, ended)
        else:
            request.reason = f"{type(exc).__name__}: {exc}"[:2000]
            request.save(update_fields=["attempts", "last_attempt_at", "reason", "preparing_until"])
        return
    request.state = InboundRequest.State.PROCESSED
    request.processed_at = timezone.now()
    request.ticket = ticket
    _ended(request, ended)


# What processing may change on the row: saving only these never rewrites the stored bytes.
_PROCESSED_FIELDS = [
    "attempts",
    "last_attempt_at",
    "reason",
    "cause",
    "sender_told_at",
    "state",
    "processed_at",
    "ticket",
    "sender_verdict",
    "sender_auth_reason",
    "preparing_until",
]


def _ended(request: InboundRequest, ended: list[InboundRequest] | None) -> None:
    if ended is None:
        request.save(update_fields=_PROCESSED_FIELDS)
    else:
        ended.append(request)


def _save_ended(requests: list[InboundRequest]) -> None:
    """``save(update_fields=_PROCESSED_FIELDS)`` for each request, as one statement run for all.

    One UPDATE per request was the largest single statement count of a batch (one per
    email). ``executemany`` prepares it once; ``bulk_update``'s CASE per field and row
    cost more to build than the UPDATEs it replaced. No signal listens to these rows.
    """
    using = router.db_for_write(InboundRequest)
    connection = connections[using]
    meta = InboundRequest._meta
    fields = [field for field in meta.concrete_fields if field.name in _PROCESSED_FIELDS]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - the model's own names
    params = [
        [field.get_db_prep_save(getattr(request, field.attname), connection) for field in fields]
        + [request.pk]
        for request in requests
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        # As save(update_fields=...) does: a row that is gone must not pass silently
        # (it cannot be: the batch holds each row's lock).
        if cursor.rowcount != len(requests):
            raise DatabaseError(f"{len(requests) - cursor.rowcount} of the batch's requests were not saved")


def _quarantine(request: InboundRequest, reason: str, cause: str, ended: list[InboundRequest] | None) -> None:
    request.state = InboundRequest.State.QUARANTINED
    request.reason = reason[:2000]
    request.cause = cause
    request.processed_at = timezone.now()
    _ended(request, ended)
    logger.warning("intake.quarantined", extra={"request_id": request.pk, "channel": request.channel})


def _told(request: InboundRequest, exc: channels.Unprocessable) -> str:
    """Tell the sender why their request opened nothing, once; the note the quarantine's reason gets.

    Processing a request again (an admin's "Process again") must not tell them a second
    time: the notice would say nothing new and use up one of their automatic replies of
    the day, which the answer to their next email may need.
    """
    if not exc.tell:
        return ""
    if request.sender_told_at is not None:
        return "; the sender was told when it first arrived"
    if mailboxes.is_desk_address(exc.tell) or mailboxes.is_no_reply(exc.tell):
        return "; the sender was not told (a mailbox nobody reads)"
    if not _tell_not_accepted(exc):
        return "; the sender was not told (automatic reply limit)"
    request.sender_told_at = timezone.now()
    return "; the sender was told"


def _tell_not_accepted(exc: channels.Unprocessable) -> bool:
    """Tell the sender why their request opened nothing, when they can fix it (a file too large,
    an empty email). Returns whether the notice was queued.

    An automatic reply: rate-limited per address and marked Auto-Submitted (RFC 3834), so a
    forged or looping sender cannot make the desk spray notices; ``_told`` keeps it from the
    desk's own addresses and from mailboxes nobody reads (``tickets.mailboxes``).
    """
    # The reason in the notice's language; the quarantine keeps the admins' English one.
    with translation.override(exc.language):
        reason = exc.explain() if exc.explain else str(exc)
        max_size = attachment_limit()
    context = {
        "reason": reason,
        # The limits are recalled when a file was too large or one too many.
        "limits": exc.cause == InboundRequest.Cause.ATTACHMENTS,
        "max_files": settings.CAPDESK_MAX_ATTACHMENTS,
        "max_size": max_size,
    }
    subject, body = render_email("intake/email/not_accepted", context, language=exc.language)
    headers = {"Auto-Submitted": "auto-replied"}
    if exc.answering:  # the notice answers the email, so the sender's client shows them together
        headers.update({"In-Reply-To": exc.answering, "References": exc.answering})
    email = queue_email(
        to=exc.tell,
        subject=subject,
        body_text=body,
        kind="intake.not_accepted",
        headers=headers,
        automatic=True,
    )
    return email is not None


@transaction.atomic
def release_from_quarantine(request_id: int) -> bool:
    """An admin fixed the cause (a directory entry, a setting, a bug): try the request again.

    Returns whether it was quarantined (and is now pending, with a task). A sender already
    told that it was not accepted is not told again (``_told``).
    """
    return _requeue(InboundRequest.objects.filter(pk=request_id), request_id)


@transaction.atomic
def accept_without_files_over_limit(request_id: int) -> bool:
    """An admin accepts an email quarantined for its attachments, without the files over the limits.

    Processing it again could never work (a file does not shrink); this processes it with
    those files left out, and the agents and the customer are told which (intake.files_left_out).
    Returns whether it was such a quarantined email (and is now pending, with a task).
    """
    rows = InboundRequest.objects.filter(
        pk=request_id, channel="email", cause=InboundRequest.Cause.ATTACHMENTS
    )
    return _requeue(rows, request_id, without_files_over_limit=True)


def _requeue(rows: QuerySet[InboundRequest], request_id: int, **changes: bool) -> bool:
    from capdesk.intake.tasks import process_inbound

    updated = rows.filter(state=InboundRequest.State.QUARANTINED).update(
        state=InboundRequest.State.PENDING, attempts=0, processed_at=None, **changes
    )
    if updated:
        process_inbound.enqueue(request_id)
    return bool(updated)


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
        # Reserved by a worker that has not written it since: it died. Exactly once still
        # holds if it did not; the write phase re-checks the row under its lock.
        process(pk, take_over=True)
    return len(stalled)
