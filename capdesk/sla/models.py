"""SLA clocks: one per response target being timed on a ticket."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone as django_timezone

from capdesk.sla.policies import Metric, Tier


class Clock(models.Model):
    """One target timed on a ticket: its start, pauses and deadline, and whether it was met."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"  # by the qualifying reply
        CANCELLED = "cancelled", "Cancelled"  # closed without one, or no target applies any more

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=20, choices=[(m.value, m.value) for m in Metric])
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # The target as resolved when last (re)computed, kept for display and reports.
    policy = models.CharField(max_length=40)
    tier = models.CharField(max_length=12, choices=[(t.value, t.value) for t in Tier])
    severity = models.CharField(max_length=10)
    target_seconds = models.PositiveIntegerField()
    target_text = models.CharField(max_length=40)
    business_hours = models.BooleanField(help_text="Counted on the business-hours calendar, else 24/7")
    timezone = models.CharField(max_length=64, help_text="The zone business hours were counted in")
    started_at = models.DateTimeField()
    # Closed pauses as [[start, end], ...] in ISO 8601 UTC; an open pause is paused_since.
    pauses = models.JSONField(default=list, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="When the target is (or was) missed")
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was missed, not when noticed"
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent whose public reply stopped the clock",
    )
    # The next warning or breach instant of a running clock: the sweep asks this index what is due.
    next_alert_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["ticket", "state"])]

    def __str__(self) -> str:
        return f"{self.metric} clock on ticket {self.ticket_id} ({self.state})"

    @property
    def met(self) -> bool | None:
        """Whether the reply came in time; None while the clock has not stopped."""
        if self.state != self.State.STOPPED or self.stopped_at is None:
            return None
        return self.due_at is None or self.stopped_at <= self.due_at

    def closed_pauses(self) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in self.pauses]


class ChatAlert(models.Model):
    """One SLA warning or breach to post to the team's chat webhook; the worker sends it, with retries."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)  # warning or breach
    # The body as Discord or Slack documents it, shaped when queued. The webhook URL is
    # not kept here: it is a credential, read from settings at delivery time.
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=django_timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"chat {self.kind} for ticket {self.ticket_id} ({self.state})"
