"""The public subscription form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from capdesk.status.models import Component, Subscriber


class _ComponentChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Component) -> str:
        # Labels are made as the form renders, in the page's language.
        return obj.text_in("name", translation.get_language())


class SubscribeForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Subscriber.Kind.choices,
        initial=Subscriber.Kind.EMAIL,
        widget=forms.RadioSelect,
        label=_("How"),
    )
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We send a confirmation link here first; for a webhook, this is its contact address."),
    )
    endpoint = forms.URLField(
        required=False, max_length=2000, assume_scheme="https", label=_("Webhook URL (https://)")
    )
    components = _ComponentChoice(
        Component.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Components"),
        help_text=_("Choose none to hear about everything."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Subscriber.Kind.WEBHOOK and not data.get("endpoint"):
            self.add_error("endpoint", _("A webhook subscription needs its URL."))
        return data
