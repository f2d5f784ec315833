"""Provider tracking webhooks: hard bounces and spam complaints about the desk's own mail.

When an API provider sends the desk's mail (anymail's Postmark, Mailgun, Amazon SES or
SendGrid backend), a bounce does not come back to the support address as a delivery
status notification (``intake.bounces``): the provider reports it to a tracking webhook,
``/hooks/email/<provider>/tracking/`` (``intake.providers``), which anymail
authenticates as it does the inbound one. Its normalised events reach ``record`` here.

Only two kinds of event change anything: a permanent bounce (recorded on the email; when
it says the address is dead, the address goes on the suppression list, as with a DSN) and
a person's spam complaint (the address goes on the list). Deliveries, opens, clicks and
temporary failures are acknowledged and dropped. An event counts only when it names an email the desk sent to
that recipient, by the id the provider gave it when it took it or by its Message-ID:
the provider's account may send other mail too, and the desk changes nothing on
another application's say-so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from anymail.signals import EventType, tracking  # type: ignore[import-untyped]
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail, Suppression

logger = logging.getLogger(__name__)


# Amazon SES's permanent bounce subtypes that say the address is dead (not a content block).
_SES_DEAD = (
    "Permanent: General",
    "Permanent: NoEmail",
    "Permanent: Suppressed",
    "Permanent: OnAccountSuppressionList",
)


@dataclass(frozen=True)
class _Verdict:
    reason: str  # Suppression.Reason: BOUNCE (the email failed for good) or COMPLAINT
    dead: bool  # whether the address goes on the suppression list


def _bounce(esp_name: str, esp_event: dict[str, Any], event: Any) -> _Verdict | None:
    """A BOUNCED event: whether it is final for the email, and whether it says the address is dead.

    Anymail maps some temporary failures to "bounced" (Postmark's SoftBounce, an SES
    Transient bounce, SendGrid's "blocked"), and a permanent one may be the desk's own
    doing (DMARC, content): only what says the address does not take mail suppresses it.
    """
    said = str(event.mta_response or "")
    if esp_name == "Postmark":
        kind = esp_event.get("Type")
        return None if kind == "SoftBounce" else _Verdict(Suppression.Reason.BOUNCE, kind == "HardBounce")
    if esp_name == "Amazon SES":  # description is "{bounceType}: {bounceSubType}"
        description = str(event.description or "")
        return (
            _Verdict(Suppression.Reason.BOUNCE, description in _SES_DEAD)
            if description.startswith("Permanent")
            else None
        )
    if esp_name == "SendGrid":
        if esp_event.get("type") == "blocked":
            return None
        said = f"{esp_event.get('status', '')} {said}"
    if esp_name == "Mailgun":
        data = esp_event.get("event-data")
        reason = data.get("reason") if isinstance(data, dict) else None
        if reason == "suppress-complaint":  # dropped: the address is on Mailgun's complaint list
            return _Verdict(Suppression.Reason.COMPLAINT, True)
        if reason == "suppress-bounce":  # dropped: the address is on Mailgun's bounce list
            return _Verdict(Suppression.Reason.BOUNCE, True)
    return _Verdict(Suppression.Reason.BOUNCE, suppressions.dead_address(said))


def _verdict(event: Any, esp_name: str) -> _Verdict | None:
    """What an event changes; None for deliveries, opens, clicks, temporary failures and the like."""
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == EventType.COMPLAINED:
        # Postmark's SpamNotification is a receiving filter's verdict, not the person's report.
        if esp_name == "Postmark" and esp_event.get("RecordType") != "SpamComplaint":
            return None
        return _Verdict(Suppression.Reason.COMPLAINT, True)
    if event.event_type == EventType.BOUNCED:
        return _bounce(esp_name, esp_event, event)
    return None


def _ours(message_id: str, recipient: str) -> OutboundEmail | None:
    """The email of ours the event is about: by the provider's id, or by its Message-ID."""
    if not message_id or not recipient:
        return None
    named = Q(provider_id=message_id) | Q(**{"headers__Message-ID": message_id})
    return OutboundEmail.objects.filter(named, to__iexact=recipient).order_by("-pk").first()


@receiver(tracking, dispatch_uid="capdesk.notify.tracking.record")
def record(sender: type[Any], event: Any, esp_name: str, **kwargs: Any) -> None:
    """Record one authenticated tracking event; anymail answers the provider 200 after this returns."""
    verdict = _verdict(event, esp_name)
    if verdict is None:
        return
    recipient = str(event.recipient or "").strip().lower()
    email = _ours(str(event.message_id or ""), recipient)
    if email is None:
        logger.info(
            "notify.tracking_ignored",
            extra={"provider": esp_name, "event": event.event_type, "why": "names no email we sent to it"},
        )
        return
    said = f"{esp_name}: " + " ".join(
        str(event.mta_response or event.description or event.event_type).split()
    )
    if verdict.reason == Suppression.Reason.BOUNCE:
        at = event.timestamp or timezone.now()
        emails = OutboundEmail.objects.filter(pk=email.pk)
        suppressions.record_bounce(recipient, emails, said=said, at=at, dead=verdict.dead)
    else:
        suppressions.suppress(recipient, reason=verdict.reason, detail=said, email=email)
    logger.info(
        "notify.tracking_recorded",
        extra={"provider": esp_name, "event": event.event_type, "dead": verdict.dead},
    )
