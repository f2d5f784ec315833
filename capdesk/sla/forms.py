"""The deadline calculator's question: whose ticket, how severe, from when."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from capdesk.directory.models import Organization
from capdesk.sla.actions import organization_policy
from capdesk.sla.calculator import Answer, deadlines
from capdesk.sla.levels import severities
from capdesk.sla.policies import SlaConfig, SlaPolicy, zone_or_utc

# A lookup by name lists at most this many organizations to choose from.
MATCHES_SHOWN = 10
START_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


class DeadlineForm(forms.Form):
    """An organization (its plan picks the policy, its zone the hours), or a policy in a zone.

    The start is read in the customer's zone, as the customer would say it; blank is now.
    """

    organization = forms.CharField(label=_("Organization (name or id)"), required=False, max_length=200)
    policy = forms.ChoiceField(label=_("or a policy"), required=False)
    zone = forms.CharField(label=_("in time zone"), required=False, max_length=64)
    severity = forms.ChoiceField(label=_("Severity"))
    start = forms.CharField(
        label=_("Start, customer's time (blank: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, config: SlaConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = config
        policy_field = self.fields["policy"]
        assert isinstance(policy_field, forms.ChoiceField)
        policy_field.choices = [("", "—"), *((p.id, p.id) for p in config.policies)]
        severity_field = self.fields["severity"]
        assert isinstance(severity_field, forms.ChoiceField)
        severity_field.choices = severities()
        self.matches: list[Organization] = []  # several organizations matched the name

    def clean_organization(self) -> Organization | None:
        text = str(self.cleaned_data.get("organization") or "").strip()
        if not text:
            return None
        found = _organizations_named(text)
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(_("No organization has this name or id."))
        self.matches = found
        raise forms.ValidationError(_("Several organizations match: pick one."))

    def clean_zone(self) -> str:
        name = str(self.cleaned_data.get("zone") or "").strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(
                    _("Not a time zone: an IANA name such as Asia/Jakarta.")
                ) from None
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        organization: Organization | None = data.get("organization")
        if organization is None:
            if not data.get("policy"):
                self.add_error("policy", _("Pick an organization, or a policy and a time zone."))
            if not data.get("zone"):
                self.add_error("zone", _("Pick an organization, or a policy and a time zone."))
        data["start"] = self._start(data.get("start") or "")
        return data

    def _start(self, text: str) -> datetime | None:
        zone = ZoneInfo(self.zone_name())
        if not text:
            return timezone.now().astimezone(zone).replace(second=0, microsecond=0)
        try:
            return datetime.strptime(text, START_FORMAT).replace(tzinfo=zone)
        except ValueError:
            self.add_error("start", _("Not a date and time such as 2026-06-05T17:00."))
            return None

    def answer(self) -> Answer | None:
        """The deadlines for a valid question (None while it is not)."""
        if not self.is_valid() or self.cleaned_data["start"] is None:
            return None
        policy, zone, severity = self.chosen_policy(), self.zone_name(), self.cleaned_data["severity"]
        start = self.cleaned_data["start"]
        found = deadlines(policy, zone=zone, severity=severity, start=start) if policy else []
        return Answer(self.cleaned_data["organization"], policy, zone, start, severity, tuple(found))

    def zone_name(self) -> str:
        """The zone the clocks count in: the organization's (UTC if it is not a zone, as the desk does)."""
        organization = self.cleaned_data.get("organization")
        if isinstance(organization, Organization):
            return zone_or_utc(organization.timezone)
        return str(self.cleaned_data.get("zone") or "UTC")

    def chosen_policy(self) -> SlaPolicy | None:
        """The organization's policy as the desk picks it, or the one chosen by hand."""
        organization = self.cleaned_data.get("organization")
        if isinstance(organization, Organization):
            return organization_policy(organization)
        wanted = self.cleaned_data.get("policy")
        return next((p for p in self.config.policies if p.id == wanted), None)


def _organizations_named(text: str) -> list[Organization]:
    if text.isdigit():
        return list(Organization.objects.filter(pk=int(text)))
    exact = list(Organization.objects.filter(name__iexact=text)[:MATCHES_SHOWN])
    return exact or list(Organization.objects.filter(name__icontains=text).order_by("name")[:MATCHES_SHOWN])
