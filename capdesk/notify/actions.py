"""Queue and deliver outbound email. Queuing happens inside the caller's transaction."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from capdesk.core import appends, deliveries
from capdesk.core.per_transaction import PerTransaction
from capdesk.notify.models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def queue_email(
    *,
    to: str,
    subject: str,
    body_text: str,
    kind: str,
    body_html: str = "",
    headers: dict[str, str] | None = None,
    ticket_id: int | None = None,
    automatic: bool = False,
) -> OutboundEmail | None:
    """Write the email to the outbox; the worker delivers it once the transaction commits.

    ``automatic`` marks a reply nobody wrote by hand: those are rate-limited per
    address, so a mail loop or a flood of forged requests cannot make the desk
    spray mail (RFC 3834). Returns None when the limit suppressed the email.
    """
    if automatic and not automatic_reply_allowed(to):
        logger.info("notify.auto_reply_suppressed", extra={"kind": kind, "ticket_id": ticket_id})
        return None
    all_headers = {"Message-ID": make_msgid(domain=settings.CAPDESK_SUPPORT_ADDRESS.rpartition("@")[2])}
    all_headers.update(headers or {})
    # Inserted with the rest of a write batch, if one is open (core.appends): its pk is
    # set by the commit that hands it to delivery.
    email = appends.save(
        OutboundEmail(
            to=to,
            subject=subject[:300],
            body_text=body_text,
            body_html=body_html,
            headers=all_headers,
            kind=kind,
            ticket_id=ticket_id,
            automatic=automatic,
        )
    )
    if automatic:
        sent = _auto_replies_sent.get()
        sent[to] = sent.get(to, 0) + 1
    transaction.on_commit(lambda: _delivery_committed(email.pk))
    return email


# The emails committed inside ``deliveries_batched``, per thread; None outside one.
_batched = threading.local()


@contextmanager
def deliveries_batched() -> Iterator[None]:
    """Inside, the emails queued by transactions that commit go to one delivery task at the end, not one task each.

    Intake writes up to a batch of tickets in one transaction, most with a standard reply:
    a task per email cost the worker a claim and a result write each (about 2 ms on
    SQLite). Each email is still claimed, sent and settled on its own (``deliver``); one whose
    task is lost (a crash before the end of the block) is sent by the ``deliver_due`` sweep.
    """
    if getattr(_batched, "ids", None) is not None:  # nested: the outermost block hands them over
        yield
        return
    ids: list[int] = []
    _batched.ids = ids
    try:
        yield
    finally:
        _batched.ids = None
        if ids:
            from capdesk.notify.tasks import deliver_emails

            deliver_emails.enqueue(ids)


def _delivery_committed(email_id: int) -> None:
    from capdesk.notify.tasks import deliver_email

    ids: list[int] | None = getattr(_batched, "ids", None)
    if ids is None:
        deliver_email.enqueue(email_id)
    else:
        ids.append(email_id)


AUTO_REPLY_WINDOW = timedelta(hours=24)

# Automatic replies queued to each address within the window, as read (and then counted on)
# in the current write transaction: intake answers a batch of requests in one.
_auto_replies_sent: PerTransaction[dict[str, int]] = PerTransaction(dict)


def expect_automatic_replies(addresses: Iterable[str]) -> None:
    """Read, in one query, the automatic replies already sent to these addresses.

    For a caller about to answer several of them in the current transaction: each
    ``queue_email(automatic=True)`` then counts on what was read instead of counting the
    outbox again. The counts are kept with the transaction's list of on-commit callbacks,
    which a savepoint rollback replaces: after one, the outbox is counted again.
    """
    _replies_sent(addresses)


def automatic_reply_allowed(to: str) -> bool:
    return _replies_sent([to])[to] < settings.CAPDESK_AUTO_REPLIES_PER_DAY


def _replies_sent(addresses: Iterable[str]) -> dict[str, int]:
    """The automatic replies sent to each address in the window, read for those not yet known."""
    sent = _auto_replies_sent.get()
    wanted = {a for a in addresses if a not in sent}
    if wanted:
        window_start = timezone.now() - AUTO_REPLY_WINDOW
        counted = (
            OutboundEmail.objects.filter(to__in=wanted, automatic=True, created_at__gte=window_start)
            .values_list("to")
            .annotate(n=Count("pk"))
        )
        sent.update(dict.fromkeys(wanted, 0))
        sent.update(dict(counted))
        # Queued in this batch but not inserted yet (core.appends): read again after a savepoint rollback.
        for email in appends.pending(OutboundEmail):
            if email.automatic and email.to in wanted:
                sent[email.to] += 1
    return sent


BACKOFF_CAP = timedelta(hours=1)


def _lease() -> timedelta:
    """How long a claimed email is its worker's to send before the sweep may try it again.

    Far longer than a send can take: Django's SMTP backend applies ``EMAIL_TIMEOUT`` to
    each of a session's socket operations (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA).
    """
    return timedelta(seconds=10 * settings.EMAIL_TIMEOUT + 60)


# A delivery task takes up to this many other due emails into its connection. Replies are
# queued as requests are decided, one task each when intake keeps up; when they come faster
# than a session per email can send them (a slow relay), the backlog goes out in a few
# sessions. Their own tasks then find them sent.
TAKE_ALONG = 50


def deliver_many(email_ids: Iterable[int], *, take_along: int = 0) -> list[bool]:
    """Send queued emails over one connection to the transport; whether each was sent, in order.

    One SMTP session (or, with an API provider's backend, one HTTP session) for all of
    them: to a relay in another region, connecting (TCP, EHLO, STARTTLS, AUTH) costs more
    than the message. Each email is still claimed, sent and settled on its own (``deliver``).
    ``take_along`` other due emails, oldest first, are sent after these in the same connection.
    """
    wanted = list(email_ids)
    others = (
        [pk for pk in _due(take_along + len(wanted)) if pk not in wanted][:take_along] if take_along else []
    )
    connection = get_connection()
    with contextlib.suppress(Exception):
        # A relay that refuses the connection: each send below tries again and records why.
        connection.open()
    try:
        return [deliver(email_id, connection=connection) for email_id in [*wanted, *others]][: len(wanted)]
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def _due(limit: int) -> list[int]:
    """Queued emails whose (next) attempt is due, oldest first."""
    return list(
        OutboundEmail.objects.filter(state=OutboundEmail.State.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver(email_id: int, *, connection: BaseEmailBackend | None = None) -> bool:
    """Send one queued email; on failure schedule a retry with backoff. Returns whether it was sent.

    The email is claimed first, in a short transaction of its own (its attempt counted, its
    next attempt pushed past the lease), then sent with no transaction open, then settled:
    no lock is held while a mail server answers. On SQLite a lock held across the send
    would stop every write of the desk (the SMTP receiver's included) for as long as the
    server took. Another worker, or the ``deliver_due`` sweep, skips a claimed email; one
    whose worker died mid-send is tried again when the lease runs out. That is the same
    at-least-once as a commit lost just after a send, which no outbox can rule out.
    """
    email = deliveries.claim(OutboundEmail.objects.all(), email_id, lease=_lease())
    if email is None:
        return False
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=email.headers,
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport failure is retried, never lost
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()  # perhaps broken: the next email's send opens a new one
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= MAX_ATTEMPTS:
            email.state = OutboundEmail.State.FAILED
        email.next_attempt_at = timezone.now() + deliveries.backoff(email.attempts, cap=BACKOFF_CAP)
        email.save(update_fields=["last_error", "state", "next_attempt_at"])
        logger.warning("notify.send_failed", extra={"email_id": email.pk, "attempts": email.attempts})
        return False
    email.state = OutboundEmail.State.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.save(update_fields=["state", "sent_at", "last_error"])
    return True


def deliver_due(limit: int = 100) -> int:
    """Scheduler sweep: send queued email whose retry time has come. Returns how many were tried."""
    due = _due(limit)
    deliver_many(due)
    return len(due)
