"""The per-ticket reply address (``support+<token>@``) and the threading headers of the desk's mail.

A customer's mail client may drop our subject reference and our Message-IDs, but it
answers to the Reply-To address; the token there names the ticket. The token is an
HMAC of the ticket id under SECRET_KEY, so nobody can forge one for another ticket,
and it is only a hint: intake still joins a reply to a ticket only when the sender
is the ticket's requester.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Sequence
from email.utils import getaddresses

from django.conf import settings
from django.utils.crypto import salted_hmac

from capdesk.tickets.models import Message, Ticket

# 12 hex digits (48 bits): short enough for an address, far too many to guess; and hex,
# because some mail systems lower-case the local part.
_MAC_LENGTH = 12
_TOKEN = re.compile(rf"^(\d{{1,12}})\.([0-9a-f]{{{_MAC_LENGTH}}})$")


def _mac(ticket_pk: int) -> str:
    return salted_hmac("capdesk.reply-token", str(ticket_pk)).hexdigest()[:_MAC_LENGTH]


def reply_token(ticket_pk: int) -> str:
    return f"{ticket_pk}.{_mac(ticket_pk)}"


def support_addresses() -> frozenset[str]:
    """The support address and its aliases, lower-cased: what mail for the desk is sent to."""
    addresses = [settings.CAPDESK_SUPPORT_ADDRESS, *settings.CAPDESK_SUPPORT_ALIASES]
    return frozenset(a.strip().lower() for a in addresses if a.strip())


def split_plus(address: str) -> tuple[str, str]:
    """``support+tag@capgo.app`` → (``support@capgo.app``, ``tag``), lower-cased (RFC 5233 subaddress)."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower(), ""
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def reply_address(ticket_pk: int) -> str:
    local, _, domain = settings.CAPDESK_SUPPORT_ADDRESS.strip().rpartition("@")
    return f"{local}+{reply_token(ticket_pk)}@{domain}"


def ticket_pk_from_token(token: str) -> int | None:
    match = _TOKEN.match(token.strip().lower())
    if not match or not hmac.compare_digest(match.group(2), _mac(int(match.group(1)))):
        return None
    return int(match.group(1))


def ticket_pks_in(header_values: Iterable[str]) -> list[int]:
    """The tickets named by a valid token in addresses of the desk's own (To, Cc, Delivered-To ...)."""
    values = list(header_values)
    # A token is a subaddress (support+<token>@): without a "+" anywhere there is none, and
    # intake asks this of every email, most of which were sent to the plain address.
    if not any("+" in value for value in values):
        return []
    ours = support_addresses()
    found: list[int] = []
    for _, address in getaddresses(values):
        base, tag = split_plus(address)
        if tag and base in ours and (pk := ticket_pk_from_token(tag)) is not None and pk not in found:
            found.append(pk)
    return found


# The Message-ID of a copied person's email of an agent reply: ``<c.<message pk>.<mac>@domain>``,
# the mac over the message and the recipient. Each recipient's email has its own id, so no one
# copied learns the id of another's, which is what a bounce or a spam report proves itself by
# (intake.bounces); and the copied person's answer citing it still names the message.
_COPY_ID = re.compile(rf"^<c\.(\d{{1,18}})\.([0-9a-f]{{{_MAC_LENGTH}}})@[^>]+>$")


def _copy_mac(message_pk: int, recipient: str) -> str:
    value = f"{message_pk}:{recipient.strip().lower()}"
    return salted_hmac("capdesk.copy-message-id", value).hexdigest()[:_MAC_LENGTH]


def copy_message_id(message_pk: int, recipient: str) -> str:
    domain = settings.CAPDESK_SUPPORT_ADDRESS.rpartition("@")[2]
    return f"<c.{message_pk}.{_copy_mac(message_pk, recipient)}@{domain}>"


def copied_message_pk(message_id: str, *, sender: str | None = None) -> int | None:
    """The message a copied person's email id names; with ``sender``, only if it was sent to them."""
    match = _COPY_ID.match(message_id.strip())
    if match is None:
        return None
    pk = int(match.group(1))
    if sender is not None and not hmac.compare_digest(match.group(2), _copy_mac(pk, sender)):
        return None
    return pk


def threading_headers(ticket: Ticket, customer_ids: Sequence[str] | None = None) -> dict[str, str]:
    """Headers that put the desk's mail in the customer's thread and bring the answer back here.

    In-Reply-To names the customer's latest message; References starts at the first
    message of the ticket, so clients that thread by the root (RFC 5322 3.6.4) agree.
    ``customer_ids`` are the Message-IDs of the customer's messages, oldest first, from a
    caller that knows them (the ticket was opened a moment ago); otherwise they are read.
    """
    headers = {"Reply-To": reply_address(ticket.pk)}
    if customer_ids is not None:
        ids = [i for i in customer_ids if i]
    else:
        ids = list(
            # Not a held reply: it may be forged, and the desk's mail must not answer it (E3).
            Message.objects.filter(ticket=ticket, author_kind=Message.Author.CUSTOMER, held=False)
            .exclude(message_id="")
            .order_by("created_at", "id")
            .values_list("message_id", flat=True)
        )
    if ids:
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(dict.fromkeys([ids[0], ids[-1]]))
    else:
        # A request filed in the portal or by API has no Message-ID of the customer's to
        # answer. Every email about it still names one root, so mail clients that thread by
        # References (RFC 5322 3.6.4) keep them in one conversation instead of one per email.
        headers["References"] = thread_root_id(ticket.pk)
    return headers


def thread_root_id(ticket_pk: int) -> str:
    """A Message-ID that no email has, standing for the ticket's conversation: the same for
    every email about the ticket, another for each installation (it carries the reply token)."""
    domain = settings.CAPDESK_SUPPORT_ADDRESS.strip().rpartition("@")[2]
    return f"<ticket.{reply_token(ticket_pk)}@{domain}>"
