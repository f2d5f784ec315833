"""The status page's data: components, incidents and maintenance, their history, and subscribers.

Names and enums follow Atlassian Statuspage's public v2 API, which the JSON documents
reproduce, so a field here maps to a field there without translation tables.
"""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from capdesk.core.translations import HasTranslations

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_public_id() -> str:
    """A 12-character id in Statuspage's style: stable, opaque, and not a row count."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")


class Impact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")
    MAINTENANCE = "maintenance", _("Maintenance")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    POSTMORTEM = "postmortem", _("Postmortem")


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")


UNRESOLVED_INCIDENT = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)
ACTIVE_MAINTENANCE = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)
ALL_STATUSES = [*IncidentStatus.choices, *MaintenanceStatus.choices]


class Translated(HasTranslations, models.Model):
    """Text written in the page's default language, with what staff wrote in its other languages."""

    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("What staff wrote in the page's other languages: {language: {field: text}}"),
    )

    class Meta:
        abstract = True


class ComponentGroup(Translated):
    """A heading that gathers components on the page (shown as a group component in the v2 JSON)."""

    TRANSLATED = ("name", "description")

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="status_group_name_unique")]

    def __str__(self) -> str:
        return self.name


class Component(Translated):
    """One part of Capgo the public can see the state of (Live update API, Console ...)."""

    TRANSLATED = ("name", "description")

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    showcase = models.BooleanField(default=True, help_text=_("Show its uptime bars on the page"))
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True, help_text=_("Uptime is counted from this day"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="status_component_name_unique")]

    def __str__(self) -> str:
        return self.name


class Incident(Translated):
    """An incident or a scheduled maintenance: Statuspage models both as incidents, and so do we."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        MAINTENANCE = "maintenance", _("Scheduled maintenance")

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INCIDENT)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=ALL_STATUSES)
    impact = models.CharField(max_length=12, choices=Impact.choices, default=Impact.NONE)
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    # Maintenance only: move to in_progress at scheduled_for and to completed at
    # scheduled_until without anyone at the keyboard (Statuspage's auto transitions).
    auto_transition = models.BooleanField(default=True)
    # RFC 5545 SEQUENCE of the maintenance's calendar event: bumped whenever its window
    # moves, so calendar clients replace the old event instead of keeping both.
    sequence = models.PositiveIntegerField(default=0)
    postmortem_body = models.TextField(blank=True)
    postmortem_published_at = models.DateTimeField(null=True, blank=True)
    automatic = models.BooleanField(default=False, help_text=_("Opened by a monitor, not by a person"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["kind", "-started_at"]),
            models.Index(fields=["-updated_at"]),
        ]

    TRANSLATED = ("name", "postmortem_body")

    def __str__(self) -> str:
        return self.name

    @property
    def is_maintenance(self) -> bool:
        return self.kind == self.Kind.MAINTENANCE

    @property
    def is_open(self) -> bool:
        """Unresolved incident, or maintenance not yet completed."""
        if self.is_maintenance:
            return self.status != MaintenanceStatus.COMPLETED
        return self.status in UNRESOLVED_INCIDENT


class Maintenance(Incident):
    """Scheduled maintenance seen on its own in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("scheduled maintenance")
        verbose_name_plural = _("scheduled maintenance")


class IncidentUpdate(Translated):
    """One timestamped message on an incident or maintenance (investigating, identified ...)."""

    TRANSLATED = ("body",)

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=ALL_STATUSES)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    display_at = models.DateTimeField(default=timezone.now)
    deliver_notifications = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-display_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status} on {self.incident}"


class ComponentStatusChange(models.Model):
    """A component moved from one status to another: the history uptime bars are drawn from."""

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="changes")
    old_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="component_changes"
    )
    update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.SET_NULL, related_name="component_changes"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["component", "at"])]

    def __str__(self) -> str:
        return f"{self.component}: {self.old_status} -> {self.new_status}"


class PageState(models.Model):
    """The one row whose version moves on every change, so rendered documents are cached until then."""

    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"status page v{self.version}"


