"""Admin pieces of tickets: whether an agent is restricted to queues, and which, on the user's own page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from capdesk.tickets import restriction
from capdesk.tickets.models import QueueMembership
from capdesk.tickets.scoping import RESTRICTED, restricted

# The change form's checkbox; the queues' inline reads it from the same POST (see _Queues.clean).
RESTRICTED_FIELD = "queue_restricted"


class _Queues(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        """Refuse queues listed for an agent who is not restricted: they would change nothing,
        while the page read as if the agent saw only them."""
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if kept and not self.data.get(RESTRICTED_FIELD):
            raise ValidationError(
                gettext(
                    "Queues are listed but the agent is not restricted to queues: tick "
                    "“Restricted to queues”, or remove the queues to let them see every queue."
                )
            )


class QueueMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    """The queues whose tickets a restricted agent sees; none listed means no ticket at all."""

    model = QueueMembership
    formset = _Queues
    extra = 0
    verbose_name = _("queue the restricted agent works")
    verbose_name_plural = _("Queues the agent works when restricted (none listed: no ticket)")


class AgentChangeForm(UserChangeForm):  # type: ignore[type-arg]
    queue_restricted = forms.BooleanField(
        label=_("Restricted to queues"),
        required=False,
        help_text=_(
            "Ticked, the agent sees only the tickets of the queues listed below, and none while "
            "none is listed. Unticked, the agent sees every queue. Superusers always see every queue."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[RESTRICTED_FIELD].initial = restriction.is_restricted(self.instance)


class AgentUserAdmin(UserAdmin):  # type: ignore[type-arg]
    form = AgentChangeForm
    inlines = [*UserAdmin.inlines, QueueMembershipInline]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "queues")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return restricted(super().get_queryset(request)).prefetch_related("queue_memberships__queue")

    @admin.display(description=_("Queues"))
    def queues(self, user: User) -> str:
        if user.is_superuser or not getattr(user, RESTRICTED):
            return gettext("every queue")
        names = sorted(str(m.queue) for m in user.queue_memberships.all())
        return ", ".join(names) or gettext("none: no ticket")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # the short add form
            return fieldsets
        return [*fieldsets, (_("Queues"), {"fields": (RESTRICTED_FIELD,)})]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # An account is made first (the admin's short add form), then restricted on its own page.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if RESTRICTED_FIELD in form.cleaned_data:  # the change form; the add form has no such field
            restriction.set_restricted(obj, form.cleaned_data[RESTRICTED_FIELD])


admin.site.unregister(User)
admin.site.register(User, AgentUserAdmin)
