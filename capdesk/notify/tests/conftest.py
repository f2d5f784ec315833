"""Fixtures for the webhook tests: a frozen instant and a real signature-checking receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from .webhook_receiver import Receiver, receiver

# A Tuesday, mid-day UTC, that every webhook test starts from.
NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hook(settings: Any, frozen: time_machine.Traveller) -> Iterator[Receiver]:
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = True
    settings.CAPDESK_WEBHOOK_TIMEOUT_SECONDS = 2
    with receiver() as endpoint:
        yield endpoint
