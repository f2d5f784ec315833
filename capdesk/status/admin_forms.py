"""Admin forms: what an admin types to post an incident, an update or a maintenance window.

The forms only collect and validate; the Django admin and the console both hand the
cleaned values to ``submit_new_incident`` / ``submit_incident_change`` below, which call
the actions, so either screen writes exactly the rows, history and events the API would.
An incident template fills the message (and the name, impact and components) an admin
left empty; ``initial_from_template`` pre-fills a form before it is shown. Each text
field has optional companions for the page's other languages (core.translation_fields);
a template written in one of them fills those instead of the English fields.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from capdesk.core.translation_fields import slot, translations_from, with_translations
from capdesk.status import actions, incident_templates
from capdesk.status.actions import COMPONENT_TEXTS, StatusError, check_name_free
from capdesk.status.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    IncidentTemplate,
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


@with_translations(*COMPONENT_TEXTS)
class ComponentForm(_UniqueName, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Component
        fields = ["name", "description", "group", "position", "status", "showcase", "only_show_if_degraded"]


@with_translations(*COMPONENT_TEXTS)
class ComponentGroupForm(_UniqueName, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ComponentGroup
        fields = ["name", "description", "position"]


def component_translations(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A component's or group's name and description as typed in the page's other languages."""
    return translations_from(data, {field: field for field in COMPONENT_TEXTS})


def _components_field() -> forms.ModelMultipleChoiceField:  # type: ignore[type-arg]
    return forms.ModelMultipleChoiceField(
        Component.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Components")
    )


def _template_field(statuses: list[str]) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        IncidentTemplate.objects.filter(status__in=statuses),
        required=False,
        label=_("Template"),
        help_text=_("Fills the message (and name, impact, components) you leave empty."),
    )


def initial_from_template(template: IncidentTemplate, incident: Incident | None = None) -> dict[str, Any]:
    """What a form shows when an admin picks a template: its text filled in for this incident."""
    filled = incident_templates.render(template, incident=incident)
    initial: dict[str, Any] = {"template": template.pk}
    lang = template.language
    if incident is None:
        initial.update(
            {slot("name", lang): filled.title, slot("body", lang): filled.body, "status": filled.status}
        )
    else:
        initial.update({"update_status": filled.status, slot("update_body", lang): filled.body})
    if filled.impact and filled.impact != Impact.MAINTENANCE:
        initial["impact"] = filled.impact
    if filled.components:
        initial["affected"] = [c.pk for c in filled.components]
    if filled.component_status:
        initial["component_status"] = filled.component_status
    return initial


def _fill(data: dict[str, Any], field: str, language: str, text: str) -> None:
    """A template's text goes where the admin typed nothing, in the template's language."""
    target = slot(field, language)
    data[target] = data.get(target) or text


