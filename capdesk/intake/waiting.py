"""What waits for a registered address to confirm it (E3), so that it never waits unseen.

The RFC 3834 limit on automatic replies (``notify.actions``) is what stops mail forged in
a customer's name from flooding their inbox with confirmation links; but five forged
emails then used up the day's links, and a genuine request after them waited, held, with
no link ever sent. So a link the limit withholds is not lost:

- once a day at most, the address gets ONE email listing what still waits for its
  confirmation, each with a fresh link (``email_waiting``, run by the scheduler): a flood
  of forgeries costs the customer one email a day more, never their genuine request;
- signed in to the portal (which proves the address, by a magic link or the dashboard),
  the customer sees every one and confirms or rejects it (``waiting_for``, ``confirm_waiting``,
  ``reject_waiting``), through the same ``confirmation.confirm`` as the link;
- an agent may email a link again (``email_link_again``), a deliberate act, not a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation

from capdesk.directory.models import EmailAddress, Person
from capdesk.intake.confirmation import Confirmed, confirm, discard_held_reply, lifetime_text, renew_link
from capdesk.intake.models import SenderConfirmation
from capdesk.notify import suppressions
from capdesk.notify.actions import queue_email, render_email
from capdesk.notify.models import OutboundEmail
from capdesk.policy.types import Outcome
from capdesk.tickets import audit
from capdesk.tickets.actions import change_status
from capdesk.tickets.models import Message, Status, Ticket

# The address's list of what waits: one a day at most, whatever the forgers send.
LIST_KIND = "sender_confirmation.waiting"
LIST_WINDOW = timedelta(hours=24)
# A withheld link waits this long before its list goes: a burst of forged mail is listed whole.
GATHER = timedelta(minutes=10)
# The list names this many, newest first; the portal shows them all.
LIST_SIZE = 20
AGAIN_KIND = "sender_confirmation.again"
# An agent's "again" this soon after the last link went out is a double click, or impatience:
# the mail is still on its way, and each new link retires the one before.
AGAIN_AFTER = timedelta(minutes=1)


def waiting() -> QuerySet[SenderConfirmation]:
    """Confirmations whose held reply or request still waits: neither confirmed, rejected nor settled
    by an agent (a settled reply left the ticket; an overridden request is no longer held)."""
    reply = Message.objects.filter(source_id=OuterRef("request_id"), held=True)
    request = Message.objects.filter(
        source_id=OuterRef("request_id"), held=False, ticket__outcome=Outcome.VERIFY_SENDER
    )
    return SenderConfirmation.objects.filter(
        Exists(reply) | Exists(request), confirmed_at__isnull=True, rejected_at__isnull=True
    )


def _held_request(ticket: Ticket) -> QuerySet[SenderConfirmation]:
    """The confirmations of ``ticket``'s own held request (its opening email), not of replies held on it."""
    opening = Message.objects.filter(source_id=OuterRef("request_id"), ticket=ticket, held=False)
    return SenderConfirmation.objects.filter(Exists(opening), ticket=ticket)


def waiting_for(person: Person) -> QuerySet[SenderConfirmation]:
    """What waits for ``person``, sent from an address still registered on their account."""
    mine = EmailAddress.objects.filter(person=person).values("email")
    return waiting().filter(person=person, email__in=mine)


@dataclass(frozen=True)
class Waiting:
    """One email waiting for confirmation, as the customer is shown it: never as their own words."""

    confirmation: SenderConfirmation
    subject: str
    received_at: datetime
    verdict: str
    excerpt: str  # the start of the unconfirmed text, plain, for recognising it
    reply_to: Ticket | None  # the request a held reply would join; None for a new request


EXCERPT_CHARS = 160


def listed(confirmations: QuerySet[SenderConfirmation], limit: int | None = None) -> list[Waiting]:
    """Up to ``limit`` of ``confirmations``, newest first, each with what identifies its email (a few queries)."""
    rows = list(confirmations.select_related("request", "ticket").order_by("-created_at", "-pk")[:limit])
    bodies = dict(
        Message.objects.filter(source_id__in=[c.request_id for c in rows])
        .order_by("created_at")
        .values_list("source_id", "body_text")
    )
    held_replies = set(
        Message.objects.filter(source_id__in=[c.request_id for c in rows], held=True).values_list(
            "source_id", flat=True
        )
    )
    out = []
    for c in rows:
        text = " ".join(bodies.get(c.request_id, "").split())
        out.append(
            Waiting(
                confirmation=c,
                subject=_subject(c),
                received_at=c.request.received_at,
                verdict=c.request.sender_auth_reason,
                excerpt=text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + " …",
                reply_to=c.ticket if c.request_id in held_replies else None,
            )
        )
    return out


def _subject(confirmation: SenderConfirmation) -> str:
    """The email's own Subject (a held reply's is not stored elsewhere); the ticket's if unreadable."""
    raw = bytes(confirmation.request.raw)
    if confirmation.request.channel == "email":
        subject = BytesHeaderParser(policy=default_policy).parsebytes(raw).get("subject")
        if subject:
            return " ".join(str(subject).split())[:200]
    return confirmation.ticket.subject


def _locked(person: Person, pk: int) -> SenderConfirmation | None:
    return waiting_for(person).select_for_update().select_related("ticket", "person").filter(pk=pk).first()


