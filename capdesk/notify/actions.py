"""Queue and deliver outbound email. Queuing happens inside the caller's transaction."""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from email.utils import make_msgid
from functools import partial
from typing import Any

from anymail.exceptions import AnymailRecipientsRefused  # type: ignore[import-untyped]
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Count
from django.template import Context, engines
from django.template.backends.django import DjangoTemplates
from django.utils import timezone, translation

from capdesk.core import appends, circuits, deliveries
from capdesk.core.per_transaction import PerTransaction
from capdesk.notify import dkim_signing, suppressions, verp
from capdesk.notify.models import OutboundEmail, Suppression

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def render_email(template: str, context: Mapping[str, Any], *, language: str = "") -> tuple[str, str]:
    """The subject (one line) and text body of an email: ``<template>_subject.txt`` and
    ``<template>.txt``, rendered in ``language`` when one is given, else in the active one.

    Plain text: nothing is HTML-escaped ("Build & deploy", not "Build &amp; deploy"), whether
    or not the template says ``{% autoescape off %}``.
    """
    with translation.override(language) if language else contextlib.nullcontext():
        subject = _plain_text(f"{template}_subject.txt", context).strip()
        body = _plain_text(f"{template}.txt", context)
    return subject, body


def _plain_text(name: str, context: Mapping[str, Any]) -> str:
    # The engine itself: the backend's render() always autoescapes.
    backend = engines["django"]
    assert isinstance(backend, DjangoTemplates)
    return backend.engine.get_template(name).render(Context(dict(context), autoescape=False))


def new_message_id() -> str:
    """A Message-ID for an email of the desk; a caller that records it first passes it to ``queue_email``."""
    return make_msgid(domain=settings.CAPDESK_SUPPORT_ADDRESS.rpartition("@")[2])


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
    attachment_ids: Iterable[int] = (),
) -> OutboundEmail | None:
    """Write the email to the outbox; the worker delivers it once the transaction commits.

    ``automatic`` marks a reply nobody wrote by hand: those are rate-limited per
    address, so a mail loop or a flood of forged requests cannot make the desk
    spray mail (RFC 3834). Returns None when the limit suppressed the email.
    """
    if automatic and not automatic_reply_allowed(to):
        logger.info("notify.auto_reply_suppressed", extra={"kind": kind, "ticket_id": ticket_id})
        return None
    all_headers = {"Message-ID": new_message_id()}
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
            attachment_ids=list(attachment_ids),
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

    Django's SMTP backend applies ``EMAIL_TIMEOUT`` to each socket operation of a session
    (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, about a dozen round trips with TLS
    and AUTH), not to the whole: the lease outlasts a session whose every step is slow,
    though not one whose every step takes nearly the whole timeout. An email whose send
    outlives it may be sent twice (at least once, as with a commit lost after a send).
    """
    return timedelta(seconds=10 * settings.EMAIL_TIMEOUT + 60)


def _budget() -> float:
    """Seconds after which a batch starts no further email: what is left is the sweep's.

    With the last send on top (about a dozen socket steps of at most ``EMAIL_TIMEOUT``
    each), a task takes at most about 16 x ``EMAIL_TIMEOUT``: 8 minutes at the default
    30 s, 16 at the largest (60), inside ``core.jobs.ABANDONED_AFTER``. An API provider's
    anymail backend waits ``EMAIL_TIMEOUT`` per request too (settings: ``REQUESTS_TIMEOUT``).
    """
    return 4.0 * settings.EMAIL_TIMEOUT


# A delivery task takes up to this many other due emails into its connection. Replies are
# queued as requests are decided, one task each when intake keeps up; when they come faster
# than a session per email can send them (a slow relay), the backlog goes out in a few
# sessions, and the tasks of the emails taken along find nothing left to send.
TAKE_ALONG = 50


def _refused_for_good(exc: Exception) -> bool:
    """Whether the transport refused this one message's recipient for good (and only it).

    Only a refusal of the address itself: a 5xx at RCPT whose enhanced code is 5.1.x (no
    such mailbox, a bad address, RFC 3463) for every recipient, or a provider refusing
    the recipients (a bad or suppressed address). Such an email fails at once, no retry
    would fare better, and the batch goes on to the next.

    Anything else is taken as the transport failing, for the emails after it too, and is
    retried with backoff: a refused or dropped connection, a timeout, a 4xx anywhere (how
    relays throttle a session), and a 5xx that may be about the sender or the account
    rather than this message (every email of the desk has the same sender: "Email address
    is not verified", "Relay access denied", DMARC, SendAsDenied, a provider's 4xx API
    error). An operator can fix those; failing every email for good would lose the outbox.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients.values())
        return bool(refusals) and all(_bad_address(code, text) for code, text in refusals)
    return isinstance(exc, AnymailRecipientsRefused)


