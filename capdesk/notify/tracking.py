"""Provider tracking webhooks: hard bounces and spam complaints about the desk's own mail.

When an API provider sends the desk's mail (anymail's Postmark, Mailgun, Amazon SES or
SendGrid backend), a bounce does not come back to the support address as a delivery
status notification (``intake.bounces``): the provider reports it to a tracking webhook,
``/hooks/email/<provider>/tracking/`` (``intake.providers``), which anymail
authenticates as it does the inbound one. Its normalised events reach ``record`` here.

Only two kinds of event change anything: a permanent bounce (recorded on the email and
its address, which goes on the suppression list, as a DSN's would) and a spam complaint
(the address goes on the list). Deliveries, opens, clicks and temporary failures are
acknowledged and dropped. An event counts only when it names an email the desk sent to
that recipient, by the id the provider gave it when it took it or by its Message-ID:
the provider's account may send other mail too, and the desk changes nothing on
another application's say-so.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import EventType, tracking  # type: ignore[import-untyped]
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from capdesk.directory.models import EmailAddress
from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail, Suppression

logger = logging.getLogger(__name__)


def _permanent_bounce(event: Any, esp_name: str) -> bool:
    """Whether a BOUNCED event is a permanent failure; anymail maps some soft ones to it too."""
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":  # SoftBounce and VirusNotification are "bounced" as well
        return esp_event.get("Type") == "HardBounce"
    if esp_name == "Amazon SES":  # description is "{bounceType}: {bounceSubType}"
        return str(event.description or "").startswith("Permanent")
    if esp_name == "SendGrid":  # "blocked" is the receiver refusing for now, not a dead address
        return esp_event.get("type") != "blocked"
    return True  # Mailgun: a temporary failure is already "deferred"


def _reason(event: Any, esp_name: str) -> str | None:
    if event.event_type == EventType.COMPLAINED:
        return Suppression.Reason.COMPLAINT
    if event.event_type == EventType.BOUNCED and _permanent_bounce(event, esp_name):
        return Suppression.Reason.BOUNCE
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
    reason = _reason(event, esp_name)
    if reason is None:
        return
    recipient = str(event.recipient or "").strip().lower()
    email = _ours(str(event.message_id or ""), recipient)
    if email is None:
        logger.info(
            "notify.tracking_ignored",
            extra={"provider": esp_name, "event": event.event_type, "why": "names no email we sent to it"},
        )
        return
    said = " ".join(str(event.mta_response or event.description or event.event_type).split())
    if reason == Suppression.Reason.BOUNCE:
        at = event.timestamp or timezone.now()
        EmailAddress.objects.filter(email__iexact=recipient).update(bounced_at=at)
        suppressions.record_bounce(
            recipient, OutboundEmail.objects.filter(pk=email.pk), said=f"{esp_name}: {said}", at=at
        )
    else:
        suppressions.suppress(recipient, reason=reason, detail=f"{esp_name}: {said}", email=email)
    logger.info("notify.tracking_recorded", extra={"provider": esp_name, "event": event.event_type})
