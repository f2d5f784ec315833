"""Debian's Chromium, driven by Playwright, for the page tests (CONVENTIONS.md habit 7).

Playwright is used only as a driver: it never downloads a browser. The executable is
``/usr/bin/chromium`` (Debian's package, installed by ``.ci/run``) or ``$CAPDESK_CHROMIUM``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Belt and braces: no Playwright code path may fetch a browser of its own (this machine's
# network is closed, and the tests must run Debian's build).
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

DEFAULT_CHROMIUM = "/usr/bin/chromium"

# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. The network
# flags stop Chromium's own calls home (updates, sync, field trials), which a closed
# network refuses many at a time and which would make a test's timing depend on them.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# A page that has not loaded in this long is a failure, not a slow machine.
TIMEOUT_MS = 15_000


def chromium_path() -> Path | None:
    """The Chromium to drive, or None when it is not installed here."""
    path = Path(os.environ.get("CAPDESK_CHROMIUM") or DEFAULT_CHROMIUM)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no", "off"}


def require_chromium() -> Path:
    """Chromium's path; skip the test on a workstation without it, fail it in CI.

    In CI a missing browser is a broken setup (``.ci/run`` installs it), and a skipped
    page test would read as a pass.
    """
    path = chromium_path()
    if path is not None:
        return path
    where = os.environ.get("CAPDESK_CHROMIUM") or DEFAULT_CHROMIUM
    reason = f"Chromium not found at {where}: `apt-get install chromium` or set CAPDESK_CHROMIUM"
    if in_ci():
        pytest.fail(f"CI is set and {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium_context(executable: Path, user_data_dir: Path, base_url: str) -> Iterator[BrowserContext]:
    """A headless Chromium with a fresh profile in ``user_data_dir``, stopped on exit.

    A persistent context is how Playwright takes an explicit profile directory (it
    rejects ``--user-data-dir`` in ``args``), so no state leaks between tests.
    """
    user_data_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir,
            executable_path=executable,
            args=list(CHROMIUM_ARGS),
            headless=True,
            base_url=base_url,
            timeout=TIMEOUT_MS,
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            yield context
        finally:
            context.close()


def sign_in_to_console(page: Page, username: str = "agent") -> None:
    """Sign a staff user made by ``testing.factories`` (their password) in to the console, and wait
    for the ticket list with its deferred script run (keys and htmx go to the page only then)."""
    from capdesk.testing.factories import PASSWORD

    page.goto("/console/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Tickets")
    page.wait_for_load_state("load")
