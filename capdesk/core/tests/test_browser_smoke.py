"""The desk as a real browser sees it: Debian's Chromium against the live server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from capdesk.testing.factories import make_user

pytestmark = pytest.mark.browser


def test_it_reports_healthy_to_a_browser(browser_page: Page) -> None:
    response = browser_page.goto("/healthz")

    assert response is not None
    assert response.status == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_it_lets_an_admin_sign_in_through_the_login_page(browser_page: Page, tmp_path: Path) -> None:
    make_user("ada", staff=True, superuser=True)

    browser_page.goto("/admin/login/")
    expect(browser_page).to_have_title("Log in | Django site admin")
    browser_page.fill("#id_username", "ada")
    browser_page.fill("#id_password", "correct horse battery")
    browser_page.click("input[type=submit]")

    expect(browser_page.locator("h1")).to_have_text("Site administration")
    screenshot = browser_page.screenshot(path=tmp_path / "admin-index.png", full_page=True)
    assert screenshot.startswith(b"\x89PNG")
    assert (tmp_path / "admin-index.png").stat().st_size > 1000


def test_it_turns_away_a_wrong_password_on_the_login_page(browser_page: Page) -> None:
    make_user("ada", staff=True, superuser=True)

    browser_page.goto("/admin/login/")
    browser_page.fill("#id_username", "ada")
    browser_page.fill("#id_password", "not the password")
    browser_page.click("input[type=submit]")

    expect(browser_page.locator(".errornote")).to_contain_text("correct username and password")
    expect(browser_page).to_have_url("/admin/login/")
