"""Mailboxes the desk never writes to on its own: its own, and those nobody reads.

Mail from one of the desk's own addresses is the desk's mail come back: answering it, or
opening a ticket that answers it, starts a loop (``intake.email_channel`` records it and
stops). A no-reply mailbox (a service's notifications, a bounce handler) may send
something a person should read, but an automatic answer to it only bounces or feeds a
robot (``tickets.decisions`` withholds the standard reply). Neither is ever copied on a
ticket (``tickets.copies``). One list for all of them, so they cannot disagree.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.conf import settings

from capdesk.tickets.reply_address import split_plus, support_addresses

# Local parts of mailboxes nobody reads or that answer on their own, with an optional tag
# after a separator ("noreply-bot", "no_reply.billing", "bounces+1234").
_NO_REPLY_LOCAL = re.compile(
    r"^(?:no[._-]?reply|do[._-]?not[._-]?reply|mailer[._-]?daemon|postmaster|bounces?|notifications?)"
    r"(?:[+._-].*)?$"
)


def _sending_addresses() -> frozenset[str]:
    """The addresses the desk's own mail goes out From (Django's DEFAULT_FROM_EMAIL, SERVER_EMAIL)."""
    named = (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL)
    return frozenset(split_plus(parseaddr(value)[1])[0] for value in named if parseaddr(value)[1])


def is_desk_address(address: str) -> bool:
    """Whether ``address`` is the desk's: its support address or an alias, with any tag (a
    ticket's reply address, an email's VERP return path), or an address its mail is sent From."""
    base, _tag = split_plus(address)
    return base in support_addresses() or base in _sending_addresses()


def is_no_reply(address: str) -> bool:
    """Whether ``address`` names a mailbox nobody reads (noreply@, mailer-daemon@, bounces@ ...)."""
    local = address.strip().lower().rpartition("@")[0]
    return _NO_REPLY_LOCAL.match(local) is not None
