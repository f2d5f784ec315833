"""Provider inbound webhooks (Postmark, Mailgun, Amazon SES, SendGrid) through django-anymail.

Anymail checks each post the way its provider signs it (HTTP basic auth for Postmark,
SendGrid and SES; Mailgun's HMAC signature, plus basic auth from the route URL when
WEBHOOK_SECRET is set) and answers 400 when the check fails. A
valid post reaches ``store_inbound`` through anymail's ``inbound`` signal, which hands
the raw MIME to ``intake.receive``; anymail answers 200 only after the signal returns,
so the message is committed before the provider stops retrying (any error is a 500,
which providers retry).

The raw MIME is taken from the provider's payload, not re-serialised from anymail's
parsed message: re-serialising would change bytes and break the DKIM signature that
``authentication`` checks. The envelope the provider reports (anymail's
``envelope_sender`` and ``envelope_recipient``) goes on top of it, as ``capdesk smtpd``
writes its own (``intake.envelope``).
"""

from __future__ import annotations

import base64
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from anymail.signals import inbound  # type: ignore[import-untyped]
from anymail.webhooks.amazon_ses import (  # type: ignore[import-untyped]
    AmazonSESInboundWebhookView,
    AmazonSESTrackingWebhookView,
)
from anymail.webhooks.base import AnymailBaseWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.mailgun import (  # type: ignore[import-untyped]
    MailgunInboundWebhookView,
    MailgunTrackingWebhookView,
)
from anymail.webhooks.postmark import (  # type: ignore[import-untyped]
    PostmarkInboundWebhookView,
    PostmarkTrackingWebhookView,
)
from anymail.webhooks.sendgrid import (  # type: ignore[import-untyped]
    SendGridInboundWebhookView,
    SendGridTrackingWebhookView,
)
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from capdesk.intake import actions
from capdesk.intake.envelope import with_envelope
from capdesk.intake.mail_parsing import read_identity

logger = logging.getLogger(__name__)


class _WithoutBoto3:
    """Amazon SES over SNS: the message, or the tracking event, travels inside the notification.

    Anymail needs boto3 only for the S3 action and to confirm SNS subscriptions; the desk
    does neither (the subscription URL is logged for an admin to open once).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.kms_key_id = None
        self.chunk_size = 1024 * 1024
        self.auto_confirm_enabled = False
        self.session_params: dict[str, Any] = {}
        self.client_params: dict[str, Any] = {}
        AnymailBaseWebhookView.__init__(self, **kwargs)

    def auto_confirm_sns_subscription(self, sns_message: dict[str, Any]) -> None:
        logger.warning(
            "intake.ses_subscription_pending",
            extra={"topic": sns_message.get("TopicArn"), "subscribe_url": sns_message.get("SubscribeURL")},
        )


class AmazonSESInbound(_WithoutBoto3, AmazonSESInboundWebhookView):  # type: ignore[misc]
    """SES receipt rules with the SNS action."""


class AmazonSESTracking(_WithoutBoto3, AmazonSESTrackingWebhookView):  # type: ignore[misc]
    """SES bounce and complaint notifications through SNS."""


class _Quiet:
    """SendGrid's views; anymail warns on every request that it no longer tests SendGrid."""

    def __init__(self, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            super().__init__(**kwargs)


class SendGridInbound(_Quiet, SendGridInboundWebhookView):  # type: ignore[misc]
    """SendGrid's Inbound Parse."""


class SendGridTracking(_Quiet, SendGridTrackingWebhookView):  # type: ignore[misc]
    """SendGrid's Event Webhook."""


@dataclass(frozen=True)
class Provider:
    """One provider's two webhooks, and the ANYMAIL setting that must be set to switch them on."""

    inbound: type[Any]
    tracking: type[Any]
    secret: str


PROVIDERS: dict[str, Provider] = {
    "postmark": Provider(PostmarkInboundWebhookView, PostmarkTrackingWebhookView, "WEBHOOK_SECRET"),
    "mailgun": Provider(MailgunInboundWebhookView, MailgunTrackingWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    "amazon_ses": Provider(AmazonSESInbound, AmazonSESTracking, "WEBHOOK_SECRET"),
    "sendgrid": Provider(SendGridInbound, SendGridTracking, "WEBHOOK_SECRET"),
}
_INBOUND = {slug: provider.inbound.as_view() for slug, provider in PROVIDERS.items()}
_TRACKING = {slug: provider.tracking.as_view() for slug, provider in PROVIDERS.items()}


def _switched_on(provider: str) -> None:
    """404 unless the provider's secret is set.

    Without it anymail would accept unsigned posts (with a warning): anyone could then
    write mail "from" any address into the desk, or have any address suppressed.
    """
    if provider not in PROVIDERS or not settings.ANYMAIL.get(PROVIDERS[provider].secret):
        raise Http404("no such provider webhook")


@csrf_exempt
def inbound_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Hand an inbound post to anymail's view for ``provider``: the message reaches ``store_inbound``."""
    _switched_on(provider)
    response: HttpResponse = _INBOUND[provider](request)
    return response


@csrf_exempt
def tracking_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Hand a tracking post (bounces, complaints) to anymail's view: its events reach ``notify.tracking``."""
    _switched_on(provider)
    response: HttpResponse = _TRACKING[provider](request)
    return response


def raw_mime(esp_name: str, esp_event: Any, message: Any) -> bytes:
    """The message as the provider received it, where its payload carries it."""
    if esp_name == "Postmark" and isinstance(esp_event, dict) and esp_event.get("RawEmail"):
        return str(esp_event["RawEmail"]).encode("utf-8")
    if esp_name == "Amazon SES" and isinstance(esp_event, dict) and esp_event.get("content"):
        content = str(esp_event["content"])
        if esp_event.get("receipt", {}).get("action", {}).get("encoding") == "BASE64":
            return base64.b64decode(content)
        return content.encode("utf-8")
    if isinstance(esp_event, HttpRequest):
        field = {"Mailgun": "body-mime", "SendGrid": "email"}.get(esp_name, "")
        value = esp_event.POST.get(field) if field else None
        if isinstance(value, str):
            return value.encode("utf-8")
    # The provider sent parsed fields only (Postmark without "Include raw email",
    # SendGrid without "Send Raw"): anymail rebuilt a message from them.
    rebuilt: bytes = message.as_bytes()
    return rebuilt


@receiver(inbound, dispatch_uid="capdesk.intake.providers.store_inbound")
def store_inbound(sender: type[Any], event: Any, esp_name: str, **kwargs: Any) -> None:
    """Store one provider-delivered message durably; anymail answers 200 only after this returns."""
    message = event.message
    raw = raw_mime(esp_name, event.esp_event, message)
    # None where the provider does not say; "" (or "<>") is a null sender, a bounce's.
    returned_to, recipient = message.envelope_sender, message.envelope_recipient
    raw = with_envelope(raw, sender=returned_to, recipients=[recipient] if recipient else [])
    identity = read_identity(raw)
    actions.receive(
        channel="email",
        raw=raw,
        idempotency_key=identity.message_id,
        claimed_sender=identity.from_address,
        subject=identity.subject,
    )
    logger.info("intake.provider_webhook", extra={"provider": esp_name, "bytes": len(raw)})
