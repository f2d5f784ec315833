"""Shared fixtures: personas and the worker driven step by step."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _isolated_files(settings: settings, tmp_path):  # type: ignore[no-untyped-def,valid-type]
    """Attachments and outgoing mail go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def run_worker() -> Callable[[], None]:
    """Run every ready background task, as `capdesk run`'s worker would, until none is left."""

    def drain() -> None:
        call_command("db_worker", batch=True, interval=0, no_startup_delay=True, verbosity=0)

    return drain


@pytest.fixture
def cast(db):  # type: ignore[no-untyped-def]
    """The personas: developer, reader, org admin, billing admin, outsider, agent, admin."""
    from capdesk.testing.factories import personas

    return personas()
