"""Start-up refuses a malformed policy file, naming the file, the line and the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from capdesk.policy.checks import check_policy
from capdesk.policy.tests.conftest import SHIPPED


def test_it_runs_under_the_shipped_policy_by_default(settings: LazySettings) -> None:
    assert Path(settings.CAPDESK_POLICY) == SHIPPED
    assert check_policy() == []


def test_it_stops_start_up_on_a_malformed_policy(
    settings: LazySettings, policy_copy: Callable[[str, str], tuple[Path, int]]
) -> None:
    path, line = policy_copy(
        'group = "billing_account"\nqueue = "billing"\n\n[scopes.account]',
        'group = "billing"\nqueue = "billing"\n\n[scopes.account]',
    )
    settings.CAPDESK_POLICY = path
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    assert f"{path}:{line}: " in str(caught.value)
    assert "unknown group 'billing'" in str(caught.value)
    assert "policy.E001" in str(caught.value)
