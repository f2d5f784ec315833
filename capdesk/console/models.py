"""The console's own state: saved views, macros, round-robin rotations and who is looking at what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from capdesk.core.translations import HasTranslations
from capdesk.tickets.models import Queue, Ticket


class SavedView(models.Model):
    """A list of tickets an agent named: the query string of the list page (filters, view, search)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="console_savedview_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Macro(HasTranslations, models.Model):
    """A reply an agent wrote once to reuse, with placeholders such as {name} and {reference}."""

    # Inserted on a ticket in its language when the agent wrote it in that language too.
    TRANSLATED = ("title", "body")

    title = models.CharField(max_length=120)
    body = models.TextField()
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text="The title and text in the desk's other languages: {language: {field: text}}",
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="macros")
    shared = models.BooleanField(default=True, help_text="Visible to every agent, not only its author")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class QueueRotation(models.Model):
    """Who takes new tickets of a queue in turn, and who had the last one."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="rotation")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="rotations")
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_assign = models.BooleanField(
        default=False, help_text="Assign new tickets of this queue to the next member as they arrive"
    )

    def __str__(self) -> str:
        return f"rotation of {self.queue}"


class Away(models.Model):
    """An agent who said they are away: round-robin passes them over until they say they are back."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="away")
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} away since {self.since:%Y-%m-%d %H:%M}"


class Presence(models.Model):
    """An agent had a ticket open at ``seen_at`` (and was typing a reply); rows older than a short TTL mean nothing."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    replying = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="console_presence_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.ticket_id}"


class OpenCounts(models.Model):
    """The ticket list's side counts as the scheduler last computed them: one row for the whole desk."""

    ONLY = 1

    computed_at = models.DateTimeField()
    by_outcome = models.JSONField(default=list)
    by_organization = models.JSONField(default=list)
    # How long the count took, shown to nobody but kept to see a desk outgrow the interval.
    took_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"open counts at {self.computed_at:%Y-%m-%d %H:%M:%S}"
