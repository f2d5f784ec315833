"""Admin pieces of tickets: the queues an agent is restricted to, on the user's own page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest

from capdesk.tickets.models import QueueMembership


class QueueMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    """The queues whose tickets the agent sees; none listed means every queue (superusers always see all)."""

    model = QueueMembership
    extra = 0
    verbose_name = "queue the agent is restricted to"
    verbose_name_plural = "Restricted to queues (none: the agent sees every queue)"


class AgentUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [*UserAdmin.inlines, QueueMembershipInline]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # An account is made first (the admin's short add form), then restricted on its own page.
        return super().get_inline_instances(request, obj) if obj is not None else []


admin.site.unregister(User)
admin.site.register(User, AgentUserAdmin)
