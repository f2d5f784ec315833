"""A system check that stops start-up when the configured policy file cannot be used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from capdesk.policy.loader import PolicyError, get_policy


@checks.register()
def check_policy(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Load ``settings.CAPDESK_POLICY``; report its file, line and reason if it is malformed."""
    try:
        get_policy()
    except PolicyError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the policy file, or point CAPDESK_POLICY at a valid one.",
                id="policy.E001",
            )
        ]
    return []
