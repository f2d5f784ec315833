"""The directory in Django admin: Capgo's customers as the desk knows them, to look up, not to edit.

Organizations, people, their addresses, apps and roles come from Capgo (``capdesk
directory import``, the directory API and Capgo's signed webhooks): an edit made here
would be overwritten by the next sync, and would change what the policy decides without
Capgo knowing. So staff with the view permission read them here, search them (by name,
address, app id or Capgo id) and follow them to their tickets; nobody adds, changes or
deletes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from capdesk.directory.models import EmailAddress, Organization, Person, Project, RoleBinding


class ReadOnly:
    """Viewing only: the directory is Capgo's, kept in sync, never edited in the desk."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline[Any, Any]):
    extra = 0
    show_change_link = True


class EmailInline(ReadOnlyInline):
    model = EmailAddress
    fields = ["email", "primary", "bounced_at"]


class PersonBindingInline(ReadOnlyInline):
    model = RoleBinding
    fk_name = "person"
    fields = ["organization", "project", "role"]


class OrganizationBindingInline(ReadOnlyInline):
    model = RoleBinding
    fk_name = "organization"
    fields = ["person", "project", "role"]


class ProjectInline(ReadOnlyInline):
    model = Project
    fields = ["app_id", "name"]


def _tickets_link(query: dict[str, str], label: str = "Tickets in the console") -> str:
    url = f"{reverse('console:tickets')}?{urlencode({'view': 'all', **query})}"
    return format_html('<a href="{}">{}</a>', url, label)


@admin.register(Organization)
class OrganizationAdmin(ReadOnly, admin.ModelAdmin[Organization]):
    list_display = ["name", "plan", "subscription_status", "premium_support", "priority_plus", "timezone"]
    list_filter = ["plan", "subscription_status", "premium_support", "priority_plus"]
    search_fields = ["name", "=capgo_id", "projects__app_id"]
    readonly_fields = ["tickets"]
    inlines = [ProjectInline, OrganizationBindingInline]

    @admin.display(description="Tickets")
    def tickets(self, obj: Organization) -> str:
        return _tickets_link({"organization": str(obj.pk)})


@admin.register(Person)
class PersonAdmin(ReadOnly, admin.ModelAdmin[Person]):
    list_display = ["name", "primary_address", "language", "created_at"]
    list_filter = ["language"]
    # What an admin has at hand: an address from an email, a name, the account id from Capgo.
    search_fields = ["name", "emails__email", "=capgo_id"]
    readonly_fields = ["tickets"]
    inlines = [EmailInline, PersonBindingInline]

    @admin.display(description="Address")
    def primary_address(self, obj: Person) -> str:
        return obj.primary_email or ""

    @admin.display(description="Tickets")
    def tickets(self, obj: Person) -> str:
        return _tickets_link({"requester": obj.primary_email}) if obj.primary_email else "—"


@admin.register(Project)
class ProjectAdmin(ReadOnly, admin.ModelAdmin[Project]):
    list_display = ["app_id", "name", "organization"]
    search_fields = ["app_id", "name", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = ["tickets"]

    @admin.display(description="Tickets")
    def tickets(self, obj: Project) -> str:
        return _tickets_link({"project": str(obj.pk)})
