"""Django admin for the status page: every save goes through an action, never a bare model save.

So an incident posted here writes its first update, component history, page version and
subscriber event exactly as one posted from code would. History is not deletable here:
the public record of what happened stays whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html_join

from capdesk.core.admin import AttemptLogInline
from capdesk.core.translation_fields import translations_from
from capdesk.status import actions, subscriber_actions
from capdesk.status.admin_forms import (
    ComponentForm,
    ComponentGroupForm,
    IncidentAddForm,
    IncidentChangeForm,
    MaintenanceAddForm,
    MaintenanceChangeForm,
    body_translations,
    component_translations,
    name_translations,
    submit_incident_change,
    submit_new_incident,
)
from capdesk.status.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentTemplate,
    Maintenance,
    MaintenanceStatus,
    Monitor,
    ResolutionProposal,
    Subscriber,
    WebhookAttempt,
    WebhookDelivery,
)

if TYPE_CHECKING:
    Form = ModelForm[Any]
else:
    Form = ModelForm


def _adopt(obj: Any, saved: Any) -> None:
    """Let the admin carry on (log entry, redirect) with the row the action created."""
    obj.pk = saved.pk
    obj.public_id = saved.public_id
    obj._state.adding = False


def _user(request: HttpRequest) -> AuthUser | None:
    return request.user if isinstance(request.user, AuthUser) else None


@admin.register(ComponentGroup)
class ComponentGroupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ComponentGroupForm
    list_display = ["name", "position"]

    def save_model(self, request: HttpRequest, obj: ComponentGroup, form: Form, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "position": data["position"],
            "translations": component_translations(data),
        }
        if change:
            actions.edit_group(ComponentGroup.objects.get(pk=obj.pk), **fields)
        else:
            _adopt(obj, actions.create_group(**fields))


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ComponentForm
    list_display = ["name", "group", "status", "position", "showcase"]
    list_filter = ["status", "group"]

    def save_model(self, request: HttpRequest, obj: Component, form: Form, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "group": data["group"],
            "position": data["position"],
            "showcase": data["showcase"],
            "only_show_if_degraded": data["only_show_if_degraded"],
            "translations": component_translations(data),
        }
        if change:
            component = actions.edit_component(Component.objects.get(pk=obj.pk), **fields)
        else:
            component = actions.create_component(**fields)
            _adopt(obj, component)
        actions.set_component_status(component, data["status"])

    def delete_model(self, request: HttpRequest, obj: Component) -> None:
        actions.delete_component(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Component]) -> None:
        for component in queryset:
            actions.delete_component(component)


class _History(admin.ModelAdmin):  # type: ignore[type-arg]
    readonly_fields = ["status", "public_id", "started_at", "resolved_at", "posted_updates"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        form = self.add_form if obj is None else self.change_form
        extra = [] if obj is None else list(self.readonly_fields)
        return [*form.base_fields, *extra]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = self.add_form if obj is None else self.change_form
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    @admin.display(description="Updates, newest first")
    def posted_updates(self, obj: Incident) -> str:
        return format_html_join(
            "",
            "<p><strong>{}</strong> · {} · {}<br>{}<br><i>{}</i></p>",
            (
                (
                    u.get_status_display(),
                    u.display_at.isoformat(timespec="minutes"),
                    u.created_by or "-",
                    u.body,
                    " · ".join(f"{lang}: {text}" for lang, text in u.translations_of("body").items()),
                )
                for u in obj.updates.all()
            ),
        )

    add_form: type[Form]
    change_form: type[Form]


@admin.register(Incident)
class IncidentAdmin(_History):
    add_form = IncidentAddForm
    change_form = IncidentChangeForm
    list_display = ["name", "status", "impact", "started_at", "automatic"]
    list_filter = ["status", "impact", "automatic"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        return super().get_queryset(request).filter(kind=Incident.Kind.INCIDENT)

    def save_model(self, request: HttpRequest, obj: Incident, form: Form, change: bool) -> None:
        if change:
            submit_incident_change(Incident.objects.get(pk=obj.pk), form.cleaned_data, user=_user(request))
        else:
            _adopt(obj, submit_new_incident(form.cleaned_data, user=_user(request)))

    def save_related(self, request: HttpRequest, form: Form, formsets: Any, change: bool) -> None:
        pass  # the actions wrote the affected components


@admin.register(Maintenance)
class MaintenanceAdmin(_History):
    add_form = MaintenanceAddForm
    change_form = MaintenanceChangeForm
    list_display = ["name", "status", "scheduled_for", "scheduled_until"]
    list_filter = ["status"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Maintenance]:
        return super().get_queryset(request).filter(kind=Incident.Kind.MAINTENANCE)

    def save_model(self, request: HttpRequest, obj: Maintenance, form: Form, change: bool) -> None:
        data = form.cleaned_data
        user = _user(request)
        if not change:
            maintenance = actions.schedule_maintenance(
                name=data["name"],
                scheduled_for=data["scheduled_for"],
                scheduled_until=data["scheduled_until"],
                body=data["body"],
                components=data["affected"],
                auto_transition=data["auto_transition"],
                user=user,
                translations=translations_from(data, {"name": "name", "body": "body"}),
            )
            _adopt(obj, maintenance)
            return
        current = Incident.objects.get(pk=obj.pk)
        actions.edit_incident(
            current, name=data["name"], impact=current.impact, translations=name_translations(data)
        )
        actions.reschedule_maintenance(
            current, scheduled_for=data["scheduled_for"], scheduled_until=data["scheduled_until"], user=user
        )
        status, body = data.get("update_status"), data.get("update_body", "")
        texts = body_translations(data, "update_body")
        if status == MaintenanceStatus.IN_PROGRESS:
            actions.start_maintenance(current, body=body, user=user, translations=texts)
        elif status == MaintenanceStatus.COMPLETED:
            actions.complete_maintenance(current, body=body, user=user, translations=texts)
        elif status:
            actions.post_incident_update(
                current,
                status=status,
                # Staff chose a status and wrote nothing: the page says what it means.
                body=body or actions.DEFAULT_MAINTENANCE_BODIES.get(status, status),
                user=user,
                translations=texts,
            )

    def save_related(self, request: HttpRequest, form: Form, formsets: Any, change: bool) -> None:
        pass


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["public_id", "kind", "email", "endpoint", "confirmed_at", "unsubscribed_at", "bounced_at"]
    list_filter = ["kind", ("bounced_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "endpoint"]
    readonly_fields = [
        "public_id",
        "kind",
        "email",
        "endpoint",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
    ]
    exclude = ["secret"]
    actions = ["unsubscribe_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people subscribe themselves (double opt-in)

    @admin.action(description="Unsubscribe the selected subscribers")
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriber_actions.unsubscribe(subscriber)


class AttemptInline(AttemptLogInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "error", "duration_ms")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The delivery log, read-only."""

    list_display = ["public_id", "subscriber", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state"]
    readonly_fields = [
        "public_id",
        "event",
        "subscriber",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "delivered_at",
    ]
    inlines = [AttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Monitor settings are configuration; what they change on the page goes through the actions."""

    list_display = [
        "name",
        "component",
        "kind",
        "target",
        "enabled",
        "last_ok",
        "consecutive_failures",
        "incident",
    ]
    list_filter = ["kind", "enabled", "last_ok"]
    readonly_fields = [
        "next_run_at",
        "consecutive_failures",
        "last_checked_at",
        "last_ok",
        "last_error",
        "incident",
    ]


@admin.register(IncidentTemplate)
class IncidentTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Templates are text, not history: editing one changes no incident already posted."""

    list_display = ["name", "slug", "status", "language", "impact", "position"]
    list_filter = ["status", "language"]
    search_fields = ["name", "slug", "title", "body"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["components"]


@admin.register(ResolutionProposal)
class ResolutionProposalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The record of what admins were asked after a recovery, read-only: the console answers it."""

    list_display = ["incident", "state", "up_since", "created_at", "closed_at", "resolved_by"]
    list_filter = ["state"]
    readonly_fields = [
        "incident",
        "state",
        "body",
        "up_since",
        "created_at",
        "closed_at",
        "reason",
        "resolved_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