# RFC 3463's permanent refusals of the destination address: bad mailbox (5.1.1), bad
# system (5.1.2), bad syntax (5.1.3), moved (5.1.6), no mail accepted (5.1.10, RFC 7505).
# Not 5.1.0 (unspecified), 5.1.7 and 5.1.8 (the sender's address: Postfix refuses a
# sender at RCPT by default).
_BAD_DESTINATION = re.compile(r"5\.1\.(?:1|2|3|6|10)(?![.\d])")


def _bad_address(code: int, text: bytes | str) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return 500 <= code < 600 and _BAD_DESTINATION.match(text.lstrip()) is not None


def _too_large(exc: Exception) -> bool:
    """Whether the relay refused the message for its size (552, or 5.3.4, RFC 3463), at MAIL or after DATA."""
    if not isinstance(exc, smtplib.SMTPResponseException):
        return False
    return exc.smtp_code == 552 or "5.3.4" in _said(exc)


def _session_closed(connection: BaseEmailBackend) -> bool:
    """Whether an SMTP backend's session was closed under it (smtplib does on a 421 or a lost socket)."""
    smtp = getattr(connection, "connection", None)
    return isinstance(smtp, smtplib.SMTP) and smtp.sock is None


def deliver_many(email_ids: Iterable[int], *, take_along: int = 0) -> list[bool]:
    """Send queued emails over one connection to the transport; whether each was sent, in order.

    One SMTP session (or, with an API provider's backend, one HTTP session) for all of
    them: to a relay in another region, connecting (TCP, EHLO, STARTTLS, AUTH) costs more
    than the message. Each email is claimed, built and sent, and settled on its own; the
    connection is opened for the first one built, so a batch whose emails were all sent
    meanwhile connects to nothing. ``take_along`` other due emails, oldest first, follow.

    An email that cannot be built (a header, an address) is retried with backoff and costs
    the batch nothing; one
    whose recipient the transport refuses for good fails alone (``_refused_for_good``).
    The batch stops at any other failure (that email is retried with backoff) and starts
    nothing after ``_budget()``: what is left is not claimed,
    so a hung relay costs one timeout per batch, not one per email, and the
    ``deliver_due`` sweep sends the rest later. Such a failure also marks the transport
    failing (``core.circuits``): until its next try, batches claim nothing and connect to nothing.
    """
    wanted = list(email_ids)
    with circuits.passage(circuits.MAIL, lease=_lease()) as passage:
        if passage is None:  # the transport is failing: the emails wait, unclaimed, for its next try
            return [False] * len(wanted)
        sent = _send_batch(wanted, take_along, passage)
    return [sent.get(email_id, False) for email_id in wanted]


