"""Who is copied on a ticket (its CCs), as Zendesk and Zammad keep them.

A copied address is emailed the agents' public replies, may answer them by mail or in
the portal, and sees the ticket in the portal when it belongs to a Capgo account. It
changes nobody's entitlement: the policy decides on the requester alone.

Addresses come from three places, each recorded in the History with who added them:

- the To and Cc of an email from the requester or an admin of the organization, a
  registered customer who proved the From address (DKIM, ARC or a trusted relay's DMARC):
  anyone else could otherwise have the desk mail replies to whoever they name
  (``intake.email_channel``);
- the requester (or their organization's admin) in the portal;
- an agent in the console.

The requester, the desk's own addresses and automatic mailboxes are never copied, and a
ticket has at most ``CAPDESK_MAX_COPIED`` copied addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from capdesk.directory.models import Person, normalise_email
from capdesk.tickets import audit, mailboxes
from capdesk.tickets.models import Copied, Ticket

# Between the addresses typed in one field.
_SEPARATORS = ",;\n"


class CopyRefused(ValueError):
    """An address that may not be copied, with a reason the person who asked can read."""


def address_of(typed: str) -> str:
    """The address in what a person typed: "Ana Rivera <ana@globex.example>", as mail clients
    copy one, is the address inside; lower-cased, not checked."""
    return normalise_email(parseaddr(typed)[1] or typed)


def _clean(typed: str) -> str:
    if len([a for _name, a in getaddresses([typed]) if a]) > 1:
        # address_of would take the first and drop the rest without a word.
        raise CopyRefused(
            _("“%(typed)s” holds more than one address; give them one by one.")
            % {"typed": typed.strip()[:300]}
        )
    address = address_of(typed)
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    # validate_email takes up to 320 characters; RFC 5321 paths, and the column, hold 254.
    if not address or len(address) > 254:
        raise CopyRefused(_("“%(address)s” is not an email address.") % {"address": typed.strip()[:300]})
    return address


def _merged(ticket: Ticket) -> CopyRefused:
    return CopyRefused(
        _("%(reference)s was merged into another ticket; who is copied is managed there.")
        % {"reference": ticket.reference}
    )


def _may_copy(requester_email: str, address: str) -> str:
    """Why ``address`` (clean) may not be copied on a ticket of ``requester_email``, or "" when it may."""
    if address == requester_email.lower():
        return _("%(address)s is the requester's address, which gets every reply already.") % {
            "address": address
        }
    # Copying them only makes noise or loops (tickets.mailboxes).
    if mailboxes.is_desk_address(address):
        return _("%(address)s is the support desk's own address.") % {"address": address}
    if mailboxes.is_no_reply(address):
        return _("%(address)s is an automatic mailbox.") % {"address": address}
    return ""


def _checked(requester_email: str, wanted: Iterable[str], *, strict: bool) -> list[str]:
    """``wanted``, cleaned, without repeats and without what may not be copied on a ticket of
    ``requester_email`` (or CopyRefused if ``strict``)."""
    out: list[str] = []
    for typed in wanted:
        try:
            address = _clean(typed)
            refused = _may_copy(requester_email, address)
        except CopyRefused as exc:
            address, refused = "", str(exc)
        if refused:
            if strict:
                raise CopyRefused(refused)
        elif address not in out:
            out.append(address)
    return out


def split_typed(text: str) -> list[str]:
    """What a person typed in one field, an entry per address: commas, semicolons or new lines
    between them (not inside a quoted name or <...>: '"Santoso, Rudi" <rudi@acme.test>', as
    mail clients copy a contact, is one), or spaces where no "Name <address>" is written."""
    chunks: list[str] = []
    chunk: list[str] = []
    quoted = angled = False
    for char in text:
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char in _SEPARATORS and not (quoted or angled):
            chunks.append("".join(chunk))
            chunk = []
            continue
        chunk.append(char)
    chunks.append("".join(chunk))
    entries: list[str] = []
    for typed in chunks:
        entries += [typed.strip()] if "<" in typed else typed.split()
    return [entry for entry in entries if entry]


def typed_list(text: str, *, requester_email: str) -> list[str]:
    """The addresses a person typed to copy on a request they are filing (commas, semicolons
    or new lines between them; "Name <address>" as mail clients copy one), cleaned, without
    repeats and without the requester's own; CopyRefused for one that may never be copied or
    for more than ``CAPDESK_MAX_COPIED``."""
    # The requester may list themselves among colleagues: they get every reply anyway.
    typed = [entry for entry in split_typed(text) if address_of(entry) != requester_email.lower()]
    out = _checked(requester_email, typed, strict=True)
    if len(out) > settings.CAPDESK_MAX_COPIED:
        raise CopyRefused(
            _("A ticket has at most %(count)d copied addresses.") % {"count": settings.CAPDESK_MAX_COPIED}
        )
    return out


def candidates(ticket: Ticket, wanted: Iterable[str]) -> list[str]:
    """Which of ``wanted`` could be copied on ``ticket`` at all (without asking the database)."""
    return _checked(ticket.requester_email, wanted, strict=False)


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
    by: str = "",
    strict: bool = True,
) -> list[str]:
    """Copy ``wanted`` on ``ticket``; the addresses newly copied, in order.

    ``strict`` (a person typed them) raises CopyRefused for the first address that may
    not be copied, when the ticket would have too many, and on a merged ticket: its
    survivor may be another requester's, whom the person may not see. Otherwise (mail, a
    merge) such addresses are skipped, those past the limit dropped, and a merged ticket's
    copies go to its survivor. ``by`` names who asked when no account does (the sender of
    an email).
    """
    if strict and ticket.merged_into_id is not None:
        raise _merged(ticket)
    ticket = ticket.surviving()
    checked = _checked(ticket.requester_email, wanted, strict=strict)
    if not checked:  # most mail names only the desk: no query
        return []
    # A savepoint: a refusal raised inside leaves a caller's transaction usable.
    with transaction.atomic():
        # The ticket's row is the lock: two people copying at once cannot pass the limit
        # together, nor copy on a ticket a merge is closing.
        locked = (
            Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("merged_into_id", flat=True)
        )
        if locked.get() is not None:  # merged since it was read
            if strict:
                raise _merged(ticket)
            return []
        present = set(addresses(ticket))
        added = [a for a in checked if a not in present]
        room = max(settings.CAPDESK_MAX_COPIED - len(present), 0)
        dropped = added[room:]
        if dropped and strict:
            raise CopyRefused(
                _("A ticket has at most %(count)d copied addresses; remove one first.")
                % {"count": settings.CAPDESK_MAX_COPIED}
            )
        added = added[:room]
        if added or dropped:
            Copied.objects.bulk_create([Copied(ticket=ticket, email=a) for a in added])
            data: dict[str, object] = {"emails": added, "how": how}
            if by:
                data["by"] = by
            if dropped:
                data["dropped"] = dropped
            audit.record(ticket, "copied.added", user=user, person=person, data=data)
    return added


@transaction.atomic(savepoint=False)
def remove(ticket: Ticket, address: str, *, user: User | None = None, person: Person | None = None) -> bool:
    """Stop copying ``address`` on ``ticket``; whether it was copied."""
    address = normalise_email(address)
    deleted, _count = Copied.objects.filter(ticket=ticket, email=address).delete()
    if deleted:
        audit.record(ticket, "copied.removed", user=user, person=person, data={"email": address})
    return bool(deleted)


def recipients_of(header_values: Iterable[str]) -> list[str]:
    """Every address in the given To and Cc header values, as written (``add`` cleans them)."""
    return [address for _name, address in getaddresses(list(header_values)) if address]


def carry(source: Ticket, target: Ticket, *, user: User | None) -> list[str]:
    """A merge: the people copied on ``source`` follow its conversation to ``target``, when both
    have the same requester; otherwise they would read another requester's conversation, and
    the History of ``target`` says whom an agent may copy by hand.

    They stay copied on ``source`` too, so their links to it still lead to the survivor.
    Returns who of them is now copied on ``target``.
    """
    wanted = [a for a in addresses(source) if a != target.requester_email.lower()]
    if not wanted:
        return []
    if source.requester_email.lower() != target.requester_email.lower():
        audit.record(
            target, "copied.not_carried", user=user, data={"emails": wanted, "source": source.reference}
        )
        return []
    add(target, wanted, how="merge", user=user, strict=False)
    on_target = set(addresses(target))
    return [a for a in wanted if a in on_target]
