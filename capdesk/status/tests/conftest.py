"""Fixtures for the status app: Capgo's components, created the way an admin would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache

from capdesk.status import actions
from capdesk.status.models import Component

# A fixed instant every status test starts from (a Tuesday, mid-month, mid-day UTC).
NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def api(db, frozen) -> Component:
    return actions.create_component(name="Live update API", at=datetime(2025, 11, 1, tzinfo=UTC))


@pytest.fixture
def console(db, frozen) -> Component:
    return actions.create_component(name="Console", at=datetime(2025, 11, 1, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts its page versions at zero again: no rendering may leak between tests."""
    cache.clear()
    yield
    cache.clear()
