"""A system check that stops start-up when the SLA policy cannot be used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from capdesk.sla.policies import SlaConfig, SlaPolicyError, capgo_sla
from capdesk.tickets.models import Severity, Status


@checks.register()
def check_sla_policy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    try:
        config = capgo_sla()
    except SlaPolicyError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the [service_levels] table of the policy file (CAPDESK_POLICY).",
                id="sla.E001",
            )
        ]
    return [checks.Error(problem, id="sla.E002") for problem in problems_with_tickets(config)]


def problems_with_tickets(config: SlaConfig) -> list[str]:
    """What the SLA policy names that the tickets app does not know (a typo would silently never pause)."""
    problems = [
        f"service_levels.pause_statuses: {status!r} is not a ticket status ({', '.join(Status.values)})"
        for status in sorted(config.pause_statuses - set(Status.values))
    ]
    for policy in config.policies:
        problems += [
            f"service_levels.policies {policy.id!r}: {severity!r} is not a ticket severity"
            for _, severity in policy.targets
            if severity not in Severity.values
        ]
    return problems


CHAT_KINDS = ("discord", "slack")


@checks.register()
def check_chat_webhook(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="sla.E003") for problem in chat_settings_problems()]


def chat_settings_problems() -> list[str]:
    """A wrong chat kind would post a body the chat service rejects on every alert: refuse it at start-up."""
    problems = []
    if settings.CAPDESK_SLA_CHAT_KIND not in CHAT_KINDS:
        problems.append(
            f"CAPDESK_SLA_CHAT_KIND must be discord or slack, not {settings.CAPDESK_SLA_CHAT_KIND!r}"
        )
    url = settings.CAPDESK_SLA_CHAT_WEBHOOK_URL
    if url and not url.startswith(("https://", "http://")):
        problems.append("CAPDESK_SLA_CHAT_WEBHOOK_URL must be an http(s) URL")
    return problems
