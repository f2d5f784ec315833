"""The "Service levels" page in Debian's Chromium: the calculator answers, no CSP violation, no other host."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from capdesk.sla.tests.helpers import organization
from capdesk.sla.tests.test_browser_pages import signed_in_agent, watch
from capdesk.testing.factories import Personas

pytestmark = pytest.mark.browser


def test_an_agent_asks_when_a_friday_evening_ticket_is_due(
    browser_page: Page, cast: Personas, live_server: LiveServer, tmp_path: Path, custom_policy: Path
) -> None:
    page = browser_page
    shots = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    organization("enterprise", name="Bank Nusantara", timezone="Asia/Jakarta")
    signed_in_agent(page, live_server)
    problems, hosts = watch(page)

    page.goto("/console/sla/levels/")
    page.get_by_label("Organization (name or id)").fill("Bank Nusantara")
    page.get_by_label("Severity").select_option("normal")
    page.get_by_label("Start, customer's time (blank: now)").fill("2026-06-05T17:30")
    page.get_by_role("button", name="Calculate").click()
    # custom_policy's 1 business day (9 hours) from Friday 17:30 in Jakarta, after closing:
    # Saturday 09:00-12:00, Sunday closed, Monday a holiday, Tuesday 08:00-14:00.
    expect(page.locator("#deadlines tr.deadline").first).to_contain_text("Tue 9 Jun 2026 14:00")
    page.screenshot(path=str(shots / "sla-levels.png"), full_page=True)
    # On a phone the tables of targets scroll inside their cards; the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(shots / "sla-levels-390.png"), full_page=True)

    assert problems == []
    assert hosts == {urlsplit(live_server.url).netloc}