@transaction.atomic
def confirm_waiting(person: Person, pk: int) -> Confirmed | None:
    """``person``, signed in, says they sent it: as if they used its link. None if it no longer waits."""
    confirmation = _locked(person, pk)
    if confirmation is None:
        return None
    return confirm(confirmation, via="portal")


@transaction.atomic
def reject_waiting(person: Person, pk: int) -> bool:
    """``person``, signed in, says they did not send it: a held reply is discarded, a held request
    closed as forged, still shown to no customer; its link stops working. Whether it still waited."""
    confirmation = _locked(person, pk)
    if confirmation is None:
        return False
    reason = "the registered customer said, signed in to the portal, that they did not send it"
    held = (
        Message.objects.filter(source_id=confirmation.request_id, held=True).select_related("ticket").first()
    )
    if held is not None:
        return discard_held_reply(held.ticket, held.pk, agent=None, reason=reason, rejected_by=person)
    now = timezone.now()
    confirmation.rejected_at = confirmation.expires_at = now
    confirmation.save(update_fields=["rejected_at", "expires_at"])
    ticket = Ticket.objects.select_for_update().get(pk=confirmation.ticket_id)
    audit.record(
        ticket, "sender.rejected", person=person, reason=reason, data={"address": confirmation.email}
    )
    change_status(ticket, Status.CLOSED, agent=None, reason=reason)
    return True


def email_waiting(limit: int = 100) -> int:
    """The scheduler's job: email each address whose link the limit withheld its list of what
    waits, if it had none in ``LIST_WINDOW``; how many lists it sent. Each in its own transaction."""
    now = timezone.now()
    listed_lately = OutboundEmail.objects.filter(kind=LIST_KIND, created_at__gte=now - LIST_WINDOW)
    due = (
        waiting()
        .filter(emailed_at__isnull=True, created_at__lte=now - GATHER)
        .exclude(email__in=listed_lately.values("to"))
        .values_list("email", flat=True)
        .distinct()[:limit]
    )
    return sum(_email_list(address) for address in list(due))


@transaction.atomic
def _email_list(address: str) -> bool:
    rows = waiting().filter(email=address).select_for_update(of=("self",)).select_related("person")
    if not rows.filter(emailed_at__isnull=True).exists():  # confirmed or listed meanwhile
        return False
    shown = listed(rows, LIST_SIZE)
    more = rows.count() - len(shown) if len(shown) == LIST_SIZE else 0
    _send(address, shown[0].confirmation.person.language, shown, more=more, kind=LIST_KIND)
    for item in shown:
        audit.record(
            item.confirmation.ticket, "confirmation.emailed", data={"address": address, "by": "list"}
        )
    return True


def _send(address: str, language: str, items: list[Waiting], *, more: int, kind: str) -> OutboundEmail | None:
    """Email ``items`` to ``address``, each with a fresh link, in ``language``."""
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    links = [
        {
            "subject": i.subject,
            "received_at": i.received_at,
            "url": renew_link(i.confirmation, language=language),
        }
        for i in items
    ]
    with translation.override(language):
        lifetime = lifetime_text(settings.CAPDESK_CONFIRM_MINUTES)
    context = {
        "links": links,
        "count": len(links) + more,
        "more": more,
        "lifetime": lifetime,
        "portal_url": f"{settings.BASE_URL}/portal/waiting/",
        "by_list": kind == LIST_KIND,
    }
    subject, body = render_email("intake/email/waiting", context, language=language)
    return queue_email(
        to=address,
        subject=" ".join(subject.split()),
        body_text=body,
        kind=kind,
        ticket_id=items[0].confirmation.ticket_id if len(items) == 1 else None,
        # Sent by the desk on its own, though in no answer to one email (RFC 3834 5.1).
        headers={"Auto-Submitted": "auto-generated"} if kind == LIST_KIND else {},
    )


@dataclass(frozen=True)
class Again:
    """What an agent's "Email the confirmation link again" did: sent, or why not."""

    sent: bool
    refused: str = (
        ""  # "suppressed", "recent" (emailed a moment ago), or "settled" when nothing waits any more
    )
    address: str = ""


@transaction.atomic
def email_link_again(ticket: Ticket, *, agent: User) -> Again:
    """An agent emails a held request's registered address a fresh link: their deliberate act,
    outside the limit on automatic replies, and recorded. Refused to a suppressed address."""
    confirmation = (
        waiting()
        .filter(pk__in=_held_request(ticket).values("pk"))
        .select_for_update()
        .order_by("-pk")
        .first()
    )
    if confirmation is None:
        return Again(False, "settled")
    if suppressions.among([confirmation.email]):
        return Again(False, "suppressed", confirmation.email)
    if confirmation.emailed_at is not None and confirmation.emailed_at > timezone.now() - AGAIN_AFTER:
        return Again(False, "recent", confirmation.email)
    [item] = listed(SenderConfirmation.objects.filter(pk=confirmation.pk))
    _send(confirmation.email, ticket.mail_language, [item], more=0, kind=AGAIN_KIND)
    audit.record(
        ticket, "confirmation.emailed", user=agent, data={"address": confirmation.email, "by": "agent"}
    )
    return Again(True, address=confirmation.email)


def link_state(ticket: Ticket) -> SenderConfirmation | None:
    """The held request's confirmation, for the console's banner (emailed, withheld, rejected)."""
    return _held_request(ticket).filter(confirmed_at__isnull=True).order_by("-pk").first()
