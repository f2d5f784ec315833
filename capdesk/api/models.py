"""API tokens, the idempotency keys of creates made with them, and the counters that rate-limit them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from capdesk.directory.models import Person


class Scope(models.TextChoices):
    """What a token may do; each operation names the scopes it accepts."""

    AGENT = "agent", "Agent (staff-equivalent: every ticket)"
    PLATFORM = "platform", "Capgo platform (directory sync, tickets on behalf of an account)"
    STATUS_ADMIN = "status_admin", "Status page admin"
    READ_ONLY = "read_only", "Read only (what its owner may see)"
    CUSTOMER = "customer", "Customer (their own requests: read them and reply)"


# Scopes whose owner must be a Django user; only read-only and customer tokens may belong to a customer.
USER_SCOPES = (Scope.AGENT, Scope.PLATFORM, Scope.STATUS_ADMIN)
PERSON_SCOPES = (Scope.READ_ONLY, Scope.CUSTOMER)


class ApiToken(models.Model):
    """A bearer token for the REST API: only its SHA-256 is kept; the token itself is shown once."""

    name = models.CharField(max_length=100, help_text="What the token is for (e.g. 'Capgo platform sync')")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The owner: the token acts as this user and stops working when they lose access",
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="A customer owner (read-only and customer tokens): sees what they see in the portal",
    )
    prefix = models.CharField(
        max_length=16, editable=False, help_text="The token's first characters, to tell it apart"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute; empty means CAPDESK_API_RATE_LIMIT_PER_MINUTE"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"

    def clean(self) -> None:
        if (self.user_id is None) == (self.person_id is None):
            raise ValidationError("A token belongs to exactly one owner: a user or a person.")
        if self.person_id is not None and self.scope not in PERSON_SCOPES:
            raise ValidationError("Only a read-only or customer token may belong to a customer (person).")
        if self.scope == Scope.CUSTOMER and self.person_id is None:
            raise ValidationError("A customer token belongs to a customer (person), not a user.")

    @property
    def limit_per_minute(self) -> int:
        return self.rate_limit_per_minute or settings.CAPDESK_API_RATE_LIMIT_PER_MINUTE


class IdempotencyRecord(models.Model):
    """A create made with an Idempotency-Key: a retry with the same body gets the same answer."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=200, help_text="Method and path the key was first used on")
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body")
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="one_record_per_token_key")]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class RateCounter(models.Model):
    """Requests counted in one fixed window for one key (a token, a sign-in name, an address).

    In the database, so every web process and node shares one count.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M:%S}: {self.count}"