@with_translations("name", "body")
class IncidentAddForm(forms.ModelForm):  # type: ignore[type-arg]
    template = _template_field(list(IncidentStatus.values))
    status = forms.ChoiceField(choices=_OPEN_STATUSES, initial=IncidentStatus.INVESTIGATING)
    impact = forms.ChoiceField(choices=_IMPACTS, initial=Impact.MINOR)
    body = forms.CharField(widget=forms.Textarea, label=_("Message"), required=False)
    affected = _components_field()
    component_status = forms.ChoiceField(
        choices=ComponentStatus.choices, initial=ComponentStatus.PARTIAL_OUTAGE, label=_("Set them to")
    )

    class Meta:
        model = Incident
        fields = ["template", "name", "impact", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # a template's title may fill it

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        template = data.get("template")
        if template is not None:
            filled = incident_templates.render(template, components=data.get("affected") or None)
            _fill(data, "name", template.language, filled.title)
            _fill(data, "body", template.language, filled.body)
        if not data.get("name"):
            self.add_error("name", _("An incident needs a name."))
        if not data.get("body"):
            self.add_error("body", _("An update needs a message."))
        return data


@with_translations("name", "update_body")
class IncidentChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    template = _template_field(list(IncidentStatus.values))
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
        template = data.get("template")
        if template is not None:
            filled = incident_templates.render(
                template, incident=self.instance, components=data.get("affected") or None
            )
            _fill(data, "update_body", template.language, filled.body)
            data["update_status"] = data.get("update_status") or filled.status
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


@with_translations("name", "body")
class MaintenanceAddForm(_Window):
    body = forms.CharField(widget=forms.Textarea, required=False, label=_("Message"))
    affected = _components_field()

    class Meta:
        model = Incident
        fields = ["name", "scheduled_for", "scheduled_until", "auto_transition"]


@with_translations("name", "update_body")
class MaintenanceChangeForm(_Window):
    template = _template_field(list(MaintenanceStatus.values))
    update_status = forms.ChoiceField(
        choices=[("", _("(no update)")), *MaintenanceStatus.choices], required=False, label=_("New status")
    )
    update_body = forms.CharField(widget=forms.Textarea, required=False, label=_("Message"))

    class Meta:
        model = Incident
        fields = ["name", "scheduled_for", "scheduled_until"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        template = data.get("template")
        if template is not None:
            filled = incident_templates.render(template, incident=self.instance)
            _fill(data, "update_body", template.language, filled.body)
            data["update_status"] = data.get("update_status") or filled.status
        return data


class _EachComponent:
    """The console's variant: one status select per component instead of one status for all chosen.

    A component left blank is not touched; the values end up in ``components_map``, which
    the submit functions prefer. Forms shown from a template start with its components
    set to its component status.
    """

    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]

    def _per_component(self, current: dict[int, str]) -> None:
        del self.fields["affected"], self.fields["component_status"]
        preset = dict(current)
        if self.initial.get("component_status"):
            preset.update(dict.fromkeys(self.initial.get("affected") or [], self.initial["component_status"]))
        for component in Component.objects.all():
            self.fields[f"component_{component.pk}"] = forms.ChoiceField(
                choices=[("", _("(leave as it is)")), *ComponentStatus.choices],
                required=False,
                label=component.name,
                initial=preset.get(component.pk, ""),
            )

    def component_fields(self) -> list[str]:
        return [name for name in self.fields if name.startswith("component_")]

    def _collect(self, data: dict[str, Any]) -> None:
        chosen = {int(name.removeprefix("component_")): data.get(name) for name in self.component_fields()}
        by_pk = Component.objects.in_bulk([pk for pk, status in chosen.items() if status])
        data["components_map"] = {
            by_pk[pk]: status for pk, status in chosen.items() if status and pk in by_pk
        }
        template = data.get("template")
        if not data["components_map"] and template is not None and template.component_status:
            # Nothing chosen by hand: the template's preselection stands, as in the API.
            data["components_map"] = dict.fromkeys(template.components.all(), template.component_status)


class ConsoleIncidentAddForm(_EachComponent, IncidentAddForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._per_component({})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._collect(data)
        return data


class ConsoleIncidentChangeForm(_EachComponent, IncidentChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        incident = self.instance
        self._per_component({c.pk: c.status for c in incident.components.all()} if incident.pk else {})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._collect(data)
        return data


def _chosen(data: dict[str, Any]) -> dict[Component, str]:
    if "components_map" in data:
        return dict(data["components_map"])
    status = data.get("component_status")
    return {c: status for c in data.get("affected") or []} if status else {}


def name_translations(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    return translations_from(data, {"name": "name"})


def body_translations(data: dict[str, Any], field: str = "body") -> dict[str, dict[str, str]]:
    return translations_from(data, {field: "body"})


def submit_new_incident(data: dict[str, Any], *, user: User | None) -> Incident:
    """Open the incident an add form describes."""
    return actions.open_incident(
        name=data["name"],
        body=data["body"],
        impact=data["impact"],
        status=data["status"],
        components=_chosen(data),
        user=user,
        translations=translations_from(data, {"name": "name", "body": "body"}),
    )


def submit_incident_change(incident: Incident, data: dict[str, Any], *, user: User | None) -> Incident:
    """Apply a change form: correct the name or impact, then post the update it carries, if any."""
    incident = actions.edit_incident(
        incident, name=data["name"], impact=data["impact"], translations=name_translations(data)
    )
    status = data.get("update_status")
    texts = body_translations(data, "update_body")
    if status == IncidentStatus.RESOLVED:
        actions.resolve_incident(incident, body=data["update_body"], user=user, translations=texts)
    elif status == IncidentStatus.POSTMORTEM:
        actions.publish_postmortem(incident, body=data["update_body"], user=user, translations=texts)
    elif status:
        actions.post_incident_update(
            incident,
            status=status,
            body=data["update_body"],
            components=_chosen(data) or None,
            user=user,
            translations=texts,
        )
    return incident
