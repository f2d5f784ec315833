"""Capgo's customers as the desk knows them: organizations, people, projects, roles."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone as django_timezone

from capdesk.directory import roles


class Plan(models.TextChoices):
    SOLO = "solo", "Solo"
    MAKER = "maker", "Maker"
    TEAM = "team", "Team"
    ENTERPRISE = "enterprise", "Enterprise"


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    NONE = "none", "No subscription"


class Language(models.TextChoices):
    EN = "en", "English"
    ID = "id", "Bahasa Indonesia"


class Organization(models.Model):
    """A Capgo organization: the customer that holds a plan, add-ons and apps."""

    capgo_id = models.UUIDField(unique=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.SOLO)
    subscription_status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIALING
    )
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    credits_balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    premium_support = models.BooleanField(default=False, help_text="Premium Support retainer (R1) active")
    premium_hours_per_month = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("4"))
    priority_plus = models.BooleanField(default=False, help_text="Priority Plus: 24/7 response targets")
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_paid_subscription(self) -> bool:
        """An active subscription on a plan; a trial is not paid (CAPGO.md)."""
        return self.subscription_status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)

    @property
    def uses_paid_resources(self) -> bool:
        """E1: an active paid subscription, purchased credits, or an active paid add-on."""
        return (
            self.has_paid_subscription
            or self.credits_balance > 0
            or self.premium_support
            or self.priority_plus
        )


class Person(models.Model):
    """A Capgo account: identified by its account id (a UUID), reachable at registered addresses."""

    capgo_id = models.UUIDField(unique=True, default=uuid.uuid4)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name or str(self.capgo_id)

    @property
    def primary_email(self) -> str:
        address = self.emails.order_by("-primary", "id").first()
        return address.email if address else ""


class EmailAddress(models.Model):
    """An address registered on a Capgo account (E3: technical help comes from one of these)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(unique=True)
    primary = models.BooleanField(default=False)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-primary", "email"]
        verbose_name_plural = "email addresses"

    def __str__(self) -> str:
        return self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Project(models.Model):
    """A Capgo app (``com.example.app``) owned by one organization."""

    app_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["app_id"]

    def __str__(self) -> str:
        return self.name or self.app_id


class RoleBinding(models.Model):
    """A Capgo role bound to a person on an organization, or on one of its apps."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="bindings")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bindings")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="bindings"
    )
    role = models.CharField(max_length=40, help_text="Capgo's role name as sent, legacy names included")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization", "project"], name="one_binding_per_scope"
            ),
            models.UniqueConstraint(
                fields=["person", "organization"],
                condition=models.Q(project__isnull=True),
                name="one_org_binding_per_person",
            ),
        ]

    def __str__(self) -> str:
        scope = self.project.app_id if self.project is not None else self.organization.name
        return f"{self.role} on {scope}"

    def as_binding(self) -> roles.Binding:
        return roles.Binding(
            role=self.role,
            org_id=str(self.organization_id),
            app_id=str(self.project_id) if self.project_id else None,
        )


def normalise_email(address: str) -> str:
    """Addresses compare case-insensitively in practice (RFC 5321 allows otherwise; nobody relies on it)."""
    return address.strip().lower()


class WebhookDelivery(models.Model):
    """A signed webhook already accepted, remembered by its webhook-id so a replay is refused."""

    source = models.CharField(max_length=40, help_text="who signed it, e.g. capgo")
    webhook_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=django_timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "webhook_id"], name="one_delivery_per_webhook_id")
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.source} {self.webhook_id}"
