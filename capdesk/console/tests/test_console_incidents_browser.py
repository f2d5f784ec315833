"""In Chromium: an admin opens an incident from a template in the console and sees it on /status/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from capdesk.status.demo import load_demo
from capdesk.testing.browser import sign_in_to_console

pytestmark = pytest.mark.browser


def _shots(tmp_path: Path) -> Path:
    """Screenshots go to $CAPDESK_SCREENSHOTS when set (CI keeps them as artifacts), else the test's folder."""
    folder = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_admin_opens_an_incident_from_a_template_and_sees_it_on_the_status_page(
    browser_page: Page, cast, tmp_path: Path
) -> None:
    page = browser_page
    shots = _shots(tmp_path)
    load_demo()  # Capgo's components and incident templates
    sign_in_to_console(page, cast.admin.get_username())

    page.goto("/console/incidents/")
    page.get_by_role("link", name="Open an incident").click()
    page.get_by_role("link", name="Bundle uploads failing — identified").click()
    expect(page.locator("#id_name")).to_have_value("Bundle uploads failing")
    expect(page.locator("#id_body")).to_contain_text("Uploads with @capgo/cli")
    expect(page.locator("#id_status")).to_have_value("identified")
    page.screenshot(path=str(shots / "console-incident-from-template.png"), full_page=True)
    page.get_by_role("button", name="Open and publish").click()

    expect(page.locator("h1")).to_contain_text("Bundle uploads failing")
    expect(page.locator(".messages, body")).to_contain_text("Incident opened")
    page.goto("/status/")
    expect(page.locator("body")).to_contain_text("Bundle uploads failing")
    expect(page.locator("body")).to_contain_text("Uploads with @capgo/cli")
    page.screenshot(path=str(shots / "status-page-incident-from-template.png"), full_page=True)
    assert (shots / "status-page-incident-from-template.png").stat().st_size > 1000
