"""The foundation's vertical slice in Debian's Chromium: a customer files, an agent answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from capdesk.tickets.models import Ticket

pytestmark = pytest.mark.browser


def _sign_in_by_magic_link(page: Page, address: str, run_worker) -> None:
    page.goto("/portal/")
    page.fill("#id_email", address)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your email")
    run_worker()  # the outbox delivers the link
    link = re.search(r"/portal/magic/[\w-]+/", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(link.group(0))
    page.click("button[type=submit]")


def test_a_customer_files_a_request_an_agent_answers_and_the_customer_reads_it(
    browser_page: Page, cast, run_worker, tmp_path: Path
) -> None:
    page = browser_page
    _sign_in_by_magic_link(page, "dewi@acme.test", run_worker)
    expect(page.locator("h1")).to_have_text("Requests")

    page.click("text=New request")
    page.select_option("#id_project", "com.acme.shop")
    page.fill("#id_subject", "Bundle 1.4.2 never downloads")
    page.select_option("#id_severity", "high")
    page.fill("#id_body", "Device log:\n```\n[CapacitorUpdater] No new version available\n```")
    page.click("button[type=submit]")
    ticket = Ticket.objects.get()
    expect(page.locator("h1")).to_contain_text(ticket.reference)
    expect(page.locator(".message pre")).to_contain_text("No new version available")
    page.screenshot(path=tmp_path / "portal-request.png", full_page=True)
    page.click("text=Sign out")

    page.goto("/console/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.click(f"text={ticket.reference}")
    expect(page.locator("aside")).to_contain_text("Acme Apps")
    expect(page.locator("aside")).to_contain_text("Developer or higher")
    page.fill("#id_body", "Call `notifyAppReady()` within 10 seconds of start.")
    page.click("#reply button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Reply sent")
    page.screenshot(path=tmp_path / "console-ticket.png", full_page=True)
    page.click("text=Sign out")

    run_worker()
    reply = [m for m in mail.outbox if m.subject.startswith("Re:")]
    assert len(reply) == 1 and reply[0].to == ["dewi@acme.test"]

    _sign_in_by_magic_link(page, "dewi@acme.test", run_worker)
    page.click(f"text={ticket.reference}")
    expect(page.locator(".message.agent").last).to_contain_text("notifyAppReady()")
    expect(page.locator(".badge.pending")).to_be_visible()
