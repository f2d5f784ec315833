"""Who is copied on a ticket (its CCs), as Zendesk and Zammad keep them.

A copied address is emailed the agents' public replies, may answer them by mail or in
the portal, and sees the ticket in the portal when it belongs to a Capgo account. It
changes nobody's entitlement: the policy decides on the requester alone.

Addresses come from three places, each recorded in the History with who added them:

- the To and Cc of a customer's email, only when the sender proved the From address
  (DKIM, ARC or a trusted relay's DMARC): an unproven sender could otherwise have the
  desk mail replies to anyone it names;
- the requester (or their organization's admin) in the portal;
- an agent in the console.

The requester, the desk's own addresses and automatic mailboxes are never copied, and a
ticket has at most ``CAPDESK_MAX_COPIED`` copied addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import getaddresses

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from capdesk.directory.models import Person, normalise_email
from capdesk.tickets import audit
from capdesk.tickets.models import Copied, Ticket
from capdesk.tickets.reply_address import split_plus, support_addresses

# Mailboxes nobody reads or that answer on their own: copying them only makes noise or loops.
_AUTOMATIC_LOCAL = re.compile(
    r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?)(?:[+._-].*)?$"
)


class CopyRefused(ValueError):
    """An address that may not be copied, with a reason the person who asked can read."""


def _clean(address: str) -> str:
    address = normalise_email(address)
    try:
        validate_email(address)
    except ValidationError:
        raise CopyRefused(_("“%(address)s” is not an email address.") % {"address": address}) from None
    return address


def _may_copy(ticket: Ticket, address: str) -> str:
    """Why ``address`` (clean) may not be copied on ``ticket``, or "" when it may."""
    if address == ticket.requester_email.lower():
        return _("%(address)s is the requester, who gets every reply already.") % {"address": address}
    base, _tag = split_plus(address)
    if base in support_addresses():
        return _("%(address)s is the desk's own address.") % {"address": address}
    if _AUTOMATIC_LOCAL.match(address.rpartition("@")[0]):
        return _("%(address)s is an automatic mailbox.") % {"address": address}
    return ""


def addresses(ticket: Ticket) -> list[str]:
    """The addresses copied on ``ticket``, in the order they were added."""
    return list(Copied.objects.filter(ticket=ticket).values_list("email", flat=True))


def is_copied(ticket: Ticket, address: str) -> bool:
    return Copied.objects.filter(ticket=ticket, email=normalise_email(address)).exists()


def add(
    ticket: Ticket,
    wanted: Iterable[str],
    *,
    how: str,
    user: User | None = None,
    person: Person | None = None,
    strict: bool = True,
) -> list[str]:
    """Copy ``wanted`` on ``ticket``; the addresses newly copied, in order.

    ``strict`` (a person typed them) raises CopyRefused for the first address that may
    not be copied, and when the ticket would have too many; otherwise (mail) such
    addresses are skipped, and those past the limit dropped.
    """
    ticket = ticket.surviving()
    candidates: list[str] = []
    for raw in wanted:
        try:
            address = _clean(raw)
            refused = _may_copy(ticket, address)
        except CopyRefused as exc:
            address, refused = "", str(exc)
        if refused:
            if strict:
                raise CopyRefused(refused)
        elif address not in candidates:
            candidates.append(address)
    if not candidates:  # most mail names only the desk: no query
        return []
    present = set(addresses(ticket))
    added = [a for a in candidates if a not in present]
    room = max(settings.CAPDESK_MAX_COPIED - len(present), 0)
    if len(added) > room:
        if strict:
            raise CopyRefused(
                _("A ticket has at most %(count)d copied addresses; remove one first.")
                % {"count": settings.CAPDESK_MAX_COPIED}
            )
        added = added[:room]
    if added:
        # Refusals are raised before this: a refusal must not break a caller's transaction.
        with transaction.atomic(savepoint=False):
            # Two people copying the same address at once: the unique constraint keeps one row.
            Copied.objects.bulk_create([Copied(ticket=ticket, email=a) for a in added], ignore_conflicts=True)
            data: dict[str, object] = {"emails": added, "how": how}
            audit.record(ticket, "copied.added", user=user, person=person, data=data)
    return added


@transaction.atomic(savepoint=False)
def remove(ticket: Ticket, address: str, *, user: User | None = None, person: Person | None = None) -> bool:
    """Stop copying ``address`` on ``ticket``; whether it was copied."""
    address = normalise_email(address)
    deleted, _ = Copied.objects.filter(ticket=ticket, email=address).delete()
    if deleted:
        audit.record(ticket, "copied.removed", user=user, person=person, data={"email": address})
    return bool(deleted)


def recipients_of(header_values: Iterable[str]) -> list[str]:
    """Every address in the given To and Cc header values, as written (``add`` cleans them)."""
    return [address for _, address in getaddresses(list(header_values)) if address]


def move(source: Ticket, target: Ticket, *, user: User | None) -> None:
    """A merge: the addresses copied on ``source`` follow its conversation to ``target``.

    Its requester is not copied: as before, they may still answer (``merging.may_reply``).
    """
    wanted = addresses(source)
    if wanted:
        Copied.objects.filter(ticket=source).delete()
        add(target, wanted, how="merge", user=user, strict=False)
