"""The SLA pages in Debian's Chromium: charts drawn, no CSP violation, nothing from other hosts."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from capdesk.sla.tests.helpers import MONDAY_9_WIB, open_ticket_at, organization, staff_user
from capdesk.status import actions as status
from capdesk.testing.factories import Personas
from capdesk.tickets import actions as ticket_actions

pytestmark = pytest.mark.browser


def signed_in_agent(page: Page, live_server: LiveServer) -> None:
    client = Client()
    client.force_login(staff_user("agent"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def watch(page: Page) -> tuple[list[str], set[str]]:
    problems: list[str] = []
    hosts: set[str] = set()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    return problems, hosts


def test_an_agent_sees_the_attainment_charts_and_the_credits_without_csp_violations(
    browser_page: Page, cast: Personas, live_server: LiveServer, tmp_path: Path
) -> None:
    page = browser_page
    shots = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    start = MONDAY_9_WIB  # inside business hours
    for minutes, severity in ((30, "urgent"), (90, "urgent"), (200, "high")):
        ticket = open_ticket_at(start, organization("enterprise"), severity=severity)
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            ticket_actions.reply_as_agent(ticket, agent=staff_user("dina"), body="Answer")
    api = status.create_component(name="Live update API", at=start - timedelta(days=60))
    incident = status.open_incident(
        name="Slow downloads", body=".", components={api: "major_outage"}, at=start
    )
    status.resolve_incident(incident, at=start + timedelta(hours=1))
    organization("enterprise", name="Bank Nusantara", created_at=start - timedelta(days=400))
    signed_in_agent(page, live_server)
    problems, hosts = watch(page)

    page.goto("/console/sla/report/")
    expect(page.get_by_role("img", name="By severity: share of targets met")).to_be_visible()
    page.screenshot(path=str(shots / "sla-report.png"), full_page=True)
    page.goto("/console/sla/credits/?month=2026-06")
    expect(page.get_by_text("Bank Nusantara")).to_be_visible()
    expect(page.get_by_text("Slow downloads")).to_be_visible()
    page.screenshot(path=str(shots / "sla-credits.png"), full_page=True)

    assert problems == []  # an inline style or script would be a CSP violation logged here
    assert hosts == {urlsplit(live_server.url).netloc}