def _send_batch(wanted: list[int], take_along: int, passage: circuits.Passage) -> dict[int, bool]:
    """``deliver_many``'s session: whether each email it claimed was sent, by id."""
    others = (
        [pk for pk in _due(take_along + len(wanted)) if pk not in wanted][:take_along] if take_along else []
    )
    stop_after = time.monotonic() + _budget()
    sent: dict[int, bool] = {}
    connection = get_connection()
    opened = False
    try:
        for n, email_id in enumerate([*wanted, *others]):
            if n and time.monotonic() > stop_after:
                break
            email = deliveries.claim(OutboundEmail.objects.all(), email_id, lease=_lease())
            if email is None:
                continue  # sent, failed, or another worker's
            sent[email_id] = False
            held = suppressions.holding(email)
            if held is not None:  # the address bounced or complained: not sent, and no connection for it
                _suppressed(email, held)
                continue
            try:
                message = _message(email, connection)
            except Exception as exc:  # a header that cannot be written (this email's, or the sender's)
                _failed(email, exc, for_good=False)
                continue
            try:
                if not opened:
                    connection.open()
                    opened = True
                message.send()
            except Exception as exc:  # any transport failure is retried, never lost
                # The transport answered about this email alone (it works): the batch goes on.
                this_email_only = True
                if email.attachment_ids and _too_large(exc):
                    # Too big for the relay: it goes again with the links its text gives, and no files.
                    email.attachment_ids = []
                    _failed(email, exc, for_good=False, fields=("attachment_ids",))
                elif _refused_for_good(exc):  # this address does not work
                    _failed(email, exc, for_good=True)
                    suppressions.suppress(
                        email.to, reason=Suppression.Reason.REFUSED, detail=_said(exc)[:300], email=email
                    )
                    suppressions.tell_ticket(email, said=_said(exc))
                else:
                    this_email_only = False
                    _failed(email, exc, for_good=False)
                if this_email_only:
                    passage.worked()
                else:
                    passage.failed(f"{type(exc).__name__}: {exc}")
                if not this_email_only or _session_closed(connection):
                    # A half-open connection is never used again; after a refusal the
                    # relay hung up on, the next email connects again.
                    with contextlib.suppress(Exception):
                        connection.close()
                    opened = False
                if not this_email_only:
                    break
                continue
            _sent(email, message)
            passage.worked()
            sent[email_id] = True
    finally:
        if opened:
            with contextlib.suppress(Exception):
                connection.close()
    return sent


def send_again(email: OutboundEmail) -> bool:
    """Queue an email that did not arrive once more, with a fresh budget of tries; whether it could be.

    Only one that failed, was suppressed or bounced: one sent (and not bounced) or still
    queued is left as it is, so a second click sends nothing twice. It keeps its
    Message-ID (the same email, at last delivered) and its files.
    """
    from capdesk.notify.tasks import deliver_email

    queued = OutboundEmail.objects.filter(OutboundEmail.may_send_again_q(), pk=email.pk).update(
        state=OutboundEmail.State.QUEUED,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
        bounced_at=None,
        bounce="",
    )
    if queued:
        transaction.on_commit(partial(deliver_email.enqueue, email.pk))
    return bool(queued)


def deliver(email_id: int) -> bool:
    """Send one queued email; on failure schedule a retry with backoff. Returns whether it was sent.

    The email is claimed first, in a short transaction of its own (its attempt counted, its
    next attempt pushed past the lease), then sent with no transaction open, then settled:
    no lock is held while a mail server answers. On SQLite a lock held across the send
    would stop every write of the desk (the SMTP receiver's included) for as long as the
    server took. Another worker, or the ``deliver_due`` sweep, skips a claimed email; one
    whose worker died mid-send is tried again when the lease runs out. That is the same
    at-least-once as a commit lost just after a send, which no outbox can rule out.
    """
    return deliver_many([email_id])[0]


def _due(limit: int, *, due_for: timedelta = timedelta(0)) -> list[int]:
    """Queued emails to send now, oldest first: retries whose time has come, first attempts due for ``due_for``."""
    return deliveries.due(OutboundEmail.objects.all(), limit, due_for=due_for)


class _BuiltOnce(EmailMultiAlternatives):
    """An email whose MIME is built (and DKIM-signed, when configured) once.

    ``_message`` builds it to fail early; the SMTP backend reuses it.

    Django's SMTP backend calls ``message()`` again at send; with files along, that was
    a second base64 encoding of up to ``CAPDESK_EMAIL_ATTACHMENT_BYTES``.
    """

    _built: Any = None

    def message(self) -> Any:
        if self._built is None:
            built = super().message()
            # An API provider's backend (anymail) sends its own MIME from the email's parts,
            # signed with the provider's key; this one is only built to fail early.
            signing = None if _sent_by_provider(self.connection) else dkim_signing.signer()
            if signing is not None:  # signed over the bytes as they are sent, headers and files included
                signing.sign(built)
            self._built = built
        return self._built


def _sent_by_provider(connection: BaseEmailBackend | None) -> bool:
    return type(connection).__module__.partition(".")[0] == "anymail"


