"""Portal sign-in: single-use magic links sent to a registered address."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from capdesk.directory.models import Person


class MagicLink(models.Model):
    """A single-use, short-lived sign-in link; only the token's hash is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="magic_links")
    email = models.EmailField(help_text="The registered address the link was sent to")
    token_hash = models.CharField(max_length=64, unique=True)
    next_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"])]

    def __str__(self) -> str:
        return f"magic link for person {self.person_id}"


class UsedIdentityToken(models.Model):
    """A dashboard identity token already used: each token signs in once (replay protection)."""

    jti = models.CharField(max_length=200, unique=True)
    expires_at = models.DateTimeField(db_index=True, help_text="After this the row can be pruned")

    def __str__(self) -> str:
        return self.jti
