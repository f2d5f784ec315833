"""Outgoing mail and webhooks in the admin: the suppression list, endpoints, and the delivery log with re-send."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path

from capdesk.core.admin import AttemptLogInline
from capdesk.notify import webhooks
from capdesk.notify.models import Suppression, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from capdesk.tickets.scoping import agent_queue_ids


class EndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in webhooks.EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        try:
            webhooks.check_endpoint(url)
        except webhooks.EndpointRefused as exc:
            raise ValidationError(str(exc)) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = EndpointForm
    list_display = ["url", "description", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["url", "description", "events", "is_active"]
        return fields if obj is None else [*fields, "secret", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The secret is shown (the receiver needs it to verify) but never typed in:
        # it is generated, so it is random enough.
        return [] if obj is None else ["secret", "created_at"]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "url": data["url"],
            "events": data["events"],
            "description": data["description"],
            "is_active": data["is_active"],
        }
        by = request.user
        if change:
            saved = webhooks.edit_endpoint(
                WebhookEndpoint.objects.get(pk=obj.pk), **fields, by=by, request=request
            )
        else:
            saved = webhooks.create_endpoint(**fields, by=by, request=request)
        obj.pk = saved.pk
        obj.secret = saved.secret
        obj.created_at = saved.created_at

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        webhooks.delete_endpoint(obj, by=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        # The list's bulk delete: one entry per endpoint, as deleting them one by one would.
        for endpoint in queryset:
            webhooks.delete_endpoint(endpoint, by=request.user, request=request)


class AttemptInline(AttemptLogInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "response_excerpt", "error", "duration_ms")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The delivery log: read-only, with a re-send action under the same webhook-id."""

    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "state",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["state", "event_type", "endpoint"]
    search_fields = ["webhook_id"]
    readonly_fields = [
        "webhook_id",
        "endpoint",
        "event_type",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    ]
    inlines = [AttemptInline]
    actions = ["resend_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the log is the record of what left the desk

    # The payloads summarise tickets of every queue: an agent restricted to queues, whatever
    # their permissions, does not read (or re-send) the log, as they do not see quarantine.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return agent_queue_ids(request.user) is None and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return agent_queue_ids(request.user) is None and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return agent_queue_ids(request.user) is None and super().has_change_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        # Before the admin's own patterns: its catch-all would take "<id>/resend/".
        resend = path(
            "<path:object_id>/resend/",
            self.admin_site.admin_view(self.resend_view),
            name="notify_webhookdelivery_resend",
        )
        return [resend, *super().get_urls()]

    def resend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's re-send button (templates/admin/notify/webhookdelivery/change_form.html)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        delivery = self.get_object(request, object_id)
        if delivery is None or not self.has_change_permission(request, delivery):
            raise PermissionDenied
        webhooks.resend(delivery)
        self.message_user(request, f"{delivery.webhook_id} queued again.", messages.SUCCESS)
        return redirect("admin:notify_webhookdelivery_change", delivery.pk)

    @admin.action(description="Re-send the selected deliveries (same webhook-id)", permissions=["change"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset:
            webhooks.resend(delivery)
            count += 1
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


class SuppressionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Suppression
        fields = ["address", "reason", "detail"]

    def clean_address(self) -> str:
        # Before the unique check: the list holds addresses lower-cased.
        return str(self.cleaned_data["address"]).strip().lower()


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The addresses the desk does not email (notify.suppressions). Deleting one lifts it."""

    form = SuppressionForm

    list_display = ["address", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["address"]
    fields = ["address", "reason", "detail", "email", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # An entry is added by hand (reason "manual"), or read; what a report said stays as it said.
        return (
            ["email", "created_at"] if obj is None else ["address", "reason", "detail", "email", "created_at"]
        )

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": Suppression.Reason.MANUAL}
