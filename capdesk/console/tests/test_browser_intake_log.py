"""The intake log fits a desktop window in Chromium, with a long sender and a long bounce note."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from capdesk.console.tests.test_browser_layout import DESKTOP, LONG_EMAIL, LONG_WORD, _fits, _shots, _sign_in
from capdesk.intake.models import InboundRequest

pytestmark = pytest.mark.browser


def test_it_keeps_the_intake_log_within_a_desktop_window(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    InboundRequest.objects.create(
        # An id as long as a busy desk's (and the PostgreSQL run's, whose sequences the
        # suite's earlier tests advanced): the table must fit with it too.
        pk=12_345_678,
        channel="email",
        idempotency_key="bounce",
        raw=b"x" * 2_000_000,  # "1.9 MB" in the size column
        subject=f"Undeliverable: {LONG_WORD}",
        claimed_sender=LONG_EMAIL,
        state="processed",
        reason=f"automatic message ignored (Auto-Submitted: auto-generated); bounce for {LONG_WORD}",
        sender_verdict="unknown",
    )
    _sign_in(browser_page, live_server, cast.admin)
    browser_page.goto("/console/intake/")
    scroll, inner = _fits(browser_page, DESKTOP, _shots(tmp_path) / "layout-intake-log-1280.png")
    assert scroll <= inner
