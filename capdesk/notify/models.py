"""The outbox: every email the desk sends is a row first, delivered by the worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    """One email to send; written in the transaction that decided to send it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

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
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["to", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email ({self.state})"
