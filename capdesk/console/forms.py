"""Console forms: what an agent does to a ticket."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from capdesk.console import macros
from capdesk.console.assignees import Candidate
from capdesk.core.translation_fields import field_name, translations_from, with_translations
from capdesk.core.translations import other_languages
from capdesk.policy.types import Outcome
from capdesk.tickets.models import Severity, Status


class AgentReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 8}), max_length=50_000)
    internal = forms.BooleanField(label=_("Internal note (not sent to the customer)"), required=False)
    status = forms.ChoiceField(
        label=_("Then set status to"),
        choices=[("", _("Pending customer (default for replies)")), *Status.choices],
        required=False,
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into ticket"), max_length=30)
    confirm = forms.BooleanField(required=False)
    notify = forms.BooleanField(label=_("Tell the requester by email"), required=False)


class SplitForm(forms.Form):
    message = forms.IntegerField(min_value=1)
    following = forms.BooleanField(label=_("with the messages after it"), required=False)
    subject = forms.CharField(required=False, max_length=300)


class _OwnIds(forms.Form):
    """A form whose ids carry its own prefix: the ticket page holds several forms with a "status" or "reason"."""

    # Only the id attributes change; field names, and so what the views read from POST, stay the same.
    ids = "id_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.ids)
        super().__init__(*args, **kwargs)


class StatusForm(_OwnIds):
    ids = "status-%s"

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class SeverityForm(_OwnIds):
    ids = "severity-%s"
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("Why the severity changes (kept in the audit trail)")
    )


class OverrideForm(_OwnIds):
    ids = "override-%s"
    outcome = forms.ChoiceField(label=_("New outcome"), choices=[(o.value, o.value) for o in Outcome])
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(_OwnIds):
    """Give the ticket to an agent who works its queue (the rotation's members first), or to nobody."""

    ids = "assign-%s"
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, candidates: list[Candidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)

        def option(c: Candidate) -> tuple[str, str]:
            return str(c.pk), _("%(name)s (away)") % {"name": c.name} if c.away else c.name

        rotation = [option(c) for c in candidates if c.in_rotation]
        others = [option(c) for c in candidates if not c.in_rotation]
        choices: list[Any] = [("", _("nobody"))]
        if rotation:
            choices.append((_("In this queue's rotation"), rotation))
            if others:
                choices.append((_("Other agents"), others))
        else:
            choices.extend(others)
        field.choices = choices


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name this view"), max_length=80)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)


class TicketRefsField(forms.MultipleChoiceField):
    """Ticket references ticked on the list; checked against what the agent may see in the view."""

    def valid_value(self, value: str) -> bool:
        return True


BULK_ACTIONS = [
    ("assign", _("Assign to")),
    ("status", _("Set status")),
    ("round_robin", _("Round-robin")),
    ("merge", _("Merge into")),
]


class BulkForm(forms.Form):
    tickets = TicketRefsField()
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    assignee = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=[("", "—"), *Status.choices], required=False)
    merge_into = forms.CharField(required=False, max_length=30)

    def __init__(self, *args: Any, agents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [
            ("", _("nobody")),
            *((str(a.pk), a.get_username()) for a in agents),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "status" and not data.get("status"):
            raise forms.ValidationError(_("Choose a status."))
        if data.get("action") == "merge" and not data.get("merge_into", "").strip():
            raise forms.ValidationError(_("Give the reference of the ticket to merge into, like CAP-1042."))
        return data


@with_translations("title", "body")
class MacroForm(forms.Form):
    """An agent's macro, with its title and text in the desk's other languages ("Text in Bahasa Indonesia")."""

    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000)
    shared = forms.BooleanField(label=_("Share with every agent"), required=False, initial=True)

    def __init__(self, *args: Any, instance_values: Any = None, **kwargs: Any) -> None:
        if instance_values is not None:
            kwargs["initial"] = {
                "title": instance_values.title,
                "body": instance_values.body,
                "shared": instance_values.shared,
            }
        # with_translations fills the translations' fields from the instance being edited.
        self.instance = instance_values
        super().__init__(*args, **kwargs)

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        _refuse_unknown_placeholders(body)
        return body

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The same check for each translation: an Indonesian customer would get {nmae} as written too.
        for lang in other_languages():
            name = field_name("body", lang)
            try:
                _refuse_unknown_placeholders(data.get(name) or "")
            except forms.ValidationError as error:
                self.add_error(name, error)
        return data

    def translations(self) -> dict[str, dict[str, str]]:
        """The title and text typed per other language; an emptied field removes that translation."""
        return translations_from(self.cleaned_data, {"title": "title", "body": "body"})


def _refuse_unknown_placeholders(text: str) -> None:
    unknown = macros.unknown_placeholders(text)
    if unknown:
        # A typo such as {nmae} is never filled: it would reach the customer as written.
        raise forms.ValidationError(
            _("Unknown placeholder: %(names)s. Use one of those listed, or write {{ and }} for a brace."),
            params={"names": ", ".join(f"{{{name}}}" for name in unknown)},
            code="unknown_placeholder",
        )


class HeldReplyForm(forms.Form):
    """Settling a held reply: why (kept in the ticket's History), and which page to go back to."""

    reason = forms.CharField(required=False, max_length=500)
    back = forms.ChoiceField(choices=[("ticket", "ticket"), ("held", "held")], required=False)
