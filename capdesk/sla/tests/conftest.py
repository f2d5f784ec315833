"""Fixtures for the SLA tests: the desk running under a deployment's own policy file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from capdesk.sla.policies import CAPGO_SLA

# A deployment's own section: other hours, a listed holiday and Indonesia's, its own policy ids.
CUSTOM = """
[service_levels]
warn_at = 0.5
pause_statuses = ["pending"]
business_day = "9 business hours"

[service_levels.calendars.business_hours]
holidays = ["2026-06-08"]
holiday_country = "ID"
[service_levels.calendars.business_hours.hours]
mon = "08:00-17:00"
tue = "08:00-17:00"
wed = "08:00-17:00"
thu = "08:00-17:00"
fri = "08:00-17:00"
sat = "09:00-12:00"

[[service_levels.policies]]
id = "gold_contract"
when = { plan = "enterprise" }
tier = "contractual"
clauses = ["L1"]
[service_levels.policies.first_response]
urgent = "45 minutes"
high = "3 business hours"
normal = "1 business day"
[service_levels.policies.resolution]
tier = "goal"
urgent = "3 days"
"""


@pytest.fixture
def custom_policy(settings: Settings, tmp_path: Path) -> Path:
    """The shipped policy file with its [service_levels] section replaced by CUSTOM, as the running file."""
    text = CAPGO_SLA.read_text(encoding="utf-8")
    path = tmp_path / "deployment-policy.toml"
    path.write_text(text[: text.index("[service_levels]")] + CUSTOM, encoding="utf-8")
    settings.CAPDESK_POLICY = path
    return path
