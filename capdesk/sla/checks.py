"""A system check that stops start-up when the SLA policy cannot be used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
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
        return [checks.Error(str(exc), hint="Fix capdesk/sla/capgo_sla.toml.", id="sla.E001")]
    return [checks.Error(problem, id="sla.E002") for problem in problems_with_tickets(config)]


def problems_with_tickets(config: SlaConfig) -> list[str]:
    """What the SLA policy names that the tickets app does not know (a typo would silently never pause)."""
    problems = [
        f"sla.pause_statuses: {status!r} is not a ticket status ({', '.join(Status.values)})"
        for status in sorted(config.pause_statuses - set(Status.values))
    ]
    for policy in config.policies:
        problems += [
            f"sla.policies {policy.id!r}: {severity!r} is not a ticket severity"
            for _, severity in policy.targets
            if severity not in Severity.values
        ]
    return problems
