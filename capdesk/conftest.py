"""Shared fixtures: personas and the worker driven step by step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _isolated_files(settings: Settings, tmp_path: Path) -> None:
    """Attachments and outgoing mail go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def run_worker(transactional_db: None) -> Callable[[], None]:
    """Run every ready background task, as `capdesk run`'s worker would, until none is left.

    Transactional on purpose: the worker calls close_old_connections(), which closes a
    connection left outside autocommit, i.e. the one inside a `db` test's wrapping
    transaction. SQLite's in-memory test database ignores the close; PostgreSQL does
    not. Committing for real is also what a worker claiming rows sees in production.
    """

    def drain() -> None:
        call_command("db_worker", batch=True, interval=0, no_startup_delay=True, verbosity=0)

    return drain


@pytest.fixture
def cast(db):  # type: ignore[no-untyped-def]
    """The personas: developer, reader, org admin, billing admin, outsider, agent, admin."""
    from capdesk.testing.factories import personas

    return personas()
