"""Every change to a ticket, one function each: rows, audit event and outbox in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from capdesk.core import appends
from capdesk.core.per_transaction import PerTransaction
from capdesk.directory.models import EmailAddress, Organization, Person, Project
from capdesk.notify import suppressions
from capdesk.notify.actions import new_message_id, queue_email, render_email
from capdesk.policy.types import Outcome
from capdesk.sla import actions as sla_actions
from capdesk.tickets import audit, copies
from capdesk.tickets.models import (
    Attachment,
    Event,
    Message,
    MessageReference,
    Queue,
    Severity,
    Status,
    Ticket,
)
from capdesk.tickets.rendering import render_markdown, render_plain
from capdesk.tickets.reply_address import copy_message_id, threading_headers
from capdesk.tickets.sniffing import sniff


class AttachmentRejected(ValueError):
    """An attachment over the configured size or count limit.

    ``str()`` is the reason in English, as admins read it in quarantine; ``explain()``
    says it in the active language, for the customer who can fix it.
    """

    def __init__(self, filename: str | None = None) -> None:
        self.filename = filename  # None: too many files, not one too large
        self.max_files = settings.CAPDESK_MAX_ATTACHMENTS
        if filename is None:
            super().__init__(f"at most {self.max_files} attachments per message")
        else:
            with translation.override(None):
                super().__init__(f"{filename} is larger than {attachment_limit()}")

    def explain(self) -> str:
        if self.filename is None:
            return ngettext(
                "A message can carry at most %(count)d attachment.",
                "A message can carry at most %(count)d attachments.",
                self.max_files,
            ) % {"count": self.max_files}
        return gettext("%(name)s is larger than %(size)s, the limit for one attachment.") % {
            "name": self.filename,
            "size": attachment_limit(),
        }


def attachment_limit() -> str:
    """CAPDESK_MAX_ATTACHMENT_BYTES as customers are told it, in the active language.

    "10 MB", "1.5 MB", "512 KB": whole megabytes would say "0 MB" of a limit under one.
    """
    return byte_size(settings.CAPDESK_MAX_ATTACHMENT_BYTES)


def byte_size(count: int) -> str:
    """A size in binary megabytes (or kilobytes below one), to one decimal where it has one."""
    value, unit = (count / 1024**2, "MB") if count >= 1024**2 else (count / 1024, "KB")
    shown = round(value, 1)
    digits = 0 if shown == int(shown) else 1
    return f"{number_format(shown, decimal_pos=digits)} {unit}"


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""  # an email part's Content-ID, which its HTML shows inline as cid:<id>


def _event(
    ticket: Ticket,
    kind: str,
    *,
    user: User | None = None,
    person: Person | None = None,
    reason: str = "",
    **data: object,
) -> Event:
    return audit.record(ticket, kind, user=user, person=person, reason=reason, data=data)


def add_system_message(
    ticket: Ticket, body: str, *, public: bool, message_id: str = "", to_copied: bool = False
) -> Message:
    """The desk's own message on a ticket: a standard reply, a notice, an internal note.

    ``message_id`` is the Message-ID of the email that carried it to the customer, so an
    answer or a bounce that cites it finds the ticket. ``to_copied``: the people copied on
    the ticket are told it too, so they read it in the portal; otherwise it is the requester's.
    """
    # Appended with the rest of a write batch (core.appends): nothing reads it back by query.
    return appends.save(
        Message(
            ticket=ticket,
            author_kind=Message.Author.SYSTEM,
            public=public,
            to_copied=to_copied,
            body_text=body,
            body_html=render_plain(body),
            message_id=message_id,
        )
    )


def check_attachments(files: list[IncomingFile]) -> None:
    check_attachment_sizes([(f.filename, len(f.content)) for f in files])


def check_attachment_sizes(files: Sequence[tuple[str, int]]) -> None:
    """The limits on (file name, size) pairs: a form checks them before it reads any file."""
    if len(files) > settings.CAPDESK_MAX_ATTACHMENTS:
        raise AttachmentRejected()
    for filename, size in files:
        if size > settings.CAPDESK_MAX_ATTACHMENT_BYTES:
            raise AttachmentRejected(filename)


def within_limits(files: Sequence[IncomingFile]) -> tuple[list[IncomingFile], list[IncomingFile]]:
    """The files a message may carry under the limits, in order, and the others: each file too
    large, and every file past the count (an admin accepting an email without them, intake)."""
    kept: list[IncomingFile] = []
    left_out: list[IncomingFile] = []
    for f in files:
        fits = len(f.content) <= settings.CAPDESK_MAX_ATTACHMENT_BYTES
        (kept if fits and len(kept) < settings.CAPDESK_MAX_ATTACHMENTS else left_out).append(f)
    return kept, left_out


def _store_attachments(message: Message, files: list[IncomingFile]) -> list[Attachment]:
    stored = []
    for f in files:
        digest = hashlib.sha256(f.content).hexdigest()
        # Sniffed from the bytes in hand, as they are stored: never read back from disk.
        sniffed = sniff(f.filename, f.content_type, f.content)
        attachment = Attachment(
            message=message,
            filename=f.filename[:255] or "attachment",
            content_type=f.content_type[:255] or "application/octet-stream",
            size=len(f.content),
            sha256=digest,
            content_id=f.content_id[:255],
            sniffed_type=sniffed.content_type,
            risk=sniffed.risk,
        )
        attachment.file.save(digest, ContentFile(f.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _store_citations(message: Message, cites: Sequence[str]) -> None:
    # Kept so a cited message that arrives after this one can still find its thread.
    references = [
        MessageReference(message=message, reference=ref[:998]) for ref in dict.fromkeys(cites) if ref
    ]
    if not references:  # most new requests cite nothing: no bulk_create machinery for an empty list
        return
    if message.pk is None:  # appended with its message at the end of the write batch (core.appends)
        for reference in references:
            appends.save(reference)
    else:
        MessageReference.objects.bulk_create(references)


def _get_default_queue() -> Queue:
    queue, _ = Queue.objects.get_or_create(slug="support", defaults={"name": "Support"})
    return queue


# The default queue, read once per write transaction (core.per_transaction): intake opens
# up to a batch of tickets in one, and a queue created in a part that was rolled back is
# never handed out.
_default_queue = PerTransaction(_get_default_queue)


def default_queue() -> Queue:
    return _default_queue.get()


SUBJECT_LENGTH = Ticket._meta.get_field("subject").max_length or 300


def clip_subject(subject: str) -> str:
    """``subject`` within the column: a longer one cut at a word, with an ellipsis (the whole
    of it stays in the stored request)."""
    text = subject.strip()
    if len(text) <= SUBJECT_LENGTH:
        return text
    cut = text[: SUBJECT_LENGTH - 1]
    if " " in cut[SUBJECT_LENGTH // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def shown_name(name: str) -> str:
    """A sender's display name as agents read it and replies greet them: one line, within
    the column, and never an address (``"dewi@acme.test" <x@evil.example>`` would read as
    Dewi's own)."""
    text = " ".join(name.split())[:200]
    return "" if "@" in text else text


@transaction.atomic(savepoint=False)
def open_ticket(
    *,
    subject: str,
    body: str,
    channel: str,
    requester: Person | None,
    requester_email: str,
    project: Project | None = None,
    organization: Organization | None = None,
    severity: str = Severity.NORMAL,
    queue: Queue | None = None,
    language: str = "en",
    body_html: str | None = None,
    files: list[IncomingFile] | None = None,
    source_id: int | None = None,
    message_id: str = "",
    cites: Sequence[str] = (),
    received_at: datetime | None = None,
    follow_up_of: Ticket | None = None,
    author: tuple[Person | None, str] | None = None,
    requester_name: str = "",
) -> Ticket:
    """A new request becomes a ticket with its first customer message.

    ``received_at`` is when the channel stored the request ``source_id`` names, passed by
    a caller that has it so the SLA clock need not read it back. ``follow_up_of`` is the
    closed ticket the request answered (``tickets.follow_ups``). ``author`` (person, address)
    wrote the first message when it is not the requester (someone copied on the closed ticket).
    ``requester_name`` is the name an unregistered requester gave (``shown_name``).
    """
    files = files or []
    check_attachments(files)
    now = timezone.now()
    ticket = Ticket.objects.create(
        subject=clip_subject(subject) or "(no subject)",
        requester=requester,
        requester_email=requester_email,
        requester_name="" if requester is not None else shown_name(requester_name),
        project=project,
        organization=organization or (project.organization if project else None),
        channel=channel,
        severity=severity,
        queue=queue or default_queue(),
        language=language,
        created_at=now,
        updated_at=now,
        follow_up_of=follow_up_of,
    )
    author_person, author_email = author or (requester, requester_email)
    message = Message(
        ticket=ticket,
        author_kind=Message.Author.CUSTOMER,
        author_person=author_person,
        author_email=author_email,
        body_text=body,
        body_html=body_html if body_html is not None else render_markdown(body),
        source_id=source_id,
        message_id=message_id,
        created_at=now,
    )
    if files:  # the attachments' rows need the message's id now
        message.save(force_insert=True)
        _store_attachments(message, files)
    else:
        # With the rest of a write batch (core.appends); intake finds it there meanwhile.
        appends.save(message)
    _store_citations(message, cites)
    data: dict[str, object] = {"channel": channel, "severity": severity}
    if follow_up_of is not None:
        data["follow_up_of"] = follow_up_of.reference
    audit.record(ticket, "ticket.created", person=requester, data=data)
    sla_actions.on_ticket_opened(ticket, received_at=received_at if source_id is not None else None)
    return ticket


def follows_up(ticket: Ticket | None, *, received_at: datetime | None = None) -> bool:
    """Whether an answer to ``ticket`` opens a follow-up ticket instead of joining it: it is closed.

    As in Zendesk, closed is final (solved reopens): the answer may come months later, under
    another plan, and is decided afresh. A ticket merged away is closed too; callers pass
    the surviving one. An answer the desk ``received_at`` before the ticket was closed (the
    worker catching up while the auto-close sweep or an agent closed it) joins it and
    reopens it, as it would have a moment earlier.
    """
    if ticket is None or ticket.status != Status.CLOSED:
        return False
    if received_at is None:
        return True
    # Its status when the answer came: the last change recorded by then (a status change, or
    # a customer's message reopening it). A ticket closed, reopened and closed again was
    # closed for an answer received in between.
    then = (
        ticket.events.filter(created_at__lte=received_at, data__has_key="status_to")
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return then is not None and then.get("status_to") == Status.CLOSED


@transaction.atomic(savepoint=False)
def record_customer_reply(
    ticket: Ticket,
    *,
    body: str,
    person: Person | None,
    author_email: str,
    body_html: str | None = None,
    files: list[IncomingFile] | None = None,
    source_id: int | None = None,
    message_id: str = "",
    cites: Sequence[str] = (),
) -> Message:
    """The customer wrote again: the ticket reopens and goes back to the agents."""
    # A reply that still names a merged ticket (its reply address, a stale portal tab)
    # belongs to the ticket it was merged into.
    ticket = ticket.surviving()
    message = _store_customer_message(
        ticket,
        held=False,
        body=body,
        person=person,
        author_email=author_email,
        body_html=body_html if body_html is not None else render_markdown(body),
        files=files or [],
        source_id=source_id,
        message_id=message_id,
        cites=cites,
    )
    _customer_wrote(ticket, message)
    return message


def _store_customer_message(
    ticket: Ticket,
    *,
    held: bool,
    body: str,
    person: Person | None,
    author_email: str,
    body_html: str,
    files: list[IncomingFile],
    source_id: int | None,
    message_id: str,
    cites: Sequence[str],
) -> Message:
    """A customer's message with its files and citations; a held one only agents see."""
    check_attachments(files)
    message = Message.objects.create(
        ticket=ticket,
        author_kind=Message.Author.CUSTOMER,
        author_person=person,
        author_email=author_email,
        public=not held,
        held=held,
        body_text=body,
        body_html=body_html,
        source_id=source_id,
        message_id=message_id,
    )
    _store_attachments(message, files)
    _store_citations(message, cites)
    return message


def _customer_wrote(ticket: Ticket, message: Message) -> None:
    """A customer's message joined the conversation: back to the agents, on the record, timed.

    Intake sends an answer to a closed ticket to a follow-up (``follows_up``); a closed
    ticket gets here only with a held reply confirmed after an agent closed it, and opens
    again rather than hide the reply from the queues.
    """
    previous = ticket.status
    if ticket.status in (Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.NEW, Status.CLOSED):
        ticket.status = Status.OPEN
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    # Both ends of the status, so the history can say "Pending -> Open" without guessing the rule above.
    _event(
        ticket,
        "message.customer",
        person=message.author_person,
        message=message.pk,
        status_from=previous,
        status_to=ticket.status,
    )
    sla_actions.on_customer_reply(ticket, message, previous_status=previous)


@transaction.atomic(savepoint=False)
def hold_customer_reply(
    ticket: Ticket,
    *,
    body: str,
    person: Person,
    author_email: str,
    body_html: str,
    files: list[IncomingFile],
    source_id: int | None,
    message_id: str,
    cites: Sequence[str],
) -> Message:
    """A reply in a registered customer's name that did not prove itself (E3): kept for agents only.

    Unlike ``record_customer_reply`` it neither reopens the ticket, nor starts a clock, nor
    tells webhooks: nobody acts on it until ``publish_held_reply``.
    """
    # Stored as a published reply is, so publishing only has to flip the flags.
    return _store_customer_message(
        ticket.surviving(),
        held=True,
        body=body,
        person=person,
        author_email=author_email,
        body_html=body_html,
        files=files,
        source_id=source_id,
        message_id=message_id,
        cites=cites,
    )


@transaction.atomic
def publish_held_reply(message: Message) -> None:
    """The sender confirmed: the held reply joins the conversation as ``record_customer_reply`` adds one."""
    ticket = message.ticket.surviving()  # merging moves messages; this only guards a stale row
    # It counts from now, when the desk may act on it: the SLA clock and the thread order follow.
    message.ticket, message.public, message.held, message.created_at = ticket, True, False, timezone.now()
    message.save(update_fields=["ticket", "public", "held", "created_at"])
    _customer_wrote(ticket, message)


@transaction.atomic
def reply_as_agent(
    ticket: Ticket,
    *,
    agent: User,
    body: str,
    public: bool = True,
    new_status: str | None = None,
    files: list[IncomingFile] | None = None,
    leave_out: Collection[str] = (),
) -> Message:
    """An agent answers the customer (public) or leaves a note for colleagues (internal).

    A public reply is emailed to the requester and to the people copied on the ticket,
    except those in ``leave_out``: they stay copied, and the History says whom this reply
    was not emailed to.
    """
    files = files or []
    check_attachments(files)
    emailed = public and bool(ticket.requester_email)
    copied: list[str] = []
    left_out: list[str] = []
    if emailed:
        unwanted = {copies.address_of(a) for a in leave_out}
        for address in copies.addresses(ticket):
            (left_out if address in unwanted else copied).append(address)
    message = Message.objects.create(
        ticket=ticket,
        author_kind=Message.Author.AGENT,
        author_user=agent,
        public=public,
        body_text=body,
        body_html=render_markdown(body),
        # As a standard reply does: the message records the Message-ID its email goes out
        # with, so an answer citing it threads here and agents see what became of the email.
        message_id=new_message_id() if emailed else "",
    )
    stored = _store_attachments(message, files)
    kind = "message.agent" if public else "message.internal"
    data: dict[str, object] = {"message": message.pk}
    if left_out:
        data["left_out"] = left_out
    audit.record(ticket, kind, user=agent, data=data)
    sla_actions.on_agent_reply(ticket, message)
    # A closed ticket stays closed unless the agent chose a status: its customer's answer
    # opens a follow-up, which would otherwise be live beside it.
    status = new_status or (Status.PENDING if public and ticket.status != Status.CLOSED else None)
    if status and status != ticket.status:
        change_status(ticket, status, agent=agent)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    if emailed:
        notify_customer(ticket, "agent_reply", message, stored, copied=copied)
    return message


@transaction.atomic
def change_status(
    ticket: Ticket,
    status: str,
    *,
    agent: User | None,
    reason: str = "",
    kind: str = "status.changed",
    data: Mapping[str, object] | None = None,
) -> None:
    """Move the ticket to ``status``: a person's choice, the auto-close sweep, a merge, an incident's end.

    The one audit row records both ends of the change, so the History reads "Open → Solved",
    ``follows_up`` finds when it was closed, and webhooks hear ``ticket.solved`` once
    (``notify.webhook_events``); the SLA clocks follow (paused, resumed, ended). ``kind``
    names the cause when it is not a person's status change (``incident.resolved``), with
    ``data``: that row then tells both why and what changed. A policy decision and a
    customer's message move the status with the rest of what they record, on the same terms
    (``decisions.apply_decision``, ``_customer_wrote``).
    """
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    previous = ticket.status
    if previous == status:
        return
    ticket.status = status
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    moved = {**(data or {}), "status_from": previous, "status_to": status}
    audit.record(ticket, kind, user=agent, reason=reason, data=moved)
    sla_actions.on_status_changed(ticket, previous)


def close_solved(*, batch: int = 500, batches: int = 20) -> int:
    """Close the tickets solved ``CAPDESK_CLOSE_SOLVED_AFTER_DAYS`` ago that nobody touched since;
    the number closed: up to ``batches`` of ``batch`` a run, the oldest first (the sweep comes
    back for the rest).

    As Zendesk closes solved tickets after four days: a solved ticket reopens when its
    customer answers; a closed one is final, and an answer opens a follow-up, decided
    afresh (``follows_up``), so a reply months later is not judged by an old decision.
    A ticket with a held reply waits: confirming the reply must find it as it was.
    """
    days = settings.CAPDESK_CLOSE_SOLVED_AFTER_DAYS
    if not days:
        return 0
    before = timezone.now() - timedelta(days=days)
    held = Message.objects.filter(ticket=OuterRef("pk"), held=True)
    closed = 0
    for _ in range(batches):
        due = list(
            Ticket.objects.filter(status=Status.SOLVED, updated_at__lt=before)
            .exclude(Exists(held))
            .order_by("updated_at")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in due:
            with transaction.atomic():
                # Answered (reopened) since it was read: the customer's answer wins.
                locked = Ticket.objects.select_for_update().filter(pk=pk, status=Status.SOLVED).first()
                if locked is None or locked.updated_at >= before:
                    continue
                change_status(
                    locked, Status.CLOSED, agent=None, reason=f"solved, and untouched for {days} days"
                )
                closed += 1
        if len(due) < batch:
            break
    return closed


@transaction.atomic
def assign(ticket: Ticket, assignee: User | None, *, agent: User | None) -> None:
    """Give the ticket to ``assignee`` (or nobody); ``agent`` is who did it, None for the desk itself."""
    previous = ticket.assignee_id
    status_from = ticket.status
    ticket.assignee = assignee
    if ticket.status == Status.NEW and assignee is not None:
        ticket.status = Status.OPEN
    ticket.save(update_fields=["assignee", "status"])
    moved = ticket.status != status_from
    data: dict[str, object] = {"assignee_from": previous, "assignee_to": assignee.pk if assignee else None}
    if moved:  # New -> Open on the same row, as change_status records a move (History, follows_up)
        data |= {"status_from": status_from, "status_to": ticket.status}
    audit.record(ticket, "assigned", user=agent, data=data)
    # The clocks only care if one status pauses them and the other does not (a deployment
    # may pause on New); the round-robin assigns on intake's path, so no clock read otherwise.
    if moved and sla_actions.pauses(status_from) != sla_actions.pauses(ticket.status):
        sla_actions.on_status_changed(ticket, status_from)


@transaction.atomic
def change_severity(ticket: Ticket, severity: str, *, agent: User, reason: str) -> None:
    if severity not in Severity.values:
        raise ValueError(f"unknown severity {severity!r}")
    previous = ticket.severity
    if previous == severity:
        return
    ticket.severity = severity
    ticket.save(update_fields=["severity"])
    _event(
        ticket, "severity.changed", user=agent, reason=reason, severity_from=previous, severity_to=severity
    )
    sla_actions.on_severity_changed(ticket)


def encoded_size(size: int) -> int:
    """What a file of ``size`` bytes weighs in an email: base64 (4 bytes for 3) in lines of 76 and CRLF."""
    encoded = 4 * -(-size // 3)
    return encoded + 2 * -(-encoded // 76)


def others_named(recipients: Sequence[str]) -> dict[str, list[str]]:
    """For each recipient of one notice, emailed one by one, the others its text names ("Also
    sent to"): not itself, and no address on the suppression list, which is not emailed."""
    suppressed = suppressions.among(recipients) if len(recipients) > 1 else {}
    return {to: [r for r in recipients if r != to and r.lower() not in suppressed] for to in recipients}


# The kinds of ``notify_customer`` email with an HTML part (``tickets/email/<kind>.html``).
_HTML_KINDS = frozenset({"agent_reply"})


def notify_customer(
    ticket: Ticket,
    kind: str,
    message: Message,
    files: Sequence[Attachment] = (),
    *,
    copied: Sequence[str] | None = None,
    context: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Email ``message`` to the requester, and to each address copied on the ticket: in the
    ticket's language, threaded on the ticket reference.

    Each recipient gets an email of their own, with its own Message-ID, suppression, bounce
    and delivery line; the text names the others. ``copied`` is whom of the copied people
    to email (default: all of them). ``files`` (the message's) go along while, encoded, they
    add up to at most ``CAPDESK_EMAIL_ATTACHMENT_BYTES``; the text lists each, with its link
    in the portal for a recipient who can sign in there. ``context`` adds to what the
    ``tickets/email/<kind>`` templates read, ``headers`` to every email's; a kind without an
    HTML template is sent as text alone.
    """
    language = ticket.mail_language
    portal_url = f"{settings.BASE_URL}/portal/requests/{ticket.reference}/"
    recipients = [ticket.requester_email, *(copies.addresses(ticket) if copied is None else copied)]
    # Only an address of a Capgo account signs in to the portal (by a magic link); and a
    # request held until its sender confirms (E3) shows there to nobody (scoping) until then.
    registered: set[str] = set()
    if ticket.outcome != Outcome.VERIFY_SENDER:
        registered.update(
            EmailAddress.objects.filter(email__in=recipients[1:]).values_list("email", flat=True)
        )
        if ticket.requester_id is not None:
            registered.add(ticket.requester_email)
    others = others_named(recipients)
    attached = sum(encoded_size(f.size) for f in files) <= settings.CAPDESK_EMAIL_ATTACHMENT_BYTES
    threading = threading_headers(ticket)
    for to in recipients:
        # The requester's email carries the message's own Message-ID; each copied person's
        # one of its own (``copy_message_id``), so nobody learns another's.
        if not message.message_id:
            own_id = {}
        elif to == ticket.requester_email:
            own_id = {"Message-ID": message.message_id}
        else:
            own_id = {"Message-ID": copy_message_id(message.pk, to)}
        portal = to in registered
        values = {
            "ticket": ticket,
            "message": message,
            "portal": portal,
            "portal_url": portal_url,
            "files": [
                {
                    "name": f.filename,
                    "size": f.size,
                    "url": f"{portal_url}attachments/{f.pk}/" if portal else "",
                }
                for f in files
            ],
            "attached": attached,
            "copied": to != ticket.requester_email,
            "also_to": others[to],
            **(context or {}),
        }
        subject, body = render_email(f"tickets/email/{kind}", values, language=language)
        html = ""
        if kind in _HTML_KINDS:
            # The HTML part shows the reply as agents see it: the sanitised Markdown rendering.
            with translation.override(language):
                html = render_to_string(f"tickets/email/{kind}.html", values)
        queue_email(
            to=to,
            subject=subject,
            body_text=body,
            body_html=html,
            kind=kind,
            ticket_id=ticket.pk,
            headers={**(headers or {}), **threading, **own_id},
            attachment_ids=[f.pk for f in files] if attached else (),
        )


# What other apps do when a new ticket has arrived and been decided (the console's automatic
# round-robin). They register here, so tickets need not import the apps that react.
_ARRIVAL_HOOKS: list[Callable[[Ticket], object]] = []


def on_arrival(hook: Callable[[Ticket], object]) -> None:
    if hook not in _ARRIVAL_HOOKS:
        _ARRIVAL_HOOKS.append(hook)


def ticket_arrived(ticket: Ticket) -> None:
    """Called in the transaction that applied a new ticket's automatic decision."""
    for hook in _ARRIVAL_HOOKS:
        hook(ticket)
