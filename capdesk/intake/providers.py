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
``authentication`` checks.
"""

from __future__ import annotations

import base64
import logging
import warnings
from typing import Any

from anymail.signals import inbound  # type: ignore[import-untyped]
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.base import AnymailBaseWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.mailgun import MailgunInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.postmark import PostmarkInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.sendgrid import SendGridInboundWebhookView  # type: ignore[import-untyped]
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from capdesk.intake import actions
from capdesk.intake.mail_parsing import read_identity

logger = logging.getLogger(__name__)


class AmazonSESInbound(AmazonSESInboundWebhookView):  # type: ignore[misc]
    """SES receipt rules with the SNS action: the message travels inside the notification.

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


class SendGridInbound(SendGridInboundWebhookView):  # type: ignore[misc]
    """SendGrid's Inbound Parse; anymail warns on every request that it no longer tests SendGrid."""

    def __init__(self, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            super().__init__(**kwargs)


# provider slug in the URL -> (anymail view, the ANYMAIL setting that must be set to switch it on)
PROVIDERS: dict[str, tuple[type[Any], str]] = {
    "postmark": (PostmarkInboundWebhookView, "WEBHOOK_SECRET"),
    "mailgun": (MailgunInboundWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    "amazon_ses": (AmazonSESInbound, "WEBHOOK_SECRET"),
    "sendgrid": (SendGridInbound, "WEBHOOK_SECRET"),
}
_VIEWS = {slug: view.as_view() for slug, (view, _) in PROVIDERS.items()}


@csrf_exempt
def inbound_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Hand the post to anymail's view for ``provider``; 404 when that provider is not configured.

    Without its secret anymail would accept unsigned posts (with a warning): anyone could
    then write mail "from" any address into the desk.
    """
    if provider not in PROVIDERS or not settings.ANYMAIL.get(PROVIDERS[provider][1]):
        raise Http404("no such provider webhook")
    response: HttpResponse = _VIEWS[provider](request)
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
    raw = raw_mime(esp_name, event.esp_event, event.message)
    identity = read_identity(raw)
    actions.receive(
        channel="email",
        raw=raw,
        idempotency_key=identity.message_id,
        claimed_sender=identity.from_address,
    )
    logger.info("intake.provider_webhook", extra={"provider": esp_name, "bytes": len(raw)})
