"""The status page in Debian's Chromium: no CSP violations, nothing from other hosts, accessible bars."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from capdesk.status import actions

pytestmark = pytest.mark.browser


def test_the_page_loads_only_from_its_own_host_and_breaks_no_csp_rule(
    browser_page: Page, live_server
) -> None:
    api = actions.create_component(name="Live update API", at=timezone.now() - timedelta(days=120))
    # Noon (the page's zone is UTC), so the hour-long outage stays within one day of the bars
    # whatever time the suite runs: started at 23:30 it was "2 days with problems".
    then = (timezone.now() - timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    incident = actions.open_incident(
        name="Slow downloads", body="Looking.", components={api: "major_outage"}, at=then
    )
    actions.resolve_incident(incident, at=then + timedelta(hours=1))
    actions.open_incident(name="Uploads failing", body="Investigating.", impact="major")

    problems: list[str] = []
    hosts: set[str] = set()
    failed: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A failed load is checked below by URL (the browser's own /favicon.ico probe is not ours).
        if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and urlsplit(response.url).path != "/favicon.ico":
            failed.append(response.url)

    browser_page.on("console", on_console)
    browser_page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    browser_page.on("response", on_response)
    browser_page.goto("/status/")

    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Partial system outage")
    bars = browser_page.get_by_role("img", name="99.95% uptime over the last 90 days")
    expect(bars).to_be_visible()
    browser_page.get_by_text("1 day with problems").click()
    expect(browser_page.get_by_text("Major outage").first).to_be_visible()
    assert problems == []  # an inline style or script would be a CSP violation logged here
    assert failed == []
    assert hosts == {urlsplit(live_server.url).netloc}


def test_a_reader_who_switches_to_indonesian_sees_components_and_feeds_in_it(
    browser_page: Page, live_server
) -> None:
    actions.create_component(name="Live update API", translations={"id": {"name": "API pembaruan langsung"}})
    browser_page.goto("/status/")
    expect(browser_page.get_by_role("heading", name="Live update API")).to_be_visible()
    browser_page.get_by_role("link", name="Bahasa Indonesia").click()
    expect(browser_page.get_by_role("heading", name="API pembaruan langsung")).to_be_visible()
    atom = browser_page.get_by_role("link", name="Atom", exact=True).get_attribute("href")
    assert atom == "/history.atom?lang=id"
    feed = browser_page.request.get(live_server.url + atom)
    assert "<title>Status Capgo - Riwayat Insiden</title>" in feed.text()
