"""The outbox: every email and outgoing webhook the desk sends is a row first, delivered by the worker."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    """One email to send; written in the transaction that decided to send it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Not sent: its address is on the suppression list (notify.suppressions).
        SUPPRESSED = "suppressed", "Suppressed"

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_emails"
    )
    kind = models.CharField(
        max_length=40, help_text="What it is: magic_link, agent_reply, acknowledgement ..."
    )
    automatic = models.BooleanField(default=False, help_text="Sent by the desk on its own (rate-limited)")
    # Files sent along (tickets.Attachment ids), read from storage when the email is built.
    attachment_ids = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A delivery status notification said it could not be delivered, for good (intake.bounces).
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce = models.CharField(max_length=300, blank=True, help_text="The report's status and diagnostic")
    # The id an API provider's backend gave the email when it took it (anymail's
    # ``anymail_status.message_id``): its tracking webhooks name the email by it.
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["to", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email ({self.state})"

    @property
    def may_send_again(self) -> bool:
        """Whether it did not arrive (failed, suppressed, or bounced) and is not queued again (``send_again``)."""
        if self.state == self.State.QUEUED:
            return False
        return self.state in (self.State.FAILED, self.State.SUPPRESSED) or self.bounced_at is not None

    @classmethod
    def may_send_again_q(cls) -> models.Q:
        """``may_send_again`` as a filter, for the conditional UPDATE that queues one again."""
        not_arrived = models.Q(state__in=[cls.State.FAILED, cls.State.SUPPRESSED]) | models.Q(
            bounced_at__isnull=False
        )
        return not_arrived & ~models.Q(state=cls.State.QUEUED)


class Suppression(models.Model):
    """An address the desk no longer emails (notify.suppressions): a row only while it is suppressed."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Bounced for good"
        REFUSED = "refused", "Refused by the relay"
        COMPLAINT = "complaint", "Reported as spam"
        MANUAL = "manual", "Suppressed by staff"

    address = models.EmailField(unique=True, help_text="Lower-case")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="What the report or relay said")
    created_at = models.DateTimeField(default=timezone.now)
    # The email whose failure put the address here, when there was one.
    email = models.ForeignKey(
        OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"


def _webhook_id() -> str:
    # Standard Webhooks: the id names the message, not the attempt, so receivers can
    # drop a repeat; "msg_" is the reference libraries' prefix.
    return f"msg_{secrets.token_urlsafe(18)}"


class WebhookEndpoint(models.Model):
    """A URL outside the desk that is POSTed signed ticket, SLA and incident events."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # A credential: it is needed to sign every message, so it is stored as written
    # (like the status app's subscriber secrets); only staff with rights on this model
    # see it, in the admin, to copy it into the receiver's configuration.
    secret = models.CharField(
        max_length=120, help_text="whsec_... : a credential, give it only to the receiver"
    )
    events = models.JSONField(default=list, blank=True, help_text="Event types sent; empty means all")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint, retried with backoff under the same webhook-id until a 2xx."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    webhook_id = models.CharField(max_length=40, unique=True, default=_webhook_id)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what the endpoint answered, or why it could not be reached."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt on {self.delivery_id}: {self.status_code or self.error[:40]}"
