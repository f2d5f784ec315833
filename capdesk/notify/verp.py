"""VERP (variable envelope return path): each email's bounce comes back to an address naming it.

With ``CAPDESK_VERP`` on, the desk sends each email with the envelope sender (the
Return-Path) ``support+b.<email id>.<mac>@<support domain>``, its From unchanged. A
receiving server's delivery report goes to that address and so names the email, even when
the report quotes none of it (no Message-ID to cite) or names the address the mail was
forwarded to instead of the one the desk wrote to (``intake.bounces``).

The mac is an HMAC under SECRET_KEY: nobody can make up the address of another email, and
only the email's recipient ever sees its return path, so they could only report their own
email as bounced. Off by default: some relays (Microsoft 365, Gmail) only let an account
send with its own address as the envelope sender. Only for SMTP relays: an API provider
(anymail) sets its own return path and reports bounces to its tracking webhook.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from email.utils import getaddresses

from django.conf import settings
from django.utils.crypto import salted_hmac

from capdesk.tickets.reply_address import split_plus, support_addresses

_MAC_LENGTH = 12
_TAG = re.compile(rf"^b\.(\d{{1,18}})\.([0-9a-f]{{{_MAC_LENGTH}}})$")


def _mac(email_pk: int) -> str:
    return salted_hmac("capdesk.verp", str(email_pk)).hexdigest()[:_MAC_LENGTH]


def return_path(email_pk: int) -> str:
    """The envelope sender of the outbox email ``email_pk``."""
    local, _, domain = settings.CAPDESK_SUPPORT_ADDRESS.strip().rpartition("@")
    return f"{local}+b.{email_pk}.{_mac(email_pk)}@{domain}"


def email_pk_in(header_values: Iterable[str]) -> int | None:
    """The outbox email whose return path a message was delivered to (To, Delivered-To ...), if any."""
    ours = support_addresses()
    for _name, address in getaddresses(list(header_values)):
        base, tag = split_plus(address)
        match = _TAG.match(tag) if base in ours else None
        if match and hmac.compare_digest(match.group(2), _mac(int(match.group(1)))):
            return int(match.group(1))
    return None