class Subscriber(models.Model):
    """Someone told of incidents and maintenance by email or webhook, once the address is confirmed."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The address told (email) or the contact that confirms the endpoint (webhook).
    email = models.EmailField()
    endpoint = models.URLField(max_length=2000, blank=True)
    secret = models.CharField(max_length=100, blank=True, help_text=_("Standard Webhooks secret (whsec_...)"))
    components = models.ManyToManyField(
        Component, blank=True, related_name="subscribers", help_text=_("None selected: every component")
    )
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    # When the last confirmation link was mailed: the form cannot be used to flood an inbox.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Unsubscribed because an update to the address bounced for good (its mailbox is gone).
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "confirmed_at", "unsubscribed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} subscriber {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class StatusEvent(models.Model):
    """Something subscribers are told about, with its payload as it was; the worker fans it out."""

    class Kind(models.TextChoices):
        INCIDENT_UPDATE = "incident_update", _("Incident update")
        COMPONENT_UPDATE = "component_update", _("Component update")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    change = models.ForeignKey(
        ComponentStatusChange, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Statuspage's webhook body without the per-subscriber "meta" part.
    payload = models.JSONField()
    # The incident's name and this update's body in other languages, frozen like the
    # payload: emails to a subscriber in that language use them (webhooks keep the
    # payload as Statuspage sends it).
    translations = models.JSONField(default=dict, blank=True)
    component_ids = models.JSONField(default=list, help_text="Components concerned; empty means all")
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} event {self.pk}"


class WebhookDelivery(models.Model):
    """One event for one webhook subscriber, retried with backoff until the endpoint answers 2xx."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # Sent as webhook-id: the same on every retry, so the receiver can drop duplicates.
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    event = models.ForeignKey(StatusEvent, on_delete=models.CASCADE, related_name="webhook_deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="status_delivery_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"webhook {self.public_id} ({self.state})"


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt on {self.delivery_id}: {self.status_code or self.error[:40]}"


class Monitor(models.Model):
    """A check the worker runs on a schedule against one component; failures open incidents."""

    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP(S)")
        TCP = "tcp", _("TCP connect")
        DNS = "dns", _("DNS resolution")

    name = models.CharField(max_length=100)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="monitors")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.HTTP)
    target = models.CharField(
        max_length=2000, help_text=_("http(s)://host/path, host:port (TCP) or a host name (DNS)")
    )
    expected_status = models.PositiveIntegerField(default=200, help_text=_("HTTP only"))
    keyword = models.CharField(max_length=200, blank=True, help_text=_("HTTP only: the body must contain it"))
    max_latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Slower counts as a failure")
    )
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.FloatField(default=10)
    retries = models.PositiveSmallIntegerField(
        default=1, help_text=_("Extra tries before a run counts as failed")
    )
    failure_threshold = models.PositiveSmallIntegerField(
        default=3, help_text=_("Consecutive failed runs that open an incident")
    )
    failure_status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.MAJOR_OUTAGE
    )
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The incident this monitor opened or joined, while it is not resolved.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="monitors"
    )

    class Meta:
        ordering = ["component__position", "name"]

    def __str__(self) -> str:
        return self.name


class MonitorResult(models.Model):
    """One run of a monitor: the record behind its incidents (kept short: pruned by age)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["monitor", "-at"])]

    def __str__(self) -> str:
        return f"{self.monitor}: {'ok' if self.ok else self.error}"


class IncidentTemplate(models.Model):
    """A ready-made incident update (title, message, components, impact) an admin starts from."""

    # The names a template's title and body may use; anything else is refused when saved,
    # so a published update never shows a stray "{...}" (see status.incident_templates).
    PLACEHOLDERS = ("component", "started", "incident", "status_url")

    slug = models.SlugField(max_length=80, unique=True, help_text=_("How the REST API names it"))
    name = models.CharField(max_length=120)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(
        max_length=16, choices=ALL_STATUSES, help_text=_("The status an update from it moves the incident to")
    )
    title = models.CharField(
        max_length=255, blank=True, help_text=_("The incident's name when one is opened from it")
    )
    body = models.TextField(help_text=_("Placeholders: {component}, {started}, {incident}, {status_url}"))
    impact = models.CharField(max_length=12, choices=Impact.choices, blank=True)
    components = models.ManyToManyField(Component, blank=True, related_name="templates")
    component_status = models.CharField(
        max_length=24,
        choices=ComponentStatus.choices,
        blank=True,
        help_text=_("What the preselected components are set to"),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from capdesk.status.incident_templates import unknown_placeholders

        unknown = unknown_placeholders(f"{self.title}\n{self.body}")
        if unknown:
            raise ValidationError(
                _("Unknown placeholders: %(names)s (use {{ and }} for literal braces).")
                % {"names": ", ".join(sorted(unknown))}
            )


class ResolutionProposal(models.Model):
    """A monitor has stayed up for the quiet period: admins are asked (never forced) to resolve."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="resolution_proposals")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    body = models.TextField(help_text=_("The resolved update proposed, from the Resolved template"))
    up_since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open question per incident, even when two monitors recover at the same moment.
            models.UniqueConstraint(
                fields=["incident"], condition=models.Q(state="pending"), name="status_one_pending_proposal"
            )
        ]

    def __str__(self) -> str:
        return f"resolve {self.incident}? ({self.state})"
