"""The suppression list: addresses the desk no longer emails, and how one comes off it.

Mail to an address that is gone costs the desk more than a wasted send: every hard
bounce and every spam report lowers the sending domain's reputation with the big
mailbox providers, until Capgo's replies to everyone land in spam. So, like Postmark,
Amazon SES and SendGrid, the desk keeps a list. An address goes on it when

- a delivery status notification cites an email of ours to it and says it failed for
  good (``intake.bounces``, reason ``bounce``);
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
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.notify.signals import email_bounced

logger = logging.getLogger(__name__)

# Kinds of email the recipient asked for just now: sent even to a suppressed address.
ASKED_FOR = frozenset({"magic_link", "status_confirm"})


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


def record_bounce(address: str, emails: QuerySet[OutboundEmail], *, said: str, at: datetime) -> None:
    """What a genuine report that our ``emails`` to ``address`` failed for good changes.

    The emails record when and what was said (their ticket's agents see it), the apps
    that sent them hear it (``email_bounced``: the status page unsubscribes the address),
    and the address goes on the list.
    """
    address = address.strip().lower()
    said = said.strip()[:300]
    kinds = set(emails.values_list("kind", flat=True))
    first = emails.order_by("pk").first()
    emails.update(bounced_at=at, bounce=said)
    email_bounced.send(OutboundEmail, address=address, kinds=kinds, at=at)
    suppress(address, reason=Suppression.Reason.BOUNCE, detail=said, email=first)


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