def _message(email: OutboundEmail, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    """The email as Django sends it, its MIME built now: what cannot be built fails before connecting."""
    from_email, headers = settings.DEFAULT_FROM_EMAIL, email.headers
    if settings.CAPDESK_VERP and not _sent_by_provider(connection):
        # The envelope sender names this email (its bounce comes back to it); the From does not change.
        from_email, headers = (
            verp.return_path(email.pk),
            {**email.headers, "From": settings.DEFAULT_FROM_EMAIL},
        )
    message = _BuiltOnce(
        subject=email.subject,
        body=email.body_text,
        from_email=from_email,
        to=[email.to],
        headers=headers,
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in _files(email):
        message.attach(*attachment)
    message.message()
    for address in (message.from_email, *message.recipients()):
        sanitize_address(address, message.encoding or settings.DEFAULT_CHARSET)  # as the SMTP backend will
    return message


_MIME_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")


def _files(email: OutboundEmail) -> list[tuple[str, bytes, str]]:
    """The files the email carries, as (name, content, type), read from storage now.

    A file that cannot be read (deleted since, storage unreachable) is left out rather
    than holding the email back for good: the email's text lists every file with its link.
    """
    if not email.attachment_ids:
        return []
    from capdesk.tickets.models import Attachment  # tickets queue email: imported when needed

    files = []
    for attachment in Attachment.objects.filter(pk__in=email.attachment_ids).order_by("pk"):
        # The browser's word for an upload: one that is not type/subtype would stop the email being built.
        content_type = attachment.content_type if _MIME_TYPE.match(attachment.content_type) else ""
        try:
            with attachment.file.open("rb") as handle:
                files.append((attachment.filename, handle.read(), content_type or "application/octet-stream"))
        except OSError as exc:
            logger.warning(
                "notify.attachment_unreadable",
                extra={"email_id": email.pk, "attachment_id": attachment.pk, "error": type(exc).__name__},
            )
    return files


def _sent(email: OutboundEmail, message: EmailMultiAlternatives) -> None:
    email.state = OutboundEmail.State.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    # An API provider's id for it (anymail), which its tracking webhooks name; SMTP has none.
    provider_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
    email.provider_id = provider_id[:200] if isinstance(provider_id, str) else ""
    deliveries.save_claimed(email, ("state", "sent_at", "last_error", "provider_id"), succeeded=True)


def _suppressed(email: OutboundEmail, held: Suppression) -> None:
    """Settle an email to a suppressed address: never sent, and never retried."""
    email.state = OutboundEmail.State.SUPPRESSED
    email.last_error = f"Not sent: {held.address} is on the suppression list ({held.get_reason_display()})."
    deliveries.save_claimed(email, ("state", "last_error"), succeeded=False)
    logger.info("notify.send_suppressed", extra={"email_id": email.pk, "reason": held.reason})


def _said(exc: Exception) -> str:
    """What the transport said, on one line: a mail server's code and words, else the error."""
    code: int | None = None
    text: bytes | str = ""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, text = exc.smtp_code, exc.smtp_error
    if code is None:
        return " ".join(str(exc).split())
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(f"{code} {words}".split())


def _failed(email: OutboundEmail, exc: Exception, *, for_good: bool, fields: tuple[str, ...] = ()) -> None:
    """Record a failed attempt: retried with backoff, unless ``for_good`` or it was the last."""
    # Agents read it on the ticket page: the server's code and words, not a Python repr.
    email.last_error = f"{type(exc).__name__}: {_said(exc)}"[:2000]
    if for_good or email.attempts >= MAX_ATTEMPTS:
        email.state = OutboundEmail.State.FAILED
    email.next_attempt_at = timezone.now() + deliveries.backoff(email.attempts, cap=BACKOFF_CAP)
    deliveries.save_claimed(email, ("last_error", "state", "next_attempt_at", *fields), succeeded=False)
    logger.warning(
        "notify.send_failed",
        extra={"email_id": email.pk, "attempts": email.attempts, "for_good": for_good},
    )


def deliver_due(limit: int = 100, *, due_for: timedelta = timedelta(0)) -> int:
    """Send queued email whose (retry) time came ``due_for`` ago or more. Returns how many were due.

    The scheduler hands this to the outbound worker (``tasks.deliver_due_emails``) with
    ``deliveries.SWEEP_AFTER``: a relay that hangs then holds up no periodic job.
    """
    due = _due(limit, due_for=due_for)
    deliver_many(due)
    return len(due)


def hand_over_due() -> int:
    """The scheduler's outbox sweep: one ``deliver_due_emails`` task for the outbound worker; 1 if queued."""
    from capdesk.notify.tasks import deliver_due_emails

    return deliveries.hand_over_due(OutboundEmail.objects.all(), deliver_due_emails)
