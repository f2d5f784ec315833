"""Admin pieces of core: the audit log (readable by staff with the view permission, changeable by nobody)
and the read-only attempt log both webhook senders show under a delivery."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from capdesk.core.models import AuditEntry, Circuit


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["created_at", "actor_kind", "actor_label", "action", "target_type", "target_id", "ip"]
    list_filter = ["action", "actor_kind"]
    search_fields = ["actor_label", "target_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Circuit)
class CircuitAdmin(admin.ModelAdmin[Circuit]):
    """Receivers found failing (core.circuits): the mail relay, webhook endpoints, the chat webhook.

    Deleting one tries its receiver again at once, say once the relay's password is fixed,
    rather than at its next try (at most five minutes on).
    """

    list_display = ["name", "failing_since", "failures", "retry_at", "last_error"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptLogInline(admin.TabularInline):  # type: ignore[type-arg]
    """A delivery's attempts (core.deliveries), as they happened: shown, never added, changed or deleted."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
