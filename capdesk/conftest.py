"""Shared fixtures: personas, the worker driven step by step, and a page in Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import translation
from playwright.sync_api import Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from capdesk.testing.browser import chromium_context, require_chromium

if TYPE_CHECKING:
    from capdesk.testing.factories import Personas


@pytest.fixture(autouse=True)
def _isolated_files(settings: Settings, tmp_path: Path) -> None:
    """Attachments, outgoing mail and the published status page go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CAPDESK_STATUS_PUBLISH_DIR = tmp_path / "status-site"  # the worker publishes the status page


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever the last request activated.

    LocaleMiddleware activates the request's language in the thread and leaves it there;
    code called outside a request afterwards (the History's sentences, an email rendered
    by a task) would speak the previous test's language.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Hash test passwords cheaply; the desk itself keeps argon2 (settings.PASSWORD_HASHERS).

    Argon2 is slow on purpose (about 100 MB and two passes per hash), and every persona
    is a user with a password: measured on 43 intake and portal tests, 40 s with argon2
    and 9 s without. Argon2 stays listed so a hash made with it still verifies.
    """
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def run_worker(transactional_db: None) -> Callable[[], None]:
    """Run every ready background task, as `capdesk run`'s worker would, until none is left.

    Transactional on purpose: the worker calls close_old_connections(), which closes a
    connection left outside autocommit, i.e. the one inside a `db` test's wrapping
    transaction. SQLite's in-memory test database ignores the close; PostgreSQL does
    not. Committing for real is also what a worker claiming rows sees in production.
    """

    def drain() -> None:
        call_command("db_worker", queue_name="*", batch=True, interval=0, no_startup_delay=True, verbosity=0)

    return drain


@pytest.fixture
def cast(db: None) -> Personas:
    """The personas: developer, reader, org admin, billing admin, outsider, agent, admin."""
    from capdesk.testing.factories import personas

    return personas()


@pytest.fixture
def browser_page(
    request: pytest.FixtureRequest,
    live_server: LiveServer,
    transactional_db: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Page]:
    """A page in Debian's Chromium whose relative URLs go to the live server.

    Transactional, because the live server answers from another thread that must see
    what the test wrote; on PostgreSQL that means really committed.
    """
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("a test using browser_page must be marked @pytest.mark.browser", pytrace=False)
    executable = require_chromium()
    # Playwright's sync API keeps an asyncio event loop running in this thread for as
    # long as the browser is open, so Django believes it is in async code and refuses
    # ORM calls from the test body (SynchronousOnlyOperation). The test body is plain
    # synchronous code and the live server works in its own thread, so the guard has
    # nothing to protect here; it is lifted only while this fixture is active.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_context(executable, tmp_path / "chromium-profile", live_server.url) as context:
        yield context.pages[0] if context.pages else context.new_page()
        # With that loop running, asgiref keys Django's connections by context, not by
        # thread: the test body opened connections of its own. Close them while the loop
        # still runs (afterwards they are out of reach), or PostgreSQL refuses to drop
        # the test database at the end ("being accessed by other users").
        connections.close_all()
