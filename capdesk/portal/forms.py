"""Portal forms: what a customer types, validated before it becomes a request."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from capdesk.directory.models import Project
from capdesk.tickets import copies
from capdesk.tickets.actions import AttachmentRejected, attachment_limit, check_attachment_sizes
from capdesk.tickets.models import Severity

SEVERITY_HELP = {
    Severity.URGENT: _("Production unusable for all your users."),
    Severity.HIGH: _("Major functionality impacted."),
    Severity.NORMAL: _("A component not behaving as documented, or a general question."),
    Severity.LOW: _("Information or feature request."),
}


def _limit_attachment(form: forms.Form) -> None:
    """Say the attachment limits next to the file input, and give them to the page's script.

    Read when the form is made, not at import: the limits are settings.
    """
    field = form.fields["attachment"]
    field.help_text = gettext("Up to %(size)s.") % {"size": attachment_limit()}
    field.widget.attrs.update(
        {
            "data-max-bytes": str(settings.CAPDESK_MAX_ATTACHMENT_BYTES),
            # The refusal's own words; the script puts the chosen file's name in place of {name}.
            "data-too-large": AttachmentRejected("{name}").explain(),
        }
    )


def _checked_attachment(upload: UploadedFile | None) -> UploadedFile | None:
    """Intake's attachment limits, checked by the form: the customer is told at once and keeps
    what they typed, and nothing is accepted (then quarantined) for a limit the form can see."""
    if upload is not None:
        try:
            check_attachment_sizes([(upload.name or "attachment", upload.size or 0)])
        except AttachmentRejected as exc:
            raise forms.ValidationError(exc.explain()) from None
    return upload


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Your Capgo account email"))


class NewRequestForm(forms.Form):
    project = forms.ChoiceField(label=_("Project"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL)
    production_impact = forms.BooleanField(
        label=_("Production is unusable for all our users"),
        required=False,
        help_text=_("Capgo's definition of Urgent; without it an Urgent request is handled as High."),
    )
    body = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50_000,
        help_text=_(
            "Exact error messages, versions (plugin, CLI, Capacitor), platform, and a snippet that reproduces it."
        ),
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)
    copied = forms.CharField(
        label=_("Copy colleagues (optional)"),
        required=False,
        max_length=2000,
        help_text=_("Email addresses, separated by commas. Each gets our replies and may answer them."),
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self, *args: object, projects: list[Project], requester_email: str = "", **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.requester_email = requester_email
        choices: list[tuple[str, str]] = [("", str(_("Not about one project (billing, account)")))]
        choices += [(p.app_id, f"{p.name} ({p.app_id})" if p.name else p.app_id) for p in projects]
        self.fields["project"].choices = choices  # type: ignore[attr-defined]
        _limit_attachment(self)

    def clean_attachment(self) -> UploadedFile | None:
        return _checked_attachment(self.cleaned_data.get("attachment"))

    def clean_copied(self) -> list[str]:
        try:
            return copies.typed_list(self.cleaned_data["copied"], requester_email=self.requester_email)
        except copies.CopyRefused as exc:
            raise forms.ValidationError(str(exc)) from None


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}), max_length=50_000)
    attachment = forms.FileField(label=_("Attachment"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _limit_attachment(self)

    def clean_attachment(self) -> UploadedFile | None:
        return _checked_attachment(self.cleaned_data.get("attachment"))


class PremiumForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"))
    body = forms.CharField(
        label=_("What would you like help with?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text=_("For example: a review of your app's update flow, or help with a third-party plugin."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, organizations: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organization"].choices = organizations  # type: ignore[attr-defined]
