"""An email an admin accepted without its attachments over the limits: who is told which files are missing.

Processing it again could never work (a file does not shrink), so an admin may accept
the email without those files (console quarantine). The agents read on the ticket which
files were left out; the customer reads it in the acknowledgement, if one goes out, with
how to send them another way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from capdesk.tickets import audit
from capdesk.tickets.actions import IncomingFile, add_system_message, attachment_limit, byte_size
from capdesk.tickets.models import Ticket


@dataclass(frozen=True)
class LeftOut:
    """A file left out of an accepted email: its name and size, enough to ask for it again."""

    filename: str
    size: int

    @classmethod
    def of(cls, files: Sequence[IncomingFile]) -> tuple[LeftOut, ...]:
        return tuple(cls(f.filename or "attachment", len(f.content)) for f in files)

    def __str__(self) -> str:
        return f"{self.filename} ({byte_size(self.size)})"


def tell_agents(ticket: Ticket, left_out: Sequence[LeftOut]) -> None:
    """An internal note on the ticket, and its History entry: the customer meant to send these files."""
    # The desk's own internal notes are in English, as the other ones (tickets.incidents).
    with translation.override(None):
        listed = ", ".join(str(f) for f in left_out)
        limit = attachment_limit()
    note = (
        f"An admin accepted this email without the attachments over the limits "
        f"({settings.CAPDESK_MAX_ATTACHMENTS} files, {limit} each): {listed}. "
        f"The original email, files included, stays in the intake log."
    )
    add_system_message(ticket, note, public=False)
    audit.record(
        ticket,
        "attachments.left_out",
        data={"files": [{"filename": f.filename, "size": f.size} for f in left_out]},
        reason="accepted from quarantine without the attachments over the limits",
    )


def customer_note(ticket: Ticket, left_out: Sequence[LeftOut], language: str) -> str:
    """The paragraph the acknowledgement gets, in the customer's language: which files, and how to send them."""
    with translation.override(language):
        listed = ", ".join(str(f) for f in left_out)
        files = ngettext(
            "This file was not accepted, as it is over our limits (%(count)d files of up to %(size)s each): %(files)s.",
            "These files were not accepted, as they are over our limits (%(count)d files of up to %(size)s each): %(files)s.",
            len(left_out),
        ) % {"count": settings.CAPDESK_MAX_ATTACHMENTS, "size": attachment_limit(), "files": listed}
        how = gettext(
            "To send them, reply with a link to them (a file-sharing service), or attach them, "
            "a few at a time, to a reply on the request's page: %(url)s"
        ) % {"url": f"{settings.BASE_URL}/portal/requests/{ticket.reference}/"}
    return f"{files} {how}"
