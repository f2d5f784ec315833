"""Admin forms: what an admin types to post an incident, an update or a maintenance window.

The forms only collect and validate; ``admin.py`` hands the cleaned values to the
actions, so the admin writes exactly the rows, history and events the API would.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from capdesk.status.actions import StatusError, check_name_free
from capdesk.status.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    MaintenanceStatus,
)

_KEEP = [("", _("(leave components as they are)"))]
_OPEN_STATUSES = [
    (s.value, s.label)
    for s in (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)
]
_IMPACTS = [(i.value, i.label) for i in Impact if i != Impact.MAINTENANCE]


class _UniqueName:
    instance: Any

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"])  # type: ignore[attr-defined]
        exclude = self.instance if self.instance and self.instance.pk else None
        try:
            check_name_free(name, exclude=exclude)
        except StatusError as exc:
            raise forms.ValidationError(str(exc)) from None
        return name


class ComponentForm(_UniqueName, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Component
        fields = ["name", "description", "group", "position", "status", "showcase", "only_show_if_degraded"]


class ComponentGroupForm(_UniqueName, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ComponentGroup
        fields = ["name", "description", "position"]


def _components_field() -> forms.ModelMultipleChoiceField:  # type: ignore[type-arg]
    return forms.ModelMultipleChoiceField(
        Component.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Components")
    )


class IncidentAddForm(forms.ModelForm):  # type: ignore[type-arg]
    status = forms.ChoiceField(choices=_OPEN_STATUSES, initial=IncidentStatus.INVESTIGATING)
    impact = forms.ChoiceField(choices=_IMPACTS, initial=Impact.MINOR)
    body = forms.CharField(widget=forms.Textarea, label=_("Message"))
    affected = _components_field()
    component_status = forms.ChoiceField(
        choices=ComponentStatus.choices, initial=ComponentStatus.PARTIAL_OUTAGE, label=_("Set them to")
    )

    class Meta:
        model = Incident
        fields = ["name", "impact", "status"]


class IncidentChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    impact = forms.ChoiceField(choices=_IMPACTS)
    update_status = forms.ChoiceField(
        choices=[("", _("(no update)")), *IncidentStatus.choices], required=False, label=_("New status")
    )
    update_body = forms.CharField(widget=forms.Textarea, required=False, label=_("Message"))
    affected = _components_field()
    component_status = forms.ChoiceField(
        choices=_KEEP + ComponentStatus.choices, required=False, label=_("Set them to")
    )

    class Meta:
        model = Incident
        fields = ["name", "impact"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("update_status") and not data.get("update_body") and data["update_status"] != "resolved":
            self.add_error("update_body", _("An update needs a message."))
        if data.get("update_body") and not data.get("update_status"):
            self.add_error("update_status", _("Choose the status this update moves the incident to."))
        return data


class _Window(forms.ModelForm):  # type: ignore[type-arg]
    scheduled_for = forms.SplitDateTimeField(label=_("Starts"))
    scheduled_until = forms.SplitDateTimeField(label=_("Ends"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("scheduled_for"), data.get("scheduled_until")
        if start and end and end <= start:
            self.add_error("scheduled_until", _("The window ends after it starts."))
        return data


class MaintenanceAddForm(_Window):
    body = forms.CharField(widget=forms.Textarea, required=False, label=_("Message"))
    affected = _components_field()

    class Meta:
        model = Incident
        fields = ["name", "scheduled_for", "scheduled_until", "auto_transition"]


class MaintenanceChangeForm(_Window):
    update_status = forms.ChoiceField(
        choices=[("", _("(no update)")), *MaintenanceStatus.choices], required=False, label=_("New status")
    )
    update_body = forms.CharField(widget=forms.Textarea, required=False, label=_("Message"))

    class Meta:
        model = Incident
        fields = ["name", "scheduled_for", "scheduled_until"]
