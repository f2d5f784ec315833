"""E3 for email that is not authenticated: hold it, and let the registered address confirm it.

The confirmation link goes to the registered address (the From of the held mail,
which is registered): a forger never reads it. Until it is confirmed the reply
discloses nothing about the account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import ngettext

from capdesk.directory.models import Person
from capdesk.intake.deciding import decide_request
from capdesk.intake.models import InboundRequest, SenderConfirmation
from capdesk.policy.types import Identity
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.models import Event, Ticket


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_confirmation(
    request: InboundRequest, ticket: Ticket, person: Person, email: str
) -> dict[str, str]:
    """A new single-use link; returns the reply placeholders ``confirm_url`` and ``confirm_minutes``.

    ``confirm_minutes`` keeps its name (the policy's placeholder list knows it) but holds the
    lifetime written out in the ticket's language, such as "24 hours" or "24 jam".
    """
    token = secrets.token_urlsafe(32)
    minutes = settings.CAPDESK_CONFIRM_MINUTES
    SenderConfirmation.objects.create(
        request=request,
        ticket=ticket,
        person=person,
        email=email,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(minutes=minutes),
    )
    # The reply goes out in the ticket's language, so the duration is written in it too.
    with translation.override(ticket.language):
        lifetime = lifetime_text(minutes)
    return {"confirm_url": f"{settings.BASE_URL}/confirm/{token}/", "confirm_minutes": lifetime}


def lifetime_text(minutes: int) -> str:
    """How long a link works, as a person says it: "24 hours" rather than "1440 minutes"."""
    if minutes % 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def find_pending(token: str) -> SenderConfirmation | None:
    found = SenderConfirmation.objects.select_related("ticket").filter(token_hash=_hash(token)).first()
    if found is None or found.confirmed_at is not None or found.expires_at <= timezone.now():
        return None
    return found


@transaction.atomic
def confirm_sender(token: str) -> Ticket | None:
    """The sender proved they control the registered address: decide the held request again, as verified."""
    confirmation = (
        SenderConfirmation.objects.select_for_update()
        .select_related("ticket", "person")
        .filter(token_hash=_hash(token))
        .first()
    )
    if (
        confirmation is None
        or confirmation.confirmed_at is not None
        or confirmation.expires_at <= timezone.now()
    ):
        return None
    confirmation.confirmed_at = timezone.now()
    confirmation.save(update_fields=["confirmed_at"])
    ticket = confirmation.ticket
    first = ticket.messages.order_by("created_at", "id").first()
    Event.objects.create(
        ticket=ticket,
        kind="sender.confirmed",
        actor_person=confirmation.person,
        data={"identity": Identity.VERIFIED},
    )
    decided = decide_request(
        channel=ticket.channel,
        identity=Identity.VERIFIED,
        person=confirmation.person,
        project=ticket.project,
        subject=ticket.subject,
        body=first.body_text if first else "",
    )
    apply_decision(ticket, decided.decision, identity=decided.identity, language=decided.language)
    return ticket
