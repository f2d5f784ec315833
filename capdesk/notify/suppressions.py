"""The suppression list: addresses the desk no longer emails, and how one comes off it.

Mail to an address that is gone costs the desk more than a wasted send: every hard
bounce and every spam report lowers the sending domain's reputation with the big
mailbox providers, until Capgo's replies to everyone land in spam. So, like Postmark,
Amazon SES and SendGrid, the desk keeps a list. An address goes on it when

- a delivery status notification cites an email of ours to it and says the address
  does not take mail (``intake.bounces``, reason ``bounce``; ``dead_address``: other
  permanent failures, such as a DMARC or content block, may be the desk's own doing);
- the relay refused it at RCPT with a permanent "no such address" (5.1.x), or an API
  provider refused the recipient (``notify.actions``, ``refused``);
- a provider's tracking webhook reports a hard bounce or a spam complaint about an email
  of ours (``notify.tracking``, ``bounce`` or ``complaint``);
- staff put it there in the admin (``manual``).

While an address is on it, the outbox settles each email to it as ``suppressed`` instead
of sending it; agents see on the ticket which replies were not emailed, and the customer
still reads them in the portal. Two kinds are sent anyway because the person asked for
them a moment ago (``ASKED_FOR``): a sign-in link, and the confirmation of a status-page
subscription. Using the link in either is proof the mailbox takes mail again, and lifts
the suppression (``lift``); so does an agent on the ticket page, staff in the admin, and
an email from the address that passes sender authentication.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from capdesk.directory.models import EmailAddress
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.notify.signals import email_bounced

logger = logging.getLogger(__name__)

# Kinds of email sent even to a suppressed address, because the person asked for them a
# moment ago or nothing can go on without them: a sign-in link, a status subscription's
# confirmation, and the link that proves an unauthenticated sender owns the address (a new
# request or a reply held until it is used; both automatic replies, so rate-limited; and the
# address's daily list of those the limit withheld). An agent's "email the link again" is
# refused to a suppressed address instead (intake.waiting).
ASKED_FOR = frozenset(
    {
        "magic_link",
        "status_confirm",
        "reply.verify_sender",
        "sender_confirmation.reply",
        "sender_confirmation.waiting",
    }
)

# What says the address itself is dead, in an enhanced status code (RFC 3463): bad mailbox
# (5.1.1), bad system (5.1.2), bad syntax (5.1.3), moved (5.1.6), no mail accepted (5.1.10,
# RFC 7505), mailbox disabled (5.2.1). Other permanent failures (5.7.x policy, DMARC, content,
# 5.2.2 mailbox full, 5.3.4 too big) may be the desk's own doing or pass: the email records
# them, but the address stays on.
_DEAD_ADDRESS = re.compile(r"(?<![\d.])5\.(?:1\.(?:1|2|3|6|10)|2\.1)(?![.\d])")


def dead_address(said: str) -> bool:
    """Whether a server's words (an enhanced status code in them) say the address does not take mail."""
    return _DEAD_ADDRESS.search(said) is not None


def _domain(address: str) -> str:
    # Logs name the domain only: an address in full is personal data (CONVENTIONS 14).
    return address.rpartition("@")[2] or "?"


def suppress(
    address: str, *, reason: str, detail: str = "", email: OutboundEmail | None = None
) -> Suppression:
    """Put the address on the list, or, if it is there already, keep its first reason and date."""
    address = address.strip().lower()
    fields = {"reason": reason, "detail": detail[:300], "email": email}
    try:
        with transaction.atomic():
            suppression, created = Suppression.objects.get_or_create(address=address, defaults=fields)
    except IntegrityError:  # another worker put it there between the read and the insert
        suppression, created = Suppression.objects.get(address=address), False
    if created:
        logger.info(
            "notify.suppressed", extra={"domain": _domain(address), "reason": str(suppression.reason)}
        )
    return suppression


def record_bounce(
    address: str, emails: QuerySet[OutboundEmail], *, said: str, at: datetime, dead: bool | None = None
) -> int:
    """What a genuine report that our ``emails`` to ``address`` failed for good changes.

    Returns how many registered addresses it marked (``EmailAddress.bounced_at``, 0 or 1).
    The emails record when and what was said (their ticket's agents see it). When the
    address itself is dead (``dead``, or by default ``dead_address(said)``), the apps that
    sent them hear it (``email_bounced``: the status page unsubscribes it) and it goes on
    the list; a failure that may be the desk's own (DMARC, a policy block) changes no more.
    """
    address = address.strip().lower()
    said = said.strip()[:300]
    dead = dead_address(said) if dead is None else dead
    marked = EmailAddress.objects.filter(email__iexact=address).update(bounced_at=at)
    bounced = list(emails.order_by("pk").only("pk", "kind", "ticket_id", "to"))
    kinds = {email.kind for email in bounced}
    first = bounced[0] if bounced else None
    emails.update(bounced_at=at, bounce=said)
    for email in bounced:
        tell_ticket(email, said=said)
    if dead:
        email_bounced.send(OutboundEmail, address=address, kinds=kinds, at=at)
        suppress(address, reason=Suppression.Reason.BOUNCE, detail=said, email=first)
    return marked


def tell_ticket(email: OutboundEmail, *, said: str) -> None:
    """Add to the History of the email's ticket, if it has one, that the email did not arrive, and what was said."""
    if email.ticket_id is None:
        return
    from capdesk.tickets import audit  # tickets queue email: imported when needed
    from capdesk.tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=email.ticket_id).first()
    if ticket is not None:
        ticket = ticket.surviving()  # merged since: its messages, and their readers, are there
        audit.record(
            ticket, "email.undelivered", reason=said[:300], data={"email": email.pk, "address": email.to}
        )


def lift(address: str, *, why: str) -> bool:
    """Take the address off the list; whether it was on it. ``why`` is logged."""
    address = address.strip().lower()
    deleted, _ = Suppression.objects.filter(address=address).delete()
    if deleted:
        logger.info("notify.suppression_lifted", extra={"domain": _domain(address), "why": why})
    return bool(deleted)


def lift_all(addresses: Iterable[str], *, why: str) -> int:
    """``lift`` for several addresses in one query; how many were on the list."""
    wanted = {address.strip().lower() for address in addresses}
    if not wanted:
        return 0
    deleted, _ = Suppression.objects.filter(address__in=wanted).delete()
    if deleted:
        logger.info("notify.suppression_lifted", extra={"count": deleted, "why": why})
    return deleted


def holding(email: OutboundEmail) -> Suppression | None:
    """The suppression that keeps this email from being sent; None when it may go."""
    if email.kind in ASKED_FOR:
        return None
    return Suppression.objects.filter(address=email.to.strip().lower()).first()


def among(addresses: Iterable[str]) -> dict[str, Suppression]:
    """The suppressions of these addresses, by lower-cased address."""
    wanted = {address.strip().lower() for address in addresses}
    if not wanted:
        return {}
    return {s.address: s for s in Suppression.objects.filter(address__in=wanted)}
