"""E3 for email that is not authenticated: hold it, and let the registered address confirm it.

The confirmation link goes to the registered address (the From of the held mail,
which is registered): a forger never reads it. Until it is confirmed the reply
discloses nothing about the account.

A new request is held as an on-hold ticket and decided again once confirmed; a reply
onto an existing ticket is held as a message nobody but agents sees, and is published
on the ticket once confirmed. An agent may settle a held reply without the link: publish
it (they reached the customer another way) or discard it (forged, or spam); either way
the link stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import ngettext

from capdesk.directory.models import Person
from capdesk.intake.deciding import decide_again_if_project_named, decide_request, declared_at_intake
from capdesk.intake.models import InboundRequest, SenderConfirmation
from capdesk.notify import suppressions
from capdesk.notify.actions import automatic_reply_allowed, queue_email, render_email
from capdesk.notify.models import OutboundEmail
from capdesk.policy.types import Identity
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import audit, follow_ups
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.models import Attachment, Event, Message, Ticket


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_confirmation(
    request: InboundRequest, ticket: Ticket, person: Person, email: str, *, emailed: bool = True
) -> dict[str, str]:
    """A new single-use link; returns the reply placeholders ``confirm_url`` and ``confirm_minutes``.

    ``confirm_minutes`` keeps its name (the policy's placeholder list knows it) but holds the
    lifetime written out in the ticket's language, such as "24 hours" or "24 jam".
    ``emailed`` says whether the link goes out now: one the daily limit of automatic replies
    withholds waits for the address's next list of what waits for it (``intake.waiting``).
    """
    token = secrets.token_urlsafe(32)
    minutes = settings.CAPDESK_CONFIRM_MINUTES
    now = timezone.now()
    SenderConfirmation.objects.create(
        request=request,
        ticket=ticket,
        person=person,
        email=email,
        token_hash=_hash(token),
        expires_at=now + timedelta(minutes=minutes),
        emailed_at=now if emailed else None,
        language=ticket.mail_language,
    )
    # The reply goes out in the ticket's language, so the duration is written in it too.
    with translation.override(ticket.mail_language):
        lifetime = lifetime_text(minutes)
    return {"confirm_url": _url(token), "confirm_minutes": lifetime}


def _url(token: str) -> str:
    return f"{settings.BASE_URL}/confirm/{token}/"


def renew_link(confirmation: SenderConfirmation, *, language: str) -> str:
    """A fresh link for a confirmation about to be emailed again, in ``language``; the one
    before stops working (its email was never sent, or is older than this one)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    confirmation.token_hash = _hash(token)
    confirmation.expires_at = now + timedelta(minutes=settings.CAPDESK_CONFIRM_MINUTES)
    confirmation.emailed_at = now
    confirmation.language = language
    confirmation.save(update_fields=["token_hash", "expires_at", "emailed_at", "language"])
    return _url(token)


def lifetime_text(minutes: int) -> str:
    """How long a link works, as a person says it: "24 hours" rather than "1440 minutes"."""
    if minutes % 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


@dataclass(frozen=True)
class Link:
    """What a confirmation link is now, for the page that opens it."""

    # "pending", "used", "expired", "rejected" (its owner said they did not send it), or
    # "invalid": no link of ours has this token (mistyped, cut short, or replaced by a newer one).
    state: str
    reply: bool = False  # it confirms a held reply, not a new request
    language: str = ""  # the language its email was written in, which the page speaks


def look_up(token: str) -> Link:
    found = SenderConfirmation.objects.filter(token_hash=_hash(token)).first()
    if found is None:
        return Link("invalid")
    if found.confirmed_at is not None:
        return Link("used", language=found.language)
    if found.rejected_at is not None:
        return Link("rejected", language=found.language)
    if found.expires_at <= timezone.now():
        return Link("expired", language=found.language)
    return Link("pending", reply=_held_reply(found).exists(), language=found.language)


def _held_reply(confirmation: SenderConfirmation) -> QuerySet[Message]:
    """The reply the confirmation is for, while it is held; empty for a new request, whose first message never is."""
    return Message.objects.filter(source_id=confirmation.request_id, held=True)


@dataclass(frozen=True)
class Confirmed:
    """What a confirmation did: the ticket, whether it published a held reply (else re-decided a
    request), and whether the answer to a re-decided request was emailed."""

    ticket: Ticket
    reply: bool = False
    emailed: bool = False


@transaction.atomic
def confirm_sender(token: str) -> Confirmed | None:
    """The sender proved they control the registered address by its link: see ``confirm``.
    An unknown, used, rejected or expired token does nothing."""
    confirmation = (
        SenderConfirmation.objects.select_for_update()
        .select_related("ticket", "person")
        .filter(token_hash=_hash(token))
        .first()
    )
    if (
        confirmation is None
        or confirmation.confirmed_at is not None
        or confirmation.rejected_at is not None
        or confirmation.expires_at <= timezone.now()
    ):
        return None
    # The link reached its reader: the mailbox takes mail, whatever bounced before.
    suppressions.lift(confirmation.email, why="sender confirmation link used")
    return confirm(confirmation, via="link")


def confirm(confirmation: SenderConfirmation, *, via: str) -> Confirmed:
    """The registered address's owner says they sent it (by its link, or signed in to the
    portal): publish the held reply, or decide the held request again, as verified.

    The caller locked ``confirmation`` and checked it still waits. What follows answers a
    person's action on a page, not mail: its standard reply is outside the RFC 3834 limit.
    """
    confirmation.confirmed_at = timezone.now()
    confirmation.save(update_fields=["confirmed_at"])
    held = _held_reply(confirmation).select_for_update().select_related("ticket").first()
    ticket = held.ticket if held is not None else confirmation.ticket
    Event.objects.create(
        ticket=ticket,
        kind="sender.confirmed",
        actor_person=confirmation.person,
        data={"identity": Identity.VERIFIED, "via": via, **({"message": held.pk} if held else {})},
    )
    if held is not None:
        # The reply was already answered by the thread it joined: no new decision, no standard
        # reply; unless it answers "which app?", as a proven reply would (deciding).
        ticket_actions.publish_held_reply(held)
        decide_again_if_project_named(
            held.ticket,
            person=confirmation.person,
            identity=Identity.VERIFIED,
            text=held.body_text,
            answers_mail=False,
        )
        return Confirmed(ticket, reply=True)
    first = ticket.messages.order_by("created_at", "id").first()
    # What the email declared was a claim until now (E3): the confirmed sender's declaration.
    declared = declared_at_intake(ticket)
    decided = decide_request(
        channel=ticket.channel,
        identity=Identity.VERIFIED,
        person=confirmation.person,
        project=ticket.project,
        subject=ticket.subject,
        body=first.body_text if first else "",
        declared_severity=declared.severity,
        production_impact=declared.production_impact,
        severity_from_text=declared.from_text,
    )
    # A held follow-up copied nobody while its sender was unproven: now those of the closed one.
    follow_ups.copy_followers(ticket)
    # The "please confirm" reply spoke to whoever sent it, before any proof, and its link is
    # spent: the agents' record from now on, not a message in the customer's conversation.
    ticket.messages.filter(author_kind=Message.Author.SYSTEM, public=True).update(public=False)
    apply_decision(
        ticket, decided.decision, identity=decided.identity, language=decided.language, answers_mail=False
    )
    return Confirmed(ticket, emailed=_answer_emailed(ticket, since=confirmation.confirmed_at))


def _answer_emailed(ticket: Ticket, *, since: datetime) -> bool:
    """Whether the standard reply just decided is on its way: queued, to an address not suppressed."""
    to = (
        OutboundEmail.objects.filter(ticket=ticket, kind__startswith="reply.", created_at__gte=since)
        .values_list("to", flat=True)
        .first()
    )
    return to is not None and not suppressions.among([to])


def hold_reply(
    request: InboundRequest,
    ticket: Ticket,
    *,
    person: Person,
    author_email: str,
    subject: str,
    body: str,
    body_html: str,
    files: list[ticket_actions.IncomingFile],
    message_id: str,
    cites: Sequence[str],
) -> Message:
    """E3 for a reply: keep it on the ticket for agents only, and email the registered address a link.

    Unlike ``record_customer_reply`` it does not reopen the ticket, start an SLA clock or
    tell webhooks: nobody acts on it until the registered address confirms it.
    """
    message = ticket_actions.hold_customer_reply(
        ticket,
        body=body,
        person=person,
        author_email=author_email,
        body_html=body_html,
        files=files,
        source_id=request.pk,
        message_id=message_id,
        cites=cites,
    )
    ticket = message.ticket
    # The RFC 3834 limit stops a flood of forged replies from flooding the address with
    # links; one it withholds waits for the address's next list of what waits (intake.waiting).
    emailed = automatic_reply_allowed(author_email)
    context = create_confirmation(request, ticket, person, author_email, emailed=emailed)
    if not emailed:
        audit.record(
            ticket,
            "email.withheld",
            data={"address": author_email, "limit": settings.CAPDESK_AUTO_REPLIES_PER_DAY, "link": True},
        )
        return message
    # In the ticket's language, which the registered customer chose; the email says nothing
    # about the ticket beyond what the sender wrote (its subject), since the sender may be anyone.
    mail = {
        "subject": subject[:200],
        "confirm_url": context["confirm_url"],
        "lifetime": context["confirm_minutes"],
    }
    email_subject, email_body = render_email("intake/email/held_reply", mail, language=ticket.mail_language)
    # Threaded on the sender's own mail only: the ticket's reference and reply address stay out.
    threading = {"In-Reply-To": message_id, "References": message_id} if message_id else {}
    queue_email(
        to=author_email,
        subject=" ".join(email_subject.split()),
        body_text=email_body,
        kind="sender_confirmation.reply",
        ticket_id=ticket.pk,
        headers={"Auto-Submitted": "auto-replied", **threading},
        automatic=True,
    )
    return message


@dataclass(frozen=True)
class HeldReply:
    """A held reply as the console lists it: the message, and whether its link was emailed and still works."""

    message: Message
    link_expires_at: datetime | None  # None if it has no confirmation row
    link_withheld: bool = False  # the daily limit withheld its link: the address's next list takes it

    @property
    def link_expired(self) -> bool:
        return self.link_expires_at is not None and self.link_expires_at <= timezone.now()


def held_replies(messages: QuerySet[Message], limit: int) -> list[HeldReply]:
    """Up to ``limit`` of ``messages``' held replies, oldest first, each with its link's expiry (one query more)."""
    held = list(messages.filter(held=True).select_related("ticket").order_by("created_at", "pk")[:limit])
    links = {
        request_id: (expires_at, emailed_at)
        for request_id, expires_at, emailed_at in SenderConfirmation.objects.filter(
            request_id__in={m.source_id for m in held if m.source_id}
        )
        .order_by("created_at")
        .values_list("request_id", "expires_at", "emailed_at")
    }
    out = []
    for m in held:
        link = links.get(m.source_id) if m.source_id else None
        out.append(HeldReply(m, link[0], link[1] is None) if link else HeldReply(m, None))
    return out


def _lock_held(ticket: Ticket, message_pk: int) -> Message | None:
    """The held reply, locked; None if it is no longer held on the ticket (or the one it was merged into).

    Locks are taken in ``confirm_sender``'s order, its link's confirmation before the message,
    so an agent settling a reply while the customer clicks its link waits instead of deadlocking.
    """
    held = Message.objects.filter(pk=message_pk, ticket=ticket.surviving(), held=True)
    source_id = held.values_list("source_id", flat=True).first()
    if source_id is not None:
        list(
            SenderConfirmation.objects.select_for_update()
            .filter(request_id=source_id)
            .order_by("pk")
            .values_list("pk")
        )
    return held.select_for_update().first()


def _settle(
    ticket: Ticket,
    message_pk: int,
    *,
    agent: User | None,
    reason: str,
    kind: str,
    link: Mapping[str, object],
    data: Mapping[str, object] | None = None,
    person: Person | None = None,
) -> Message | None:
    """Lock the held reply, change its link as ``link`` says and record ``kind`` in the History;
    None if it is no longer held."""
    message = _lock_held(ticket, message_pk)
    if message is None:
        return None
    if message.source_id is not None:
        # Its link must not act once an agent settled it: ``confirm_sender`` would otherwise
        # find no held reply and decide the ticket again as a new request.
        SenderConfirmation.objects.filter(request_id=message.source_id, confirmed_at__isnull=True).update(
            **link
        )
    # A discarded message's row goes: its Message-ID and request find its email again.
    facts = {"author": message.author_email, "message": message.pk, "message_id": message.message_id}
    facts |= {"request": message.source_id, **(data or {})}
    audit.record(message.ticket, kind, user=agent, person=person, reason=reason, data=facts)
    return message


@transaction.atomic
def release_held_reply(ticket: Ticket, message_pk: int, *, agent: User, reason: str) -> Message | None:
    """An agent vouches for a held reply (the customer confirmed it another way): publish it as
    the sender's own confirmation would, and mark its link used. None if it is no longer held."""
    link = {"confirmed_at": timezone.now()}
    message = _settle(ticket, message_pk, agent=agent, reason=reason, kind="held_reply.released", link=link)
    if message is not None:
        ticket_actions.publish_held_reply(message)
    return message


@transaction.atomic
def discard_held_reply(
    ticket: Ticket, message_pk: int, *, agent: User | None, reason: str, rejected_by: Person | None = None
) -> bool:
    """An agent judged a held reply forged or unwanted: it leaves the ticket, and its link stops working.

    The email itself stays whole with its request in the intake log, for the record; the
    History says who discarded it and why. Returns False if it was no longer held. With no
    agent, the desk discards one nobody settled in time (``discard_expired_held_replies``),
    or one its registered owner, signed in, said they did not send (``rejected_by``).
    """
    now = timezone.now()
    link: dict[str, object] = {"expires_at": now}
    data: dict[str, object] = {}
    if agent is not None:
        kind, note = "held_reply.discarded", f"held reply discarded by {agent.get_username()}"
    elif rejected_by is not None:
        kind, note = "held_reply.rejected", "held reply discarded: its registered owner did not send it"
        link["rejected_at"] = now
    else:
        days = settings.CAPDESK_HELD_REPLY_DAYS
        kind, data = "held_reply.expired", {"days": days}
        note = f"held reply discarded: unconfirmed {days} days after its link expired"
    message = _settle(
        ticket, message_pk, agent=agent, reason=reason, kind=kind, link=link, data=data, person=rejected_by
    )
    if message is None:
        return False
    if message.source_id is not None:
        request = InboundRequest.objects.select_for_update().get(pk=message.source_id)
        request.reason = f"{request.reason}; {note}" if request.reason else note
        request.save(update_fields=["reason"])
    files = list(message.attachments.values_list("file", flat=True))
    message.delete()
    # Files are named by content: another message may hold the same one.
    orphans = set(files) - set(Attachment.objects.filter(file__in=files).values_list("file", flat=True))
    transaction.on_commit(lambda: _delete_files(orphans))
    return True


# Held replies discarded per run of the scheduler's job; the next run takes the rest.
EXPIRY_BATCH = 100


def discard_expired_held_replies() -> int:
    """Discard the held replies nobody confirmed or settled ``CAPDESK_HELD_REPLY_DAYS`` after
    their link expired; returns how many. Each in its own transaction, as an agent's would be.

    A held reply is out of every customer's sight and acts on nothing, but a held list that
    only grows hides the new ones; mail desks drop suspended mail after a fortnight too.
    """
    kept_since = timezone.now() - timedelta(days=settings.CAPDESK_HELD_REPLY_DAYS)
    # A link expires CAPDESK_CONFIRM_MINUTES after the reply was held (one without a link is
    # timed as if it had one); a link that expired less long ago, or still works, keeps it.
    kept_links = SenderConfirmation.objects.filter(confirmed_at__isnull=True, expires_at__gt=kept_since)
    stale = (
        Message.objects.filter(
            held=True, created_at__lt=kept_since - timedelta(minutes=settings.CAPDESK_CONFIRM_MINUTES)
        )
        .exclude(source_id__in=kept_links.values("request_id"))
        .select_related("ticket")
        .order_by("created_at", "pk")[:EXPIRY_BATCH]
    )
    return sum(discard_held_reply(m.ticket, m.pk, agent=None, reason="") for m in stale)


def _delete_files(names: set[str]) -> None:
    # Checked again after the commit: another worker may have stored a message with the same
    # file (named by content) since the discard looked. What is left is that moment's width.
    held = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    for name in sorted(names - held):
        default_storage.delete(name)
