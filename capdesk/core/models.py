"""The audit log: who did what to the desk's access, directory and settings, beyond ticket events."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """An audit row was about to be changed or deleted; the log only grows."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    # Bulk changes are refused too: an audit log an admin can rewrite proves nothing.
    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("audit entries are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are never deleted")


class ActorKind(models.TextChoices):
    """Who acted: a signed-in person, a program with a token, Capgo's platform, or the desk itself."""

    STAFF = "staff", "Staff user"
    CUSTOMER = "customer", "Customer"
    TOKEN = "token", "API token"
    CAPGO = "capgo", "Capgo platform (webhook)"
    SYSTEM = "system", "Command or worker"
    ANONYMOUS = "anonymous", "Not signed in"


class AuditEntry(models.Model):
    """One action on access, the directory or settings: append-only, written by the action itself."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # The entry outlives the account: the label below still says who it was.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=200,
        blank=True,
        help_text="User name, token prefix or source, kept if the actor is deleted",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["actor_label", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label or self.actor_kind} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("audit entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are never deleted")


class Circuit(models.Model):
    """A receiver the desk sends to (the mail relay, a webhook endpoint) that is failing.

    Its row exists only while it fails: until ``retry_at`` deliveries to it leave their
    work queued, then one tries it again (``core.circuits``).
    """

    name = models.CharField(max_length=100, unique=True, help_text="mail, webhook:<id> ...")
    failures = models.PositiveIntegerField(default=0, help_text="Failed tries in a row")
    failing_since = models.DateTimeField(default=timezone.now)
    retry_at = models.DateTimeField(help_text="When the receiver is tried again")
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name}: failing since {self.failing_since:%Y-%m-%d %H:%M}"
