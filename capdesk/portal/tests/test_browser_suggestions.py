"""The new-request form in Chromium: articles suggested while the customer types, on a phone too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from capdesk.knowledge.demo import load_demo
from capdesk.portal.actions import user_for_person

pytestmark = pytest.mark.browser


def _signed_in(page: Page, person, live_server) -> None:
    """A portal session made by Django's test client, handed to the browser as its cookie."""
    client = Client()
    client.force_login(user_for_person(person))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _on_a_phone(page: Page, person, live_server, tmp_path: Path) -> Path:
    """The demo articles loaded, ``person`` signed in on a phone's screen; where screenshots go."""
    shots = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    load_demo()
    _signed_in(page, person, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    return shots


def test_a_customer_sees_matching_articles_while_typing_a_request_on_a_phone(
    browser_page: Page, cast, live_server, tmp_path: Path
) -> None:
    page = browser_page
    shots = _on_a_phone(page, cast.developer, live_server, tmp_path)
    page.goto("/portal/requests/new/")
    page.fill("#id_subject", "Update rolls back")
    page.locator("#id_body").press_sequentially("after the update the app keeps rolling back", delay=5)
    suggestion = page.locator("#kb-suggestions a").first
    expect(suggestion).to_have_text("An update installs, then rolls back on the next start")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots / "phone-portal-new-request.png", full_page=True)


def test_an_indonesian_customer_is_suggested_the_translation_and_reads_it_on_a_phone(
    browser_page: Page, cast, live_server, tmp_path: Path
) -> None:
    page = browser_page
    shots = _on_a_phone(page, cast.developer, live_server, tmp_path)
    page.set_extra_http_headers({"Accept-Language": "id"})
    page.goto("/portal/requests/new/")
    page.fill("#id_subject", "Rilis bermasalah")
    page.locator("#id_body").press_sequentially("bagaimana mengembalikan channel ke bundle lama", delay=5)
    suggestion = page.locator("#kb-suggestions a").first
    expect(suggestion).to_have_text("Mengembalikan channel ke bundle sebelumnya")
    page.goto(suggestion.get_attribute("href") or "")
    expect(page.locator("article.kb-article h1")).to_have_text("Mengembalikan channel ke bundle sebelumnya")
    assert page.locator("article.kb-article").get_attribute("lang") == "id"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots / "phone-kb-article-id.png", full_page=True)
